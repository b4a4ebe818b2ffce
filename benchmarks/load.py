"""Throughput and latency of the real server under wrk, beside the hand-written SQL ceiling.

Loads the data set (benchmarks/dataset.py) into a fresh PostgreSQL database, starts the API with
production settings (`crm-graphql serve`, one worker, Redis cache) and the ceiling
(benchmarks/ceiling.py under uvicorn), checks that the ceiling answers Q1 and Q2 with the API's
JSON, then drives each case with wrk at concurrency 1 (latency) and 32 (throughput) and prints
requests/s, p50 and p99 latency, errors (non-2xx, socket errors and GraphQL errors) and the API's
RSS at the end. Needs wrk (Debian: apt-get install wrk).

    python benchmarks/load.py [--scale 1.0] [--short] [--response-cache SECONDS]

The targets are for the response cache off (the default); `--response-cache 60` measures the same
cases with CRM_RESPONSE_CACHE_SECONDS=60, separately.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from dataset import Size, load
from strawberry.relay import to_base64

from crm_graphql import models
from crm_graphql.db import connected, migrate
from crm_graphql.resolvers.auth import create_api_key
from crm_graphql.resolvers.policy import role_scopes
from crm_graphql.resolvers.values import refresh_values
from crm_graphql.settings import Settings

HERE = Path(__file__).parent
ADMIN_DSN = os.environ.get("CRM_BENCH_POSTGRES", "postgresql://root@127.0.0.1:5432/test")
DATABASE = "crm_bench"
REDIS = os.environ.get("CRM_BENCH_REDIS", "redis://127.0.0.1:6379/13")

Q1 = "{ customers(first: 100) { edges { node { name email phone segment createdAt } } } }"
Q2 = (
    "{ customers(first: 50) { edges { node { name orders(last: 10) { edges { node { orderedAt total "
    "lines(first: 20) { edges { node { quantity product { name } } } } } } } } } } }"
)
Q3 = (
    "query ($id: ID!) { customer(id: $id) { name "
    "tickets(first: 10) { totalCount edges { node { subject status priority } } } "
    "visits(first: 10) { totalCount edges { node { scheduledAt status } } } "
    "campaignMemberships(first: 10) { totalCount edges { node { status campaign { name } } } } } }"
)
Q4 = (
    "query ($from: Date!, $to: Date!) { salesReport(from: $from, to: $to, groupBy: WEEK, by: REP) "
    "{ period label orderCount revenue } }"
)
Q5_FORECAST = (
    "query ($id: ID!) { product(id: $id) { demandForecast(horizon: 12) "
    "{ method points { period point lower80 upper80 lower95 upper95 } } } }"
)
Q5_CLV = (
    "{ customers(first: 20, orderBy: [{field: CLV, direction: DESC}]) "
    "{ edges { node { name value { clv pAlive expectedPurchases } } } } }"
)
ORDER = "mutation ($input: OrderCreateInput!) { orderCreate(input: $input) { order { id } errors { code } } }"
MOVE = "mutation ($input: TicketUpdateInput!) { ticketUpdate(input: $input) { ticket { status } errors { code } } }"


@dataclass
class Result:
    case: str
    concurrency: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def body(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}})


def slug(name: str) -> str:
    return re.sub(r"\W+", "_", name)


def write_bodies(directory: Path, name: str, bodies: list[str]) -> Path:
    path = directory / f"{name}.jsonl"
    path.write_text("\n".join(bodies) + "\n")
    return path


def writes(size: Size, count: int) -> list[str]:
    """Alternately: an order with 3 lines, and a ticket moved NEW -> OPEN (each ticket once)."""
    bodies = []
    for i in range(count):
        if i % 2 == 0:
            lines = [
                {"product": to_base64("Product", 1 + (i + k * 7) % size.products), "quantity": 1 + k} for k in range(3)
            ]
            order = {"customer": to_base64("Customer", 1 + i % size.customers), "status": "CONFIRMED", "lines": lines}
            bodies.append(body(ORDER, {"input": order}))
        else:
            ticket = {"id": to_base64("Ticket", 1 + i // 2 % size.tickets), "version": 1, "status": "OPEN"}
            bodies.append(body(MOVE, {"input": ticket}))
    return bodies


async def prepare(size: Size) -> tuple[str, str]:
    """A fresh database with the data set, an admin key, value scores; returns (database URL, key)."""
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{DATABASE}"
    settings = Settings(database_url=url)
    await migrate(settings)
    started = time.perf_counter()
    timings = await load(url.replace("postgres://", "postgresql://"), size)
    print(f"data set loaded with COPY in {time.perf_counter() - started:.1f} s: {size}")
    print("  " + ", ".join(f"{table} {seconds:.1f} s" for table, seconds in timings.items()))
    async with connected(settings):
        user = await models.User.create(name="Bench admin", email="admin@bench.example", role=models.Role.ADMIN)
        _, key = await create_api_key(user, "bench", role_scopes(models.Role.ADMIN))
        started = time.perf_counter()
        await refresh_values()
        print(f"value scores refreshed in {time.perf_counter() - started:.1f} s")
    return url, key


def start(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT, cwd=cwd)


def wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: see {log}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"server did not come up: see {log}")


def wrk(url: str, bodies: Path, key: str, connections: int, seconds: int) -> tuple[float, float, float, int]:
    threads = 1 if connections == 1 else 2
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            str(HERE / "post.lua"),
            url,
            "--",
            str(bodies),
            key,
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50, p99 = (_ms(re.search(rf"^\s+{p}%\s+(\S+)", output, re.MULTILINE).group(1)) for p in (50, 99))  # type: ignore[union-attr]
    errors = int(re.search(r"graphql_errors (\d+)", output).group(1))  # type: ignore[union-attr]
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(n) for n in found.groups())
    return rps, p50, p99, errors


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def until_idle(api: str, key: str) -> None:
    """Wait until the API has worked off the requests a previous run left behind (wrk does not wait for
    them), so that they do not count against the next case."""
    headers = {"authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        started = time.perf_counter()
        httpx.post(f"{api}/graphql", json={"query": "{ __typename }"}, headers=headers, timeout=300)
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.5)


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def same_json(api: str, ceiling: str, key: str, query: str, path: str) -> None:
    ours = httpx.post(f"{api}/graphql", json={"query": query}, headers={"authorization": f"Bearer {key}"}, timeout=60)
    theirs = httpx.post(f"{ceiling}{path}", json={}, timeout=60)
    if ours.json() != theirs.json():
        raise SystemExit(f"the ceiling's {path} JSON differs from the API's")
    print(f"ceiling {path}: the same JSON as the API ({len(ours.content):,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data set size as a multiple of the default")
    parser.add_argument("--short", action="store_true", help="2 s and 5 s runs instead of 10 s and 30 s")
    parser.add_argument(
        "--response-cache", type=int, default=0, metavar="SECONDS", help="serve with CRM_RESPONSE_CACHE_SECONDS"
    )
    args = parser.parse_args()
    base = Size()
    size = Size(**{f: max(1, round(getattr(base, f) * args.scale)) for f in base.__dataclass_fields__})
    url, key = asyncio.run(prepare(size))
    durations = {1: 2, 32: 5} if args.short else {1: 10, 32: 30}
    api_port, ceiling_port = 18_080, 18_081
    api_url, ceiling_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ceiling_port}"
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        api_env = {
            "CRM_DATABASE_URL": url,
            "CRM_CACHE_URL": REDIS,
            "CRM_RATE_LIMIT_PER_MINUTE": "0",
            "CRM_RESPONSE_CACHE_SECONDS": str(args.response_cache),
        }
        api = start(
            [sys.executable, "-m", "crm_graphql", "serve", "--port", str(api_port)], api_env, directory / "api.log"
        )
        ceiling_env = {"CEILING_DSN": url.replace("postgres://", "postgresql://")}
        ceiling = start(
            [sys.executable, "-m", "uvicorn", "ceiling:app", "--port", str(ceiling_port), "--log-level", "warning"],
            ceiling_env,
            directory / "ceiling.log",
            cwd=HERE,
        )
        try:
            wait_up(f"{api_url}/healthz", api, directory / "api.log")
            wait_up(f"{ceiling_url}/", ceiling, directory / "ceiling.log")
            same_json(api_url, ceiling_url, key, Q1, "/q1")
            same_json(api_url, ceiling_url, key, Q2, "/q2")
            year_end = datetime.now(UTC).date() - timedelta(days=1)
            forecast = {"id": to_base64("Product", 1)}
            httpx.post(
                f"{api_url}/graphql",
                json={"query": Q5_FORECAST, "variables": forecast},
                headers={"authorization": f"Bearer {key}"},
                timeout=120,
            )  # warm the forecast
            cases = {
                "Q1 flat page": (api_url + "/graphql", [body(Q1)]),
                "Q1 ceiling": (ceiling_url + "/q1", [body(Q1)]),
                "Q2 nested": (api_url + "/graphql", [body(Q2)]),
                "Q2 ceiling": (ceiling_url + "/q2", [body(Q2)]),
                "Q3 one customer": (api_url + "/graphql", [body(Q3, {"id": to_base64("Customer", 1)})]),
                "Q4 sales report": (
                    api_url + "/graphql",
                    [body(Q4, {"from": (year_end - timedelta(days=364)).isoformat(), "to": year_end.isoformat()})],
                ),
                "Q5 warm forecast": (api_url + "/graphql", [body(Q5_FORECAST, forecast)]),
                "Q5 CLV page": (api_url + "/graphql", [body(Q5_CLV)]),
                "W1 writes": (api_url + "/graphql", writes(size, 2 * size.tickets)),
            }
            results = []
            for name, (target, bodies) in cases.items():
                for run, (connections, seconds) in enumerate(durations.items()):
                    # Each run gets its own part of the bodies, so that no ticket is moved twice.
                    part = len(bodies) // len(durations)
                    share = bodies if len(bodies) == 1 else bodies[run * part : (run + 1) * part]
                    path = write_bodies(directory, f"{slug(name)}_{connections}", share)
                    until_idle(api_url, key)
                    results.append(Result(name, connections, *wrk(target, path, key, connections, seconds)))
                    print(f"  {name} c={connections}: {results[-1].requests_per_second:.1f} req/s", flush=True)
            report(results, rss_mib(api.pid), args.response_cache)
        finally:
            for process in (api, ceiling):
                process.terminate()
                process.wait(timeout=30)


def report(results: list[Result], rss: float, response_cache: int) -> None:
    if response_cache:
        print(f"\nresponse cache on ({response_cache} s): the targets hold for it off, so none is judged here")
    print("\n| case | c | req/s | p50 ms | p99 ms | errors |\n| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r.case} | {r.concurrency} | {r.requests_per_second:.1f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.errors} |"
        )
    rate = {(r.case, r.concurrency): r.requests_per_second for r in results}
    warm = next(r for r in results if r.case == "Q5 warm forecast" and r.concurrency == 1)
    for query, target in (("Q1", 0.4), ("Q2", 0.5)):
        ours = rate[(f"{query} {'flat page' if query == 'Q1' else 'nested'}", 32)]
        ratio = ours / rate[(f"{query} ceiling", 32)]
        verdict = _verdict(ratio >= target, response_cache)
        print(f"{query} at c=32: {ratio:.2f}x the ceiling (target {target}x){verdict}")
    print(f"warm forecast p50 at c=1: {warm.p50_ms:.1f} ms (target < 5 ms){_verdict(warm.p50_ms < 5, response_cache)}")
    print(f"errors in all: {sum(r.errors for r in results)}; API RSS after the run: {rss:.0f} MiB")


def _verdict(met: bool, response_cache: int) -> str:
    return "" if response_cache else (": met" if met else ": not met")


if __name__ == "__main__":
    main()
