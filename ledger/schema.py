"""SQLAlchemy Core tables: the event log and the read models maintained beside it.

Every read-model row carries the `seq` of the event that produced it and the `effective` date of
that event, so any (as-of date, knowledge limit) pair is answered by filtering on those two
columns. Amounts are exact: NUMERIC on PostgreSQL, canonical decimal text on SQLite.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

from ledger.money import canonical_decimal

# The alembic revision this code expects; tests check it is the migrations' head.
SCHEMA_REVISION = "0009"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Amount(TypeDecorator):
    """An exact decimal: NUMERIC where the database has it, canonical text on SQLite."""

    impl = String(48)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric())
        return dialect.type_descriptor(String(48))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return value
        return canonical_decimal(Decimal(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


def code(name: str, **kwargs) -> Column:
    return Column(name, String(64), **kwargs)


events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("effective", Date, nullable=False),
    Column("recorded_at", String(27), nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # The version of the event type's payload model that wrote the payload (ledger.upcasting).
    # Not part of the hash or of an export (SPEC §2.2, §5 fix those): it says how to read the
    # payload, not what happened.
    Column("version", SmallInteger, nullable=False, server_default=text("1")),
    Index(None, "type", "effective"),
)

regions = Table(
    "regions",
    metadata,
    code("region", primary_key=True),
    Column("name", Text, nullable=False),
    Column("country", String(2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

suppliers = Table(
    "suppliers",
    metadata,
    code("supplier", primary_key=True),
    Column("name", Text, nullable=False),
    Column("country", String(2), nullable=False),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("base", String(3), nullable=False),
    Column("quote", String(3), nullable=False),
    Column("rate", Amount, nullable=False),
    Column("effective", Date, nullable=False),
    Index(None, "base", "quote", "effective", "seq"),
)

budgets = Table(
    "budgets",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    code("region", nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("effective", Date, nullable=False),
    Index(None, "region", "year", "effective", "seq"),
)

orders = Table(
    "orders",
    metadata,
    code("order_id", primary_key=True),
    code("region", nullable=False),
    code("supplier", nullable=False),
    code("sku", nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit_price", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("purpose", String(16)),
    Column("year", Integer, nullable=False),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "region", "effective"),
    Index(None, "region", "year", "seq"),
    # The orders a restriction policy names (compliance): one supplier or sku from a date on.
    Index(None, "region", "supplier", "effective"),
    Index(None, "region", "sku", "effective"),
)

# Amendments and cancellations; a cancellation has kind 'cancelled' and no values. Each carries
# its order's region, year, supplier, currency and placement day, so a report finds the changed
# orders of a region and year directly, and the signed difference the change made to the order's
# value (in the order's currency) and units when it was recorded: the state after it less the
# state before it, both folded over the order's changes then known in (effective, seq) order.
# While an order's changes arrive in date order, the ones visible at any (as-of, upto-seq) are a
# prefix of them in seq order, so their deltas add up to the order now less the order as placed.
order_changes = Table(
    "order_changes",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    code("order_id", nullable=False),
    code("region", nullable=False),
    Column("year", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("quantity", BigInteger),
    Column("unit_price", Amount),
    Column("effective", Date, nullable=False),
    code("supplier", nullable=False),
    Column("currency", String(3), nullable=False),
    Column("placed", Date, nullable=False),
    Column("value_delta", Amount, nullable=False),
    Column("units_delta", BigInteger, nullable=False),
    Index(None, "order_id", "effective", "seq"),
    Index(None, "region", "year", "effective"),
)

# Orders one of whose changes arrived back-dated (effective before an earlier change of the same
# order), with the seq of the first such change: from that seq on the order's deltas no longer add
# up, so a report that knows it folds the order's changes instead. Insert-only.
orders_replayed = Table(
    "orders_replayed",
    metadata,
    code("order_id", primary_key=True),
    code("region", nullable=False),
    Column("year", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "region", "year", "seq"),
)

# Orders as placed (before any change), summed per region, year, supplier, currency, day and
# block of BUCKET_SEQS seqs. A report adds up these few rows instead of every order: whole blocks
# below a knowledge limit's block, single orders within it. Orders in the region's own currency
# need no rate, so their day is the first of their month (fewer, bigger buckets) and the as-of
# month is read order by order; orders in another currency keep their day, whose rate converts
# the whole bucket.
BUCKET_SEQS = 4096
order_buckets = Table(
    "order_buckets",
    metadata,
    code("region", primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    code("supplier", primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("effective", Date, primary_key=True),
    Column("block", BigInteger, primary_key=True, autoincrement=False),
    Column("value", Amount, nullable=False),
    Column("units", Amount, nullable=False),
    Column("orders", Integer, nullable=False),
    Index(None, "region", "year", "effective"),
)

leases = Table(
    "leases",
    metadata,
    code("lease", primary_key=True),
    code("region", nullable=False),
    code("lessor", nullable=False),
    code("sku", nullable=False),
    Column("units", BigInteger, nullable=False),
    Column("start", Date, nullable=False),
    Column("months", Integer, nullable=False),
    Column("monthly_payment", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "region", "effective"),
)

# The payment schedule of each lease per year it touches: how many monthly payments fall due in
# that year (each the lease's monthly_payment, in the lease currency).
lease_years = Table(
    "lease_years",
    metadata,
    code("lease", primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    code("region", nullable=False),
    Column("payments", Integer, nullable=False),
    Index(None, "region", "year"),
)

lease_terminations = Table(
    "lease_terminations",
    metadata,
    code("lease", primary_key=True),
    Column("fee", Amount, nullable=False),
    Column("year", Integer, nullable=False),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

# What each lease event charges to each budget year, in the lease's currency, summed at
# write time like the signed deltas of order_changes. A signing's row of a year holds its payments
# due in the year: `monthly` (its monthly_payment) due in each month first_month…last_month on
# `due_day` (the start's day, clamped to the month's end); a termination's row, the payments due
# after it (`monthly` negative) and, in its own year, its `fee`. `amount` is the row's whole
# charge, monthly × months + fee: committed(R, Y) adds the amounts of the rows it can see, and the
# received layer counts the months already due. Each row keeps the key of its booked
# rate (currency, and `signed`, the signing day), so the sums are converted once per booking. A
# termination comes after its lease in the log and is dated on or after it, so its rows are never
# seen without the signing's.
lease_charges = Table(
    "lease_charges",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("year", Integer, primary_key=True, autoincrement=False),
    code("lease", nullable=False),
    code("region", nullable=False),
    Column("currency", String(3), nullable=False),
    Column("signed", Date, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("monthly", Amount, nullable=False),
    Column("first_month", SmallInteger),
    Column("last_month", SmallInteger),
    Column("due_day", SmallInteger, nullable=False),
    Column("fee", Amount, nullable=False),
    Column("effective", Date, nullable=False),
    Index(None, "region", "year", "effective"),
)

lease_reviews = Table(
    "lease_reviews",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    code("lease", nullable=False),
    Column("owner", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reference", Text),
    Column("actor", Text, nullable=False),
    Column("effective", Date, nullable=False),
    Index(None, "lease", "effective", "seq"),
)

# Every policy.changed event; `subject` is the supplier or sku that identifies the policy, or ''.
policies = Table(
    "policies",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("policy", String(32), nullable=False),
    code("region", nullable=False),
    code("subject", nullable=False),
    Column("mode", String(8), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("threshold", Amount),
    Column("basis", String(8)),
    Column("effective", Date, nullable=False),
    Column("tolerance", Amount),
    Index(None, "region", "policy", "subject", "effective", "seq"),
)

# Corrections of master data: the fields an update names (the others are null).
supplier_updates = Table(
    "supplier_updates",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    code("supplier", nullable=False),
    Column("name", Text),
    Column("country", String(2)),
    Column("effective", Date, nullable=False),
    Index(None, "supplier", "effective", "seq"),
)

region_updates = Table(
    "region_updates",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    code("region", nullable=False),
    Column("name", Text),
    Column("country", String(2)),
    Column("effective", Date, nullable=False),
    Index(None, "region", "effective", "seq"),
)

# The later life of an order or lease: receipts, invoices, voids and payments. Each row carries
# its document's region and the budget year it is charged to (an order's year; for a lease
# invoice, the year of the invoice's own date), so the spend layers of a region and year are
# read without a join.
receipts = Table(
    "receipts",
    metadata,
    code("receipt", primary_key=True),
    code("order_id", nullable=False),
    code("region", nullable=False),
    Column("year", Integer, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("reference", Text),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "order_id", "effective"),
    Index(None, "region", "year", "effective"),
)

invoices = Table(
    "invoices",
    metadata,
    code("invoice", primary_key=True),
    Column("kind", String(8), nullable=False),  # 'order' or 'lease'
    code("document", nullable=False),
    code("region", nullable=False),
    Column("year", Integer, nullable=False),
    code("supplier", nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("quantity", BigInteger),
    Column("reference", Text),
    Column("due", Date),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "document", "effective"),
    Index(None, "region", "year", "effective"),
)

invoice_voids = Table(
    "invoice_voids",
    metadata,
    code("invoice", primary_key=True),
    code("region", nullable=False),
    Column("year", Integer, nullable=False),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "region", "year", "effective"),
)

payments = Table(
    "payments",
    metadata,
    code("payment", primary_key=True),
    code("invoice", nullable=False),
    code("region", nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "invoice", "effective"),
    Index(None, "region", "year", "effective"),
)

budget_transfers = Table(
    "budget_transfers",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    code("from_region", nullable=False),
    code("to_region", nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", Amount, nullable=False),  # in from_region's currency
    Column("effective", Date, nullable=False),
    Index(None, "from_region", "year", "effective"),
    Index(None, "to_region", "year", "effective"),
)

approvals = Table(
    "approvals",
    metadata,
    code("approval", primary_key=True),
    Column("event_id", String(36), nullable=False),  # the approved event
    Column("digest", String(64), nullable=False),
    Column("actor", Text, nullable=False),
    Column("effective", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index(None, "event_id", unique=True),
)

READ_MODELS = (
    regions,
    suppliers,
    fx_rates,
    budgets,
    orders,
    order_changes,
    orders_replayed,
    order_buckets,
    leases,
    lease_years,
    lease_terminations,
    lease_charges,
    lease_reviews,
    policies,
    supplier_updates,
    region_updates,
    receipts,
    invoices,
    invoice_voids,
    payments,
    budget_transfers,
    approvals,
)


def fresh_statistics(connection: Connection, *, log: bool = True) -> None:
    """PostgreSQL: ANALYZE the read models (and, with `log`, the log) after a bulk write, in
    its transaction. Until autovacuum comes by, the planner would otherwise plan for tables as
    they were: for a log just imported it knows no statistics at all, and a year-end `query
    spend` of 1M events took 7–8 s instead of under one (a verify of a fresh copy took minutes).
    A login that does not own the tables is skipped by PostgreSQL with a warning. SQLite: no-op."""
    if connection.dialect.name != "postgresql":
        return
    for table in (events, *READ_MODELS) if log else READ_MODELS:
        connection.exec_driver_sql(f"ANALYZE {table.name}")
