"""The event log (append-only, guarded by triggers) and the read models beside it.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from ledger.schema import Amount

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _code(name, **kwargs):
    return sa.Column(name, sa.String(64), **kwargs)


def _effective_seq():
    return [
        sa.Column("effective", sa.Date, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    ]


SQLITE_GUARDS = [
    """CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'the events table is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'the events table is append-only: DELETE refused'); END""",
]

# ENABLE ALWAYS: the triggers fire even under session_replication_role = replica.
POSTGRES_GUARDS = [
    """CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'the events table is append-only: % refused', TG_OP;
       END $$""",
    """CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION events_refuse_change()""",
    """CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()""",
    "ALTER TABLE events ENABLE ALWAYS TRIGGER events_refuse_update_delete",
    "ALTER TABLE events ENABLE ALWAYS TRIGGER events_refuse_truncate",
]


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("effective", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.String(27), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_events"),
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
    )
    op.create_index("ix_events_type_effective", "events", ["type", "effective"])
    op.create_table(
        "regions",
        _code("region"),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *_effective_seq(),
        sa.PrimaryKeyConstraint("region", name="pk_regions"),
    )
    op.create_table(
        "suppliers",
        _code("supplier"),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        *_effective_seq(),
        sa.PrimaryKeyConstraint("supplier", name="pk_suppliers"),
    )
    op.create_table(
        "fx_rates",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        sa.Column("base", sa.String(3), nullable=False),
        sa.Column("quote", sa.String(3), nullable=False),
        sa.Column("rate", Amount, nullable=False),
        sa.Column("effective", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_fx_rates"),
    )
    op.create_index(
        "ix_fx_rates_base_quote_effective_seq", "fx_rates", ["base", "quote", "effective", "seq"]
    )
    op.create_table(
        "budgets",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        _code("region", nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount", Amount, nullable=False),
        sa.Column("effective", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_budgets"),
    )
    op.create_index(
        "ix_budgets_region_year_effective_seq", "budgets", ["region", "year", "effective", "seq"]
    )
    op.create_table(
        "orders",
        _code("order_id"),
        _code("region", nullable=False),
        _code("supplier", nullable=False),
        _code("sku", nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("unit_price", Amount, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("purpose", sa.String(16)),
        sa.Column("year", sa.Integer, nullable=False),
        *_effective_seq(),
        sa.PrimaryKeyConstraint("order_id", name="pk_orders"),
    )
    op.create_index("ix_orders_region_year_effective", "orders", ["region", "year", "effective"])
    op.create_index("ix_orders_region_effective", "orders", ["region", "effective"])
    op.create_table(
        "order_changes",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        _code("order_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("quantity", sa.BigInteger),
        sa.Column("unit_price", Amount),
        sa.Column("effective", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_order_changes"),
    )
    op.create_index(
        "ix_order_changes_order_id_effective_seq", "order_changes", ["order_id", "effective", "seq"]
    )
    op.create_table(
        "leases",
        _code("lease"),
        _code("region", nullable=False),
        _code("lessor", nullable=False),
        _code("sku", nullable=False),
        sa.Column("units", sa.BigInteger, nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("months", sa.Integer, nullable=False),
        sa.Column("monthly_payment", Amount, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *_effective_seq(),
        sa.PrimaryKeyConstraint("lease", name="pk_leases"),
    )
    op.create_index("ix_leases_region_effective", "leases", ["region", "effective"])
    op.create_table(
        "lease_payments",
        _code("lease"),
        sa.Column("k", sa.Integer, autoincrement=False),
        _code("region", nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount", Amount, nullable=False),
        sa.PrimaryKeyConstraint("lease", "k", name="pk_lease_payments"),
    )
    op.create_index("ix_lease_payments_region_year", "lease_payments", ["region", "year"])
    op.create_table(
        "lease_terminations",
        _code("lease"),
        sa.Column("fee", Amount, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        *_effective_seq(),
        sa.PrimaryKeyConstraint("lease", name="pk_lease_terminations"),
    )
    op.create_table(
        "lease_reviews",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        _code("lease", nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("operator", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reference", sa.Text),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("effective", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_lease_reviews"),
    )
    op.create_index(
        "ix_lease_reviews_lease_effective_seq", "lease_reviews", ["lease", "effective", "seq"]
    )
    op.create_table(
        "policies",
        sa.Column("seq", sa.BigInteger, autoincrement=False),
        sa.Column("policy", sa.String(32), nullable=False),
        _code("region", nullable=False),
        _code("subject", nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("threshold", Amount),
        sa.Column("basis", sa.String(8)),
        sa.Column("effective", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_policies"),
    )
    op.create_index(
        "ix_policies_region_policy_subject_effective_seq",
        "policies",
        ["region", "policy", "subject", "effective", "seq"],
    )
    guards = POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the event log is never dropped by a migration")
