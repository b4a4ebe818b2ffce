"""Migration operations of our own, for gaps in Tortoise ORM 1.1.9's migration framework."""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


class AddCheckConstraint(ops.AddConstraint):
    """`AddConstraint` that keeps a SQLite table's indexes.

    SQLite cannot add a CHECK to an existing table, so Tortoise rebuilds the table; the rebuild
    drops every index the table had. Recreate them from the model state afterwards.
    """

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        await super().database_forward(app_label, old_state, new_state, state_editor)
        if state_editor is None or state_editor.DIALECT != "sqlite":
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        table_sql = state_editor._get_model_sql_data(model).table_sql
        for statement in table_sql.split(";"):
            statement = statement.strip()
            if statement.startswith("CREATE INDEX"):
                await state_editor._run_sql(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
