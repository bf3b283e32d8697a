"""Indexes that find a region's orders of one supplier or one sku from a date on: the compliance
report's restriction policies read exactly those, and without them the database scanned every
order of the region from that date.

Only indexes are added: no stored event and no read-model row changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_orders_region_supplier_effective", "orders", ["region", "supplier", "effective"]
    )
    op.create_index("ix_orders_region_sku_effective", "orders", ["region", "sku", "effective"])


def downgrade() -> None:
    op.drop_index("ix_orders_region_sku_effective", "orders")
    op.drop_index("ix_orders_region_supplier_effective", "orders")
