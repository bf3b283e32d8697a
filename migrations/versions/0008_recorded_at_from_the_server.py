"""The append time belongs to the database: on PostgreSQL a trigger refuses, for every
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

# One check per INSERT or COPY statement, over all its rows at once (a transition table): the
# owner's bulk copies pay one catalog lookup, not a function call per row.
# Its own search_path: a writer's session cannot put a table or function of its own (a temporary
# `pg_class`, say) in the place of the catalog's.
GUARD = f"""CREATE FUNCTION events_guard_recorded_at() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  bad record;
  head text;
BEGIN
  IF (SELECT pg_catalog.pg_get_userbyid(relowner) FROM pg_catalog.pg_class WHERE oid = TG_RELID)
     = current_user THEN
    RETURN NULL;
  END IF;
  SELECT seq, recorded_at INTO bad FROM inserted
   WHERE recorded_at IS NULL
      OR recorded_at !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\\.[0-9]{{6}}Z$'
   ORDER BY seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'seq %: recorded_at %: not a UTC time YYYY-MM-DDTHH:MM:SS.ffffffZ; the store sets it',
      bad.seq, left(bad.recorded_at, 40) USING ERRCODE = 'check_violation';
  END IF;
  SELECT seq, recorded_at INTO bad FROM inserted
   WHERE recorded_at > to_char((clock_timestamp() + interval '1 second') AT TIME ZONE 'UTC', {FORMAT})
   ORDER BY seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'seq %: recorded_at %: later than the server''s clock; the store sets it',
      bad.seq, bad.recorded_at USING ERRCODE = 'check_violation';
  END IF;
  SELECT seq, recorded_at INTO bad FROM inserted
   WHERE recorded_at < to_char((transaction_timestamp() - interval '1 second') AT TIME ZONE 'UTC', {FORMAT})
   ORDER BY seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'seq %: recorded_at %: earlier than the start of its transaction; the store sets it',
      bad.seq, bad.recorded_at USING ERRCODE = 'check_violation';
  END IF;
  -- The head before this statement's rows, read from the trigger's own table by its schema (a
  -- temporary table of the same name cannot stand in for it).
  EXECUTE format('SELECT recorded_at FROM %I.%I WHERE seq < $1 ORDER BY seq DESC LIMIT 1',
                 TG_TABLE_SCHEMA, TG_TABLE_NAME)
     INTO head USING (SELECT min(seq) FROM inserted);
  -- Along seq, each new row against the one before it (of this statement, or that head).
  SELECT n.seq, n.recorded_at, n.before INTO bad FROM (
      SELECT i.seq, i.recorded_at,
             coalesce(lag(i.recorded_at) OVER (ORDER BY i.seq), head) AS before
        FROM inserted AS i) AS n
   WHERE n.recorded_at < n.before ORDER BY n.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'seq %: recorded_at %: earlier than the head''s (%); recorded_at never decreases',
      bad.seq, bad.recorded_at, bad.before USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(GUARD)
    op.execute(
        "CREATE TRIGGER events_guard_recorded_at AFTER INSERT ON events "
        "REFERENCING NEW TABLE AS inserted "
        "FOR EACH STATEMENT EXECUTE FUNCTION events_guard_recorded_at()"
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
