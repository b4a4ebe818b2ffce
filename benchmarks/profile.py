"""Where one query's time goes: pyinstrument over repeated runs through the real app, in process.

Runs against the load benchmark's database (benchmarks/load.py leaves `crm_bench` behind) with the
production settings, one request at a time, and prints pyinstrument's call tree (and, with
--functions, the functions with the most time of their own).

    pip install pyinstrument
    python benchmarks/profile.py [--query Q1|Q2|Q3] [--runs 200] [--functions]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

import httpx
from load import ADMIN_DSN, DATABASE, Q1, Q2, Q3, body
from pyinstrument import Profiler
from strawberry.relay import to_base64

from crm_graphql import models
from crm_graphql.app import create_app
from crm_graphql.resolvers.auth import create_api_key
from crm_graphql.resolvers.policy import role_scopes
from crm_graphql.settings import Settings

QUERIES = {"Q1": (Q1, None), "Q2": (Q2, None), "Q3": (Q3, {"id": to_base64("Customer", 1)})}


async def run(query: str, variables: dict[str, object] | None, runs: int, functions: bool) -> None:
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{DATABASE}"
    app = create_app(Settings(database_url=url, rate_limit_per_minute=0))
    async with app.router.lifespan_context(app):
        user = await models.User.filter(role=models.Role.ADMIN).first()
        assert user is not None, "no admin: run benchmarks/load.py first"
        _, key = await create_api_key(user, "profile", role_scopes(models.Role.ADMIN))
        transport = httpx.ASGITransport(app=app)
        headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as http:
            payload = body(query, variables)
            for _ in range(10):  # warm the parser and validation caches and the pool
                assert "errors" not in (await http.post("/graphql", content=payload)).json()
            profiler = Profiler(interval=0.0005, async_mode="enabled")
            started = time.perf_counter()
            with profiler:
                for _ in range(runs):
                    await http.post("/graphql", content=payload)
            elapsed = time.perf_counter() - started
    print(f"{runs} runs, {elapsed / runs * 1000:.1f} ms each (profiled)\n")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if functions:
        own: Counter[str] = Counter()
        for frame in _frames(profiler.last_session.root_frame()):
            own[f"{frame.function} ({frame.file_path_short}:{frame.line_no})"] += frame.total_self_time
        total = sum(own.values())
        print("time of their own:")
        for name, seconds in own.most_common(25):
            print(f"  {seconds / total * 100:5.1f}%  {name}")


def _frames(frame):  # type: ignore[no-untyped-def]
    yield frame
    for child in frame.children:
        yield from _frames(child)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--query", choices=sorted(QUERIES), default="Q1")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--functions", action="store_true", help="also list the functions by time of their own")
    args = parser.parse_args()
    query, variables = QUERIES[args.query]
    asyncio.run(run(query, variables, args.runs, args.functions))


if __name__ == "__main__":
    main()
