"""A deterministic demo data set: ~18 months of CRM history up to a given day.

`vocabulary` holds the fixed names and tables, `plan` (with `activity`) draws every row in memory
from one seeded random source, and `store` writes them in a single transaction.
"""

from __future__ import annotations

from crm_graphql.demo.rows import DEMO_EXTERNAL_PREFIX
from crm_graphql.demo.store import SeedSummary, seed_demo

__all__ = ["DEMO_EXTERNAL_PREFIX", "SeedSummary", "seed_demo"]
