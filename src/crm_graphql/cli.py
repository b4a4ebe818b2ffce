"""The `crm-graphql` command: serve, migrate, seed, users, keys, token, import, analytics, makemigrations,
export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_graphql.db import DatabaseUnavailable, connected, migrate, pending_migrations
from crm_graphql.logs import FORMATS as LOG_FORMATS
from crm_graphql.logs import logging_config
from crm_graphql.metrics import shared_by_workers
from crm_graphql.models import Role
from crm_graphql.resolvers.accounts import active_user, create_key_for, create_user, fresh_demo_key, revoke_key
from crm_graphql.resolvers.auth import issue_token
from crm_graphql.resolvers.errors import DomainError
from crm_graphql.settings import Settings

DEFAULT_DEMO_CUSTOMERS = 300


def _fail(message: str) -> int:
    print(f"crm-graphql: error: {message}", file=sys.stderr)
    return 2


async def _migrate(settings: Settings) -> None:
    def report(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            print(f"  applied migration {name}")

    await migrate(settings, progress=report)


async def _seed(settings: Settings, customers: int) -> None:
    from tqdm import tqdm

    from crm_graphql.demo import seed_demo

    async with connected(settings):
        with tqdm(total=customers, unit="customer", desc="Seeding demo data", file=sys.stderr) as bar:

            def advance(done: int) -> None:
                bar.update(done - bar.n)

            summary = await seed_demo(customers, progress=advance)
    counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in asdict(summary).items() if kind != "created")
    if summary.created:
        print(f"Seeded {counts}.")
    else:
        print(f"Demo data already present ({counts}); nothing added.")


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_migrate(settings))
    print(f"Database {settings.redacted_database_url} is up to date.")
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_migrate(settings))
    asyncio.run(_seed(settings, args.customers))
    return 0


async def _demo_key(settings: Settings) -> None:
    async with connected(settings):
        admin, key = await fresh_demo_key()
    print(f"Demo API key for {admin.name} (admin), valid until the next `serve --demo`:\n  {key}")
    print(f'In GraphiQL, open "Headers" and paste: {{"Authorization": "Bearer {key}"}}')


async def _refresh_values(settings: Settings) -> None:
    from tqdm import tqdm

    from crm_graphql.resolvers.values import refresh_values

    async with connected(settings):
        with tqdm(unit="customer", desc="Scoring customer value", file=sys.stderr) as bar:

            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            fit = await refresh_values(progress=advance)
    if fit is None:
        print("No customer has a counted order yet; value scores cleared.")
        return
    print(
        f"Scored {fit.customers} customers ({fit.repeat_customers} repeat buyers) on purchases up to "
        f"{fit.observation_end}; fitting took {fit.fit_seconds:.2f} s."
    )
    if fit.note:
        print(f"Note: {fit.note}")


def cmd_analytics_refresh(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_refresh_values(settings))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    asyncio.run(_migrate(settings))
    if args.demo:
        asyncio.run(_seed(settings, DEFAULT_DEMO_CUSTOMERS))
        asyncio.run(_refresh_values(settings))
        asyncio.run(_demo_key(settings))
    print(f"Serving GraphQL (and GraphiQL in a browser) at http://{args.host}:{args.port}/graphql")
    with shared_by_workers(args.workers):
        uvicorn.run(
            "crm_graphql.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=logging_config(settings.log_format),
        )
    return 0


async def _in_database(settings: Settings, work: Callable[[], Awaitable[str]]) -> None:
    async with connected(settings):
        print(await work())


def cmd_users_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> str:
        user = await create_user(args.name, args.email, Role(args.role))
        return f"Created user {user.pk}: {user.name} <{user.email}> ({user.role.name})."

    asyncio.run(_in_database(settings, work))
    return 0


def cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    expires = datetime.now(UTC) + timedelta(days=args.expires_days) if args.expires_days else None

    async def work() -> str:
        key, plaintext = await create_key_for(args.email, args.name, args.scope, expires_at=expires)
        return f"API key {key.prefix} ({', '.join(key.scopes)}). Shown once, store it now:\n{plaintext}"

    asyncio.run(_in_database(settings, work))
    return 0


def cmd_keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> str:
        key = await revoke_key(args.prefix)
        return f"Revoked API key {key.prefix} ({key.name})."

    asyncio.run(_in_database(settings, work))
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.secret_key:
        return _fail("set CRM_SECRET_KEY (a long random string shared by every server) to issue tokens")
    secret_key = settings.secret_key

    async def work() -> str:
        return issue_token(await active_user(args.email), secret_key, timedelta(hours=args.hours))

    asyncio.run(_in_database(settings, work))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from contextlib import ExitStack

    from tqdm import tqdm

    from crm_graphql.resolvers.policy import Viewer
    from crm_graphql.resolvers.writes.bulk import import_customers

    async def work() -> Counter[str]:
        async with connected(settings):
            user = await active_user(args.as_email)
            with ExitStack() as files, tqdm(unit="row", desc=f"Importing {args.file}", file=sys.stderr) as bar:
                source = files.enter_context(open(args.file, newline="", encoding="utf-8-sig"))
                sink = (
                    files.enter_context(open(args.rejects, "w", newline="", encoding="utf-8")) if args.rejects else None
                )

                def advance(done: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                viewer, region = Viewer(user_id=user.pk, role=user.role), settings.phone_region
                return await import_customers(
                    viewer, source, sink, batch_size=args.batch_size, phone_region=region, progress=advance
                )

    if not Path(args.file).is_file():
        return _fail(f"no such file: {args.file}")
    summary = asyncio.run(work())
    counts = ", ".join(f"{summary[verdict]} {verdict}" for verdict in ("created", "changed", "unchanged", "rejected"))
    kept = f" (rejected rows in {args.rejects})" if args.rejects and summary["rejected"] else ""
    print(f"Imported {args.file}: {counts}{kept}.")
    return 1 if summary["rejected"] else 0


def cmd_makemigrations(args: argparse.Namespace, settings: Settings) -> int:
    config = Settings(database_url="sqlite://:memory:").tortoise_config()
    writers = asyncio.run(pending_migrations(config))
    if not writers:
        print("No model changes; no migration needed.")
    for writer in writers:
        if args.name:
            number = writer.name.split("_", 1)[0]
            writer.name = f"{number}_{args.name}"
        print(f"Created {writer.write()}")
    return 0


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from crm_graphql.schema import schema

    print(schema.as_str())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-graphql", description="An open-source CRM backend with one GraphQL API.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations and serve the API at /graphql")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default: %(default)s)")
    serve.add_argument("--demo", action="store_true", help="load the demo data set first (once)")
    serve.set_defaults(handler=cmd_serve)

    migrate_cmd = commands.add_parser("migrate", help="apply pending database migrations")
    migrate_cmd.set_defaults(handler=cmd_migrate)

    seed = commands.add_parser("seed", help="load the deterministic demo data set (once)")
    seed.add_argument("--customers", type=int, default=DEFAULT_DEMO_CUSTOMERS, help="number of customers")
    seed.set_defaults(handler=cmd_seed)

    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action", required=True)
    users_create = users.add_parser("create", help="add a user")
    users_create.add_argument("--name", required=True)
    users_create.add_argument("--email", required=True)
    users_create.add_argument("--role", required=True, choices=[r.value for r in Role])
    users_create.set_defaults(handler=cmd_users_create)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="action", required=True)
    keys_create = keys.add_parser("create", help="issue an API key for a user (printed once)")
    keys_create.add_argument("--email", required=True, help="the owning user")
    keys_create.add_argument("--name", required=True, help="what the key is for, e.g. 'ERP sync'")
    keys_create.add_argument(
        "--scope", action="append", help="e.g. customers:read, orders:write, pii:read (repeat; default: the role's)"
    )
    keys_create.add_argument("--expires-days", type=int, help="days until the key expires (default: never)")
    keys_create.set_defaults(handler=cmd_keys_create)
    keys_revoke = keys.add_parser("revoke", help="revoke an API key")
    keys_revoke.add_argument("--prefix", required=True, help="the key's prefix, e.g. 1a2b3c4d")
    keys_revoke.set_defaults(handler=cmd_keys_revoke)

    token = commands.add_parser("token", help="issue a signed bearer token for a person")
    token.add_argument("--email", required=True)
    token.add_argument("--hours", type=int, default=12, help="validity (default: %(default)s)")
    token.set_defaults(handler=cmd_token)

    import_cmd = commands.add_parser("import", help="create or update records from a CSV file, by external_id")
    import_cmd.add_argument("entity", choices=["customers"], help="what the file holds")
    import_cmd.add_argument(
        "file", help="CSV with the header external_id,name,email,phone,address,segment,owner_email (UTF-8)"
    )
    import_cmd.add_argument("--as", dest="as_email", required=True, metavar="EMAIL", help="the user the import acts as")
    import_cmd.add_argument(
        "--batch-size", type=int, default=500, help="rows per transaction, 1 to 1,000 (default: %(default)s)"
    )
    import_cmd.add_argument("--rejects", metavar="FILE", help="write the rejected rows here, with an `errors` column")
    import_cmd.set_defaults(handler=cmd_import)

    analytics = commands.add_parser("analytics", help="customer value scores").add_subparsers(
        dest="action", required=True
    )
    refresh = analytics.add_parser("refresh", help="refit the value models and store every customer's scores")
    refresh.set_defaults(handler=cmd_analytics_refresh)

    makemigrations = commands.add_parser("makemigrations", help="write a migration for model changes")
    makemigrations.add_argument("--name", help="migration name suffix, e.g. add_customer_vat_id")
    makemigrations.set_defaults(handler=cmd_makemigrations)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.set_defaults(handler=cmd_export_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    # Lines reach a pipe or log file as they are printed (the demo key before the server starts),
    # not when a buffer fills; the logs go to stderr, so nothing else flushes stdout.
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if settings.log_format not in LOG_FORMATS:
            sys.exit(_fail(f"CRM_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {settings.log_format!r}"))
        logging.config.dictConfig(logging_config(settings.log_format))
        code = args.handler(args, settings)
    except (DatabaseUnavailable, DomainError) as exc:
        code = _fail(str(exc))
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
