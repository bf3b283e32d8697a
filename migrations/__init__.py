"""Alembic migrations of the ledger schema (installed as the package ledger._migrations)."""
