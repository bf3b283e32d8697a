"""The database refuses a row of the log whose seq is below 1. Stored events are
not touched.

PostgreSQL gets a CHECK constraint. When the table already holds such a row (someone wrote it
before this revision), the constraint is added NOT VALID: it holds for every new row, the
upgrade does not fail, and `ledger verify` names the old row. SQLite cannot add a CHECK to an
existing table, so a BEFORE INSERT trigger refuses the row there, and a seq that is not stored
as an integer as well.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_GUARD = """CREATE TRIGGER events_refuse_seq_below_one BEFORE INSERT ON events
   WHEN typeof(NEW.seq) <> 'integer' OR NEW.seq < 1
   BEGIN SELECT RAISE(ABORT, 'the events table refuses a seq below 1 or not an integer'); END"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(SQLITE_GUARD)
        return
    stray = bind.execute(sa.text("SELECT EXISTS (SELECT 1 FROM events WHERE seq < 1)")).scalar()
    op.execute(
        "ALTER TABLE events ADD CONSTRAINT ck_events_seq_positive CHECK (seq >= 1)"
        + (" NOT VALID" if stray else "")
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER events_refuse_seq_below_one")
    else:
        op.execute("ALTER TABLE events DROP CONSTRAINT ck_events_seq_positive")
