"""Signed deltas on order changes: each order_changes row carries its order's supplier, currency
and placement day and the difference the change made to the order's value and units when it was
recorded; `orders_replayed` names the orders whose changes stopped arriving in date order. The
budget and share totals then add up deltas instead of folding every changed order. The log is not
touched.

Only derived tables change, so order_changes is dropped and created anew (the new columns have no
value an old row could keep); `ledger init` (the one place that upgrades) then rebuilds every read
model from the log, through the writer that computes the deltas for new events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from ledger.schema import Amount

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _code(name, **kwargs):
    return sa.Column(name, sa.String(64), **kwargs)


def upgrade() -> None:
    op.drop_table("order_changes")
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
        _code("supplier", nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("placed", sa.Date, nullable=False),
        sa.Column("value_delta", Amount, nullable=False),
        sa.Column("units_delta", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_order_changes"),
    )
    op.create_index(
        "ix_order_changes_order_id_effective_seq", "order_changes", ["order_id", "effective", "seq"]
    )
    op.create_index(
        "ix_order_changes_region_year_effective", "order_changes", ["region", "year", "effective"]
    )
    op.create_table(
        "orders_replayed",
        _code("order_id"),
        _code("region", nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("order_id", name="pk_orders_replayed"),
    )
    op.create_index(
        "ix_orders_replayed_region_year_seq", "orders_replayed", ["region", "year", "seq"]
    )


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not downgraded")
