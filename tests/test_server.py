"""The real server: `crm-graphql serve` under uvicorn on loopback, as a user starts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

COUNTS = "{ customers(first: 3) { totalCount edges { node { name orders(first: 2) { totalCount } } } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(*args: str, env: dict[str, str], ready_within: float = 120) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with subprocess.Popen(
        [sys.executable, "-m", "crm_graphql", "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            wait_until_up(process, base, ready_within)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert process.wait(timeout=20) in (0, -signal.SIGTERM)
            output = process.stdout.read() if process.stdout else ""
            assert "Finished server process" in output, output


def wait_until_up(process: subprocess.Popen[str], base: str, ready_within: float) -> None:
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


def test_serve_demo_on_embedded_sqlite(tmp_path: Path) -> None:
    env = {"CRM_DATABASE_URL": f"sqlite://{tmp_path / 'crm.sqlite3'}", "CRM_CACHE_URL": "memory://"}
    with serving("--demo", env=env) as base:
        body = httpx.post(f"{base}/graphql", json={"query": COUNTS}, timeout=10).json()
        assert "errors" not in body, body
        customers = body["data"]["customers"]
        assert customers["totalCount"] == 300
        assert len(customers["edges"]) == 3
        assert sum(e["node"]["orders"]["totalCount"] for e in customers["edges"]) > 0
        page = httpx.get(f"{base}/graphql", headers={"accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "/static/graphiql/" in page.text
    # Serving again reuses the file and does not duplicate the demo data.
    with serving("--demo", env=env) as base:
        body = httpx.post(f"{base}/graphql", json={"query": COUNTS}, timeout=10).json()
        assert body["data"]["customers"]["totalCount"] == 300


def test_serve_on_postgres_and_redis_is_configuration_only(
    empty_postgres_database: Callable[[], str], redis_url: str
) -> None:
    env = {"CRM_DATABASE_URL": empty_postgres_database(), "CRM_CACHE_URL": redis_url}
    with serving(env=env) as base:
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.json() == {"status": "ready", "database": "ok", "cache": "ok"}
        body = httpx.post(f"{base}/graphql", json={"query": COUNTS}, timeout=10).json()
        assert body == {"data": {"customers": {"totalCount": 0, "edges": []}}}
