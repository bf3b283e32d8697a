"""Read models that keep reports fast on large ledgers: order buckets, lease years, and the region
and year of each order change. The log is not touched.

Only derived tables change, so they are dropped and created anew; `ledger init` (the one place
that upgrades) then rebuilds every read model from the log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from ledger.schema import Amount

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _code(name, **kwargs):
    return sa.Column(name, sa.String(64), **kwargs)


def upgrade() -> None:
    op.drop_table("lease_payments")
    op.drop_table("order_changes")
    # Reports now read orders per region and year through the buckets, and single orders by seq.
    op.drop_index("ix_orders_region_year_effective", table_name="orders")
    op.create_index("ix_orders_region_year_seq", "orders", ["region", "year", "seq"])
    op.create_table(
        "order_changes",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        _code("order_id", nullable=False),
        _code("region", nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("quantity", sa.BigInteger),
        sa.Column("unit_price", Amount),
        sa.Column("effective", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_order_changes"),
    )
    op.create_index(
        "ix_order_changes_order_id_effective_seq", "order_changes", ["order_id", "effective", "seq"]
    )
    op.create_index(
        "ix_order_changes_region_year_effective", "order_changes", ["region", "year", "effective"]
    )
    op.create_table(
        "order_buckets",
        _code("region"),
        sa.Column("year", sa.Integer, autoincrement=False),
        _code("supplier"),
        sa.Column("currency", sa.String(3)),
        sa.Column("effective", sa.Date),
        sa.Column("block", sa.BigInteger, autoincrement=False),
        sa.Column("value", Amount, nullable=False),
        sa.Column("units", Amount, nullable=False),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "region", "year", "supplier", "currency", "effective", "block", name="pk_order_buckets"
        ),
    )
    op.create_index(
        "ix_order_buckets_region_year_effective", "order_buckets", ["region", "year", "effective"]
    )
    op.create_table(
        "lease_years",
        _code("lease"),
        sa.Column("year", sa.Integer, autoincrement=False),
        _code("region", nullable=False),
        sa.Column("payments", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("lease", "year", name="pk_lease_years"),
    )
    op.create_index("ix_lease_years_region_year", "lease_years", ["region", "year"])


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not downgraded")
