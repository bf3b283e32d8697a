"""Read models for the money's later life and for corrections: supplier and region updates,
receipts, invoices, voids, payments, budget transfers and approvals; and the `tolerance` setting of
a three-way-match policy.

Only new derived tables and one nullable column: an older log has no event of the new types, so
the new tables start empty and nothing needs rebuilding.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from ledger.schema import Amount

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _code(name, **kwargs):
    return sa.Column(name, sa.String(64), **kwargs)


def _seq():
    return sa.Column("seq", sa.BigInteger, nullable=False)


def _effective():
    return sa.Column("effective", sa.Date, nullable=False)


def _table(name, key, *columns, indexes=()):
    op.create_table(name, *columns, sa.PrimaryKeyConstraint(key, name=f"pk_{name}"))
    for index in indexes:
        op.create_index(f"ix_{name}_{'_'.join(index)}", name, list(index))


def upgrade() -> None:
    op.add_column("policies", sa.Column("tolerance", Amount))
    for name, key in (("supplier_updates", "supplier"), ("region_updates", "region")):
        _table(
            name,
            "seq",
            sa.Column("seq", sa.BigInteger, autoincrement=False),
            _code(key, nullable=False),
            sa.Column("name", sa.Text),
            sa.Column("country", sa.String(2)),
            _effective(),
            indexes=[(key, "effective", "seq")],
        )
    _table(
        "receipts",
        "receipt",
        _code("receipt"),
        _code("order_id", nullable=False),
        _code("region", nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.Text),
        _effective(),
        _seq(),
        indexes=[("order_id", "effective"), ("region", "year", "effective")],
    )
    _table(
        "invoices",
        "invoice",
        _code("invoice"),
        sa.Column("kind", sa.String(8), nullable=False),
        _code("document", nullable=False),
        _code("region", nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        _code("supplier", nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", Amount, nullable=False),
        sa.Column("quantity", sa.BigInteger),
        sa.Column("reference", sa.Text),
        sa.Column("due", sa.Date),
        _effective(),
        _seq(),
        indexes=[("document", "effective"), ("region", "year", "effective")],
    )
    _table(
        "invoice_voids",
        "invoice",
        _code("invoice"),
        _code("region", nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        _effective(),
        _seq(),
        indexes=[("region", "year", "effective")],
    )
    _table(
        "payments",
        "payment",
        _code("payment"),
        _code("invoice", nullable=False),
        _code("region", nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount", Amount, nullable=False),
        _effective(),
        _seq(),
        indexes=[("invoice", "effective"), ("region", "year", "effective")],
    )
    _table(
        "budget_transfers",
        "seq",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        _code("from_region", nullable=False),
        _code("to_region", nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount", Amount, nullable=False),
        _effective(),
        indexes=[("from_region", "year", "effective"), ("to_region", "year", "effective")],
    )
    _table(
        "approvals",
        "approval",
        _code("approval"),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        _effective(),
        _seq(),
    )
    op.create_index("ix_approvals_event_id", "approvals", ["event_id"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not downgraded")
