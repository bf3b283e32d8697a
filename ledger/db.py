"""Opening a database: URL handling, SQLite pragmas and write locks, driver errors at the boundary."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ledger.errors import LedgerError

DEFAULT_DATABASE = "ledger.db"
# Appends on PostgreSQL take this transaction-level advisory lock: one writer at a time, so
# seq has no gaps and the chain cannot fork. The number is arbitrary but fixed ("LEDG").
APPEND_LOCK_KEY = 0x4C454447
SQLITE_BUSY_TIMEOUT_S = 60


def database_url(value: str | os.PathLike | None) -> str:
    """A SQLAlchemy URL from --db / LEDGER_DB: a URL as is, a plain path as a SQLite file;
    postgresql:// means psycopg 3 (the driver the `postgres` extra installs)."""
    value = str(value) if value else os.environ.get("LEDGER_DB") or DEFAULT_DATABASE
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser()}"
    for prefix in ("postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def make_engine(value: str | os.PathLike | None = None) -> Engine:
    url = database_url(value)
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
            return _postgres_engine(url)
        return create_engine(url, pool_pre_ping=False)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise LedgerError(f"--db: cannot use {url!r}: {error}") from None


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection):
        # A writer takes the write lock at BEGIN, so two writers never both read the same head.
        immediate = connection.get_execution_options().get("ledger_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def lock_for_append(connection: Connection) -> None:
    """Serialize appends: SQLite already holds the write lock (BEGIN IMMEDIATE)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})


def describe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)



def _postgres_engine(url: str) -> Engine:
    # No server-side prepared statements: behind a pooler in transaction mode (PgBouncer) the
    # next transaction may run on another server connection, where a statement the driver
    # prepared earlier does not exist, or one of another client's has the same name.
    engine = create_engine(url, pool_pre_ping=False, connect_args={"prepare_threshold": None})
    event.listen(engine, "begin", _refuse_read_only)
    return engine


def _refuse_read_only(connection: Connection) -> None:
    """At the start of every write transaction (appends, rebuilds, copies: the connections that
    carry `ledger_write`), refuse a database that could not commit it — a hot standby, or a role
    or session whose transactions are read-only — with one clear line, before anything runs."""
    if not connection.get_execution_options().get("ledger_write", False):
        return
    if connection.exec_driver_sql("SELECT current_setting('transaction_read_only')").scalar() == "on":
        from ledger.errors import LedgerReadOnlyError

        raise LedgerReadOnlyError()
