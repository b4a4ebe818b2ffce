"""A soak: moderate load on the real server for five minutes, watching errors and memory.

Runs against the database `benchmarks/load.py` left behind (crm_bench), with the same production
settings, a mix of reads (Q1, Q3, the CLV page) and writes, at 4 connections, in ten 30-second
rounds. Prints each round's requests/s, errors and the server's RSS, and exits 1 if there were
errors or RSS grew by 10% or more from the first round to the last.

    python benchmarks/soak.py [--rounds 10] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from load import Q1, Q3, Q5_CLV, REDIS, Size, body, rss_mib, start, until_idle, wait_up, write_bodies, writes, wrk
from strawberry.relay import to_base64

from crm_graphql import models
from crm_graphql.db import connected
from crm_graphql.resolvers.auth import create_api_key
from crm_graphql.resolvers.policy import role_scopes
from crm_graphql.settings import Settings

URL = "postgres://root@127.0.0.1:5432/crm_bench"


async def admin_key() -> str:
    async with connected(Settings(database_url=URL)):
        user = await models.User.get(email="admin@bench.example")
        _, key = await create_api_key(user, "soak", role_scopes(models.Role.ADMIN))
    return key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    key = asyncio.run(admin_key())
    port = 18_082
    api_url = f"http://127.0.0.1:{port}"
    # Reads interleaved with new orders (3 lines each).
    reads = [body(Q1), body(Q3, {"id": to_base64("Customer", 2)}), body(Q5_CLV)]
    orders = writes(Size(), 6_000)[0::2]
    mix = [item for pair in zip(orders, reads * 1_000, strict=True) for item in pair]
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        env = {"CRM_DATABASE_URL": URL, "CRM_CACHE_URL": REDIS, "CRM_RATE_LIMIT_PER_MINUTE": "0"}
        api = start([sys.executable, "-m", "crm_graphql", "serve", "--port", str(port)], env, directory / "api.log")
        try:
            wait_up(f"{api_url}/healthz", api, directory / "api.log")
            path = write_bodies(directory, "soak", mix)
            rss, errors = [], 0
            for round_ in range(1, args.rounds + 1):
                until_idle(api_url, key)
                rps, p50, p99, failed = wrk(f"{api_url}/graphql", path, key, 4, args.seconds)
                rss.append(rss_mib(api.pid))
                errors += failed
                print(
                    f"round {round_}: {rps:.1f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                    f"errors {failed}, RSS {rss[-1]:.1f} MiB",
                    flush=True,
                )
        finally:
            api.terminate()
            api.wait(timeout=30)
    growth = (rss[-1] - rss[0]) / rss[0]
    print(f"errors {errors}; RSS {rss[0]:.1f} -> {rss[-1]:.1f} MiB ({growth:+.1%}, limit +10%)")
    return 0 if errors == 0 and growth < 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
