"""Each stored event says which version of its type's payload model wrote it (ledger.upcasting).

Every event stored before this revision was written by version 1 of its type, which is the
column's default: adding it changes no stored row's text or hash (PostgreSQL keeps the default
in the catalogue, SQLite in the table's definition; neither rewrites the rows or fires the
triggers that refuse updates).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column("version", sa.SmallInteger(), nullable=False, server_default=sa.text("1")),
    )


def downgrade() -> None:
    op.drop_column("events", "version")
