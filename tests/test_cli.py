"""The `crm-graphql` command, run as a user runs it: a real process on a real database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, database_url: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRM_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "crm_graphql", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def admin_key(database_url: str) -> str:
    """Migrate, then add an admin and an API key of theirs, as an operator does; returns the key."""
    for args in (("migrate",), ("users", "create", "--name", "Ops", "--email", "ops@example.com", "--role", "admin")):
        done = run(*args, database_url=database_url)
        assert done.returncode == 0, done.stderr
    issued = run("keys", "create", "--email", "ops@example.com", "--name", "tests", database_url=database_url)
    assert issued.returncode == 0, issued.stderr
    return re.findall(r"crm_[\w-]+", issued.stdout)[-1]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nosuchdb://somewhere/x", "cannot use database nosuchdb://somewhere/x"),
        ("postgres://root:secret@127.0.0.1:1/crm", "cannot use database postgres://root:***@127.0.0.1:1/crm"),
        ("sqlite:///no/such/directory/crm.sqlite3", "directory /no/such/directory does not exist"),
    ],
)
def test_bad_database_is_a_clear_message_not_a_traceback(url: str, expected: str) -> None:
    result = run("migrate", database_url=url)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr


def test_migrate_then_seed_once(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'crm.sqlite3'}"
    migrated = run("migrate", database_url=url)
    assert migrated.returncode == 0, migrated.stderr
    assert "applied migration 0001_initial" in migrated.stdout

    seeded = run("seed", "--customers", "20", database_url=url)
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded" in seeded.stdout and "20 customers" in seeded.stdout
    assert "Seeding demo data" in seeded.stderr  # the progress bar

    again = run("seed", "--customers", "20", database_url=url)
    assert again.returncode == 0, again.stderr
    assert "already present" in again.stdout and "20 customers" in again.stdout


def test_export_schema_prints_sdl(tmp_path: Path) -> None:
    result = run("export-schema", database_url=f"sqlite://{tmp_path / 'unused.sqlite3'}")
    assert result.returncode == 0
    assert result.stdout == (Path(__file__).with_name("schema.graphql")).read_text()
