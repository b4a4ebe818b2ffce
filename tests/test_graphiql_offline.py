"""GraphiQL served from the vendored assets, with no CDN: checked statically and in a cut-off Chromium."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from strawberry.http.ides import get_graphql_ide_html

from crm_graphql import graphiql
from crm_graphql.graphiql import STATIC_DIR, STATIC_URL, graphiql_page

APP = "crm_graphql.app:create_app"
CHECK_SCRIPT = Path(__file__).parents[1] / "scripts" / "check_graphiql_offline.py"
ASSET = re.compile(r'(?:src|href)="(?P<url>[^"]*)"(?:\s+integrity="(?P<integrity>[^"]*)")?')


def sri(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_page_loads_every_asset_from_static_dir() -> None:
    page = graphiql_page()
    assert "unpkg" not in page
    assets = [m for m in ASSET.finditer(page) if not m["url"].startswith("data:")]
    assert len(assets) == 7
    for asset in assets:
        assert asset["url"].startswith(f"{STATIC_URL}/"), asset["url"]
        path = STATIC_DIR / asset["url"].removeprefix(f"{STATIC_URL}/")
        assert path.is_file(), path
        assert asset["integrity"] == sri(path), path.name


def test_page_refuses_a_template_with_other_assets(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = get_graphql_ide_html("graphiql").replace("graphiql@3.8.3", "graphiql@9.9.9")
    monkeypatch.setattr(graphiql, "get_graphql_ide_html", lambda ide: changed)
    graphiql_page.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=re.escape("graphiql@3.8.3")):
            graphiql_page()
    finally:
        graphiql_page.cache_clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    """A real uvicorn serving the real app on a free loopback port."""
    port = free_port()
    env = {**os.environ, "CRM_DATABASE_URL": f"sqlite:///{tmp_path}/t.sqlite3"}
    command = [sys.executable, "-m", "uvicorn", "--factory", APP, "--host", "127.0.0.1", "--port", str(port)]
    with (tmp_path / "uvicorn.log").open("w+") as output:
        server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                if server.poll() is not None:
                    output.seek(0)
                    pytest.fail(f"uvicorn exited with code {server.returncode}:\n{output.read()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail("uvicorn did not start listening within 30s")
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}/graphql"
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs a chromium binary")
def test_graphiql_runs_a_query_with_no_network(server_url: str) -> None:
    check = subprocess.run(
        [sys.executable, str(CHECK_SCRIPT), "--url", server_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, f"{check.stdout}\n{check.stderr}"
