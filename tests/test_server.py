"""The real server: `crm-graphql serve` under uvicorn on loopback, as a user starts it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.test_cli import run

COUNTS = "{ customers(first: 3) { totalCount edges { node { name orders(first: 2) { totalCount } } } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    log: Path
    process: subprocess.Popen[str]

    def output(self) -> str:
        return self.log.read_text()

    def query(self, query: str, key: str) -> dict[str, object]:
        headers = {"authorization": f"Bearer {key}"}
        response = httpx.post(f"{self.base}/graphql", json={"query": query}, headers=headers, timeout=10)
        return dict(response.json())


@contextmanager
def serving(*args: str, env: dict[str, str], log: Path, ready_within: float = 120) -> Iterator[Server]:
    port = free_port()
    with (
        log.open("w") as output,
        subprocess.Popen(
            [sys.executable, "-m", "crm_graphql", "serve", "--port", str(port), *args],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process,
    ):
        server = Server(f"http://127.0.0.1:{port}", log, process)
        try:
            wait_until_up(process, server, ready_within)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert process.wait(timeout=20) in (0, -signal.SIGTERM)
            assert "Finished server process" in server.output(), server.output()


def wait_until_up(process: subprocess.Popen[str], server: Server, ready_within: float) -> None:
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        assert process.poll() is None, server.output()
        try:
            if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


def demo_key(server: Server) -> str:
    found = re.findall(r"^\s+(crm_[\w-]+)$", server.output(), flags=re.MULTILINE)
    assert found, server.output()
    return found[-1]


def test_serve_demo_on_embedded_sqlite(tmp_path: Path) -> None:
    env = {"CRM_DATABASE_URL": f"sqlite://{tmp_path / 'crm.sqlite3'}", "CRM_CACHE_URL": "memory://"}
    with serving("--demo", env=env, log=tmp_path / "first.log") as server:
        first_key = demo_key(server)
        body = server.query(COUNTS, first_key)
        assert "errors" not in body, body
        customers = body["data"]["customers"]  # type: ignore[index]
        assert customers["totalCount"] == 300
        assert len(customers["edges"]) == 3
        assert sum(e["node"]["orders"]["totalCount"] for e in customers["edges"]) > 0
        page = httpx.get(f"{server.base}/graphql", headers={"accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "/static/graphiql/" in page.text
        unauthenticated = httpx.post(f"{server.base}/graphql", json={"query": COUNTS}, timeout=10).json()
        assert unauthenticated["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Serving again reuses the file, does not duplicate the demo data, and replaces the demo key.
    with serving("--demo", env=env, log=tmp_path / "second.log") as server:
        assert server.query(COUNTS, demo_key(server))["data"]["customers"]["totalCount"] == 300  # type: ignore[index]
        refused = httpx.post(
            f"{server.base}/graphql", json={"query": COUNTS}, headers={"authorization": f"Bearer {first_key}"}
        )
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["message"] == "This API key has been revoked."


def test_serve_on_postgres_and_redis_is_configuration_only(
    tmp_path: Path, empty_postgres_database: Callable[[], str], redis_url: str
) -> None:
    database_url = empty_postgres_database()
    assert run("migrate", database_url=database_url).returncode == 0
    made = run(
        "users", "create", "--name", "Ops", "--email", "ops@example.com", "--role", "admin", database_url=database_url
    )
    assert made.returncode == 0, made.stderr
    issued = run("keys", "create", "--email", "ops@example.com", "--name", "ops", database_url=database_url)
    key = issued.stdout.strip().splitlines()[-1]
    env = {"CRM_DATABASE_URL": database_url, "CRM_CACHE_URL": redis_url}
    with serving(env=env, log=tmp_path / "server.log") as server:
        ready = httpx.get(f"{server.base}/readyz", timeout=10)
        assert ready.json() == {"status": "ready", "database": "ok", "cache": "ok"}
        assert server.query(COUNTS, key) == {"data": {"customers": {"totalCount": 0, "edges": []}}}
