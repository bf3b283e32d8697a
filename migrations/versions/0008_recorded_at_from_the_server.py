"""The append time belongs to the database (SPEC §2): on PostgreSQL a trigger refuses, for every
login but the owner of `events`, a row whose `recorded_at` is not a UTC time in the log's format,
is earlier than the recorded_at of the row before it, earlier than the start of its transaction,
or later than the server's clock, each with a skew of one second. The owner is exempt so that
`copy` and `restore` (which run as the owner) keep the recorded times of the events they move.
PUBLIC loses every right on the ledger's tables.

SQLite has no logins: its store refuses an append whose clock is behind the head instead.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The format of recorded_at, as the store writes it (to_char of the server's clock in UTC).
FORMAT = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""

GUARD = f"""CREATE FUNCTION events_guard_recorded_at() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head text;
BEGIN
  IF (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) = current_user THEN
    RETURN NEW;
  END IF;
  IF NEW.recorded_at IS NULL
     OR NEW.recorded_at !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\\.[0-9]{{6}}Z$' THEN
    RAISE EXCEPTION 'recorded_at %: not a UTC time YYYY-MM-DDTHH:MM:SS.ffffffZ; the store sets it',
      left(NEW.recorded_at, 40) USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.recorded_at > to_char((clock_timestamp() + interval '1 second') AT TIME ZONE 'UTC', {FORMAT}) THEN
    RAISE EXCEPTION 'recorded_at %: later than the server''s clock; the store sets it',
      NEW.recorded_at USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.recorded_at < to_char((transaction_timestamp() - interval '1 second') AT TIME ZONE 'UTC', {FORMAT}) THEN
    RAISE EXCEPTION 'recorded_at %: earlier than the start of its transaction; the store sets it',
      NEW.recorded_at USING ERRCODE = 'check_violation';
  END IF;
  SELECT recorded_at INTO head FROM events WHERE seq < NEW.seq ORDER BY seq DESC LIMIT 1;
  IF head IS NOT NULL AND NEW.recorded_at < head THEN
    RAISE EXCEPTION 'recorded_at %: earlier than the head''s (%); recorded_at never decreases',
      NEW.recorded_at, head USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(GUARD)
    op.execute(
        "CREATE TRIGGER events_guard_recorded_at BEFORE INSERT ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_guard_recorded_at()"
    )
    # ENABLE ALWAYS: the trigger fires even under session_replication_role = replica.
    op.execute("ALTER TABLE events ENABLE ALWAYS TRIGGER events_guard_recorded_at")
    for name in sa.inspect(bind).get_table_names():
        op.execute(f'REVOKE ALL ON "{name}" FROM PUBLIC')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER events_guard_recorded_at ON events")
    op.execute("DROP FUNCTION events_guard_recorded_at()")
