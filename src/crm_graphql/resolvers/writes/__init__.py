"""Mutations' logic, one module per domain, all through the shared write path in `core`."""
