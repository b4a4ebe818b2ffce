"""Trigram indexes for customer search on PostgreSQL (SQLite searches without an index).

The indexed expressions are the ones Tortoise generates for `icontains`, so the planner can use
them for `search` (`UPPER(CAST(col AS VARCHAR)) LIKE UPPER('%word%')`).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

COLUMNS = ("name", "email", "phone")


async def create_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    statements = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
        f'CREATE INDEX IF NOT EXISTS "idx_customers_{column}_trgm" ON "customers" '
        f'USING gin ((UPPER(CAST("{column}" AS VARCHAR))) gin_trgm_ops)'
        for column in COLUMNS
    ]
    await schema_editor.client.execute_script(";\n".join(statements))


async def drop_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    statements = [f'DROP INDEX IF EXISTS "idx_customers_{column}_trgm"' for column in COLUMNS]
    await schema_editor.client.execute_script(";\n".join(statements))


class Migration(migrations.Migration):
    dependencies = [("models", "0002_check_constraints")]

    operations = [ops.RunPython(create_indexes, drop_indexes)]
