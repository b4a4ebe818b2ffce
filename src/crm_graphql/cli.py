"""The `crm-graphql` command: serve, migrate, seed, makemigrations, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict

from crm_graphql.db import DatabaseUnavailable, connected, migrate, pending_migrations
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


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    asyncio.run(_migrate(settings))
    if args.demo:
        asyncio.run(_seed(settings, DEFAULT_DEMO_CUSTOMERS))
    print(f"Serving GraphQL (and GraphiQL in a browser) at http://{args.host}:{args.port}/graphql")
    uvicorn.run(
        "crm_graphql.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
    )
    return 0


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

    makemigrations = commands.add_parser("makemigrations", help="write a migration for model changes")
    makemigrations.add_argument("--name", help="migration name suffix, e.g. add_customer_vat_id")
    makemigrations.set_defaults(handler=cmd_makemigrations)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.set_defaults(handler=cmd_export_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        code = args.handler(args, settings)
    except DatabaseUnavailable as exc:
        code = _fail(str(exc))
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
