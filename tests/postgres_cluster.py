"""Private PostgreSQL clusters in a temporary directory, for tests that stop, restart or replicate one.

The machine's own PostgreSQL is never touched. Every command has a timeout, and a cluster is
stopped (immediately) on exit whatever happened, so a failing test cannot leave a server behind.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from tests.conftest import require_service
from tests.test_server import free_port

COMMAND_TIMEOUT = 60


def _bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    path = Path(found.stdout.strip())
    return path if (path / "initdb").is_file() and (path / "pg_basebackup").is_file() else None


def _owner() -> str | None:
    """The user the server runs as: PostgreSQL refuses to run as root, so root runs it as `postgres`."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    return "postgres"


class Cluster:
    """One server: its data directory, port and log."""

    def __init__(self, bindir: Path, data: Path, port: int) -> None:
        self.bindir, self.data, self.port = bindir, data, port
        self.log = data.with_suffix(".log")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://root@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """The URL as asyncpg spells it."""
        return f"postgresql://root@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str) -> str:
        """A new, empty database on this cluster; returns its URL."""
        connection = await asyncpg.connect(self.dsn())
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return self.url(name)

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        owner = _owner()
        if owner:
            runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") or "runuser"
            command = [runuser, "-u", owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        if done.returncode:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr}\n{log}")

    def start(self, *settings: str) -> None:
        options = ["-p", str(self.port), "-k", str(self.data.parent), "-c", "listen_addresses=127.0.0.1"]
        options += ["-c", "fsync=off", "-c", "full_page_writes=off"]  # a test cluster: no crash safety needed
        for setting in settings:
            options += ["-c", setting]
        options_text = " ".join(options)
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-o", options_text, "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def replica(self, name: str) -> Cluster:
        """A streaming replica of this (running) cluster, from a base backup, started."""
        standby = Cluster(self.bindir, self.data.parent / name, free_port())
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "root",
            "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        standby.start("hot_standby=on")
        return standby


@contextmanager
def private_primary() -> Iterator[Cluster]:
    """A new, started primary in a temporary directory; it and its replicas are stopped and removed on exit."""
    bindir = _bindir()
    require_service("PostgreSQL's server programs (initdb, pg_basebackup)", bindir is not None)
    assert bindir is not None
    # Not under pytest's tmp_path: the server's user must be able to reach the directory.
    with tempfile.TemporaryDirectory(prefix="crm-pg-") as name:
        root = Path(name)
        owner = _owner()
        if owner:
            shutil.chown(root, user=owner)
        primary = Cluster(bindir, root / "primary", free_port())
        primary.run("initdb", "-D", str(primary.data), "-A", "trust", "-U", "root", "--no-sync")
        try:
            primary.start()
            yield primary
        finally:
            for data in root.iterdir():
                if (data / "postmaster.pid").exists():
                    Cluster(bindir, data, 0).stop("immediate")
