"""Lease charges summed at write time: one `lease_charges` row per lease signing or termination
and budget year it changes: its amount in the lease's currency, the months of the payments it
adds or removes and the fee, and the key of its booked rate. committed(region, year) and the
received layer then add a few amounts per booking instead of working out each lease's payments
and termination at every query. The log is not touched.

A new derived table only: `ledger init` (the one place that upgrades) rebuilds every read model
from the log after an upgrade, which fills it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from ledger.schema import Amount

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lease_charges",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        sa.Column("year", sa.Integer, autoincrement=False),
        sa.Column("lease", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("signed", sa.Date, nullable=False),
        sa.Column("amount", Amount, nullable=False),
        sa.Column("monthly", Amount, nullable=False),
        sa.Column("first_month", sa.SmallInteger),
        sa.Column("last_month", sa.SmallInteger),
        sa.Column("due_day", sa.SmallInteger, nullable=False),
        sa.Column("fee", Amount, nullable=False),
        sa.Column("effective", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("seq", "year", name="pk_lease_charges"),
    )
    op.create_index(
        "ix_lease_charges_region_year_effective", "lease_charges", ["region", "year", "effective"]
    )


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not downgraded")
