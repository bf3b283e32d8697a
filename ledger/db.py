"""Opening a database: URL handling, SQLite pragmas and write locks, driver errors at the boundary."""

from __future__ import annotations

import logging
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ledger.errors import LedgerConstraintError, LedgerDatabaseError, LedgerError, LockTimeoutError

DEFAULT_DATABASE = "ledger.db"
# Appends and rebuilds on PostgreSQL take this transaction-level advisory lock: one writer at a
# time, so seq has no gaps and the chain cannot fork. The first key is arbitrary but fixed
# ("LEDG"); the second is the hash of the schema, so that ledgers in two schemas of one database
# do not wait for each other.
APPEND_LOCK_KEY = 0x4C454447
# How long a writer waits for the write lock (PostgreSQL's advisory lock, SQLite's file lock).
LOCK_TIMEOUT_ENV = "LEDGER_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_S = 30.0
LOCK_NOT_AVAILABLE = "55P03"
_QUIET = logging.NullHandler()


def lock_timeout() -> float:
    """Seconds a writer waits for the write lock: LEDGER_LOCK_TIMEOUT, else 30."""
    value = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not value:
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds <= 86_400 and value.isascii()):
        raise LedgerError(
            f"{LOCK_TIMEOUT_ENV}: {value[:40]!r} is not a number of seconds "
            "(more than 0, at most 86400)"
        )
    return seconds


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
            return _with_error_boundary(_sqlite_engine(url))
        # psycopg logs a second copy of a lost connection's error while it abandons a COPY
        # ("error ignored terminating …"); the error itself still reaches the caller, which
        # reports it in one line, so the log record would only be a second, stray line.
        logging.getLogger("psycopg").addHandler(_QUIET)
        if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
            return _with_error_boundary(_postgres_engine(url))
        return _with_error_boundary(create_engine(url, pool_pre_ping=False))
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as error:
        raise LedgerError(f"--db: cannot use {url!r}: {error}") from None


def sqlite_file(target: Engine | URL | str) -> Path | None:
    """The file of a SQLite database given by path (an engine, a URL or its text); None for
    another backend, an in-memory database or a SQLite URI (`file:…`, which the driver reads)."""
    url = target.url if isinstance(target, Engine) else make_url(target)
    database = url.database
    if (
        url.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        return None
    return Path(database)


def _on_read_only_medium(url: str) -> Path | None:
    """The file of a SQLite URL when it lies on a read-only file system (a read-only mount, a
    snapshot): SQLite cannot create the WAL index there, so it must be opened read-only."""
    path = sqlite_file(url)
    if path is None:
        return None
    try:
        return path if path.is_file() and os.statvfs(path).f_flag & os.ST_RDONLY else None
    except OSError:
        return None


def _sqlite_engine(url: str) -> Engine:
    timeout = lock_timeout()
    read_only = _on_read_only_medium(url)
    if read_only is not None:
        # Nobody can write the file (the medium is read-only), so SQLite may treat it as
        # immutable and read it without locks or a WAL index; a WAL file left beside it with
        # content still needs reading through, which mode=ro does.
        wal = read_only.with_name(read_only.name + "-wal")
        flags = "mode=ro" if wal.exists() and wal.stat().st_size else "mode=ro&immutable=1"
        uri = f"file:{quote(str(read_only.resolve()))}?{flags}"
        engine = create_engine(
            url,
            creator=lambda: sqlite3.connect(
                uri, uri=True, timeout=timeout, check_same_thread=False
            ),
        )
    else:
        engine = create_engine(url, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if read_only is None:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={max(1, int(timeout * 1000))}")
        cursor.execute("PRAGMA synchronous=FULL")
        # A page cache of up to 64 MiB (SQLite's default is 2 MiB): an import into a log of a
        # million events writes into indexes of tens of MB (event_id's is in random order),
        # and with the default most of its page reads go back to the file (16% of the time of
        # an import at 400k events). Memory is taken only as pages are read.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection):
        # A writer takes the write lock at BEGIN, so two writers never both read the same head.
        immediate = connection.get_execution_options().get("ledger_write", False)
        if immediate and read_only is not None:
            from ledger.errors import LedgerReadOnlyError

            raise LedgerReadOnlyError(f"{read_only} is on a read-only file system")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def read_snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one snapshot of the database, however many statements
    they take: PostgreSQL's REPEATABLE READ (its default, READ COMMITTED, takes a new snapshot
    per statement); SQLite's WAL read transaction already is one."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    return connection


@contextmanager
def write_transaction(engine: Engine, *, commit: bool = True) -> Iterator[Connection]:
    """One transaction that holds the write lock from its start: appends and rebuilds exclude
    each other. Committed when the block ends (rolled back instead when `commit` is false, or on
    any error). Waiting for the lock longer than lock_timeout() raises LockTimeoutError."""
    with engine.connect().execution_options(ledger_write=True) as connection:
        try:
            transaction = connection.begin()
        except LedgerDatabaseError as error:
            if "locked" in error.reason or "busy" in error.reason:
                raise LockTimeoutError(
                    f"the database is locked by another writer: waited {lock_timeout():g} s "
                    f"({LOCK_TIMEOUT_ENV}); try again later"
                ) from None
            raise
        try:
            lock_for_append(connection)
            yield connection
            if commit:
                transaction.commit()
        finally:
            if transaction.is_active:
                transaction.rollback()


def lock_for_append(connection: Connection) -> None:
    """Serialize writers. SQLite already holds the write lock (BEGIN IMMEDIATE). PostgreSQL takes
    the advisory lock of this schema, waiting at most lock_timeout(); the wait happens in a
    savepoint, so that after a timeout the transaction can still ask who holds the lock."""
    if connection.dialect.name != "postgresql":
        return
    timeout = lock_timeout()
    savepoint = connection.begin_nested()
    try:
        # Transaction-local: every lock wait of this write transaction is bounded.
        connection.execute(
            text("SELECT set_config('lock_timeout', :ms, true)"),
            {"ms": f"{max(1, int(timeout * 1000))}ms"},
        )
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
            {"key": APPEND_LOCK_KEY},
        )
    except LedgerDatabaseError as error:
        if error.sqlstate != LOCK_NOT_AVAILABLE:
            raise
        savepoint.rollback()
        raise LockTimeoutError(
            f"the append lock is held by {lock_holder(connection)}: waited "
            f"{timeout:g} s ({LOCK_TIMEOUT_ENV}); try again later"
        ) from None
    savepoint.commit()


def lock_holder(connection: Connection) -> str:
    """Who holds this schema's append lock, as far as pg_locks and pg_stat_activity tell."""
    row = connection.execute(
        text(
            "SELECT l.pid, a.application_name, a.usename, a.state FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = CAST(:key AS oid) "
            "AND l.objid = CAST(hashtext(current_schema()) AS oid) AND l.objsubid = 2 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "LIMIT 1"
        ),
        {"key": APPEND_LOCK_KEY},
    ).first()
    if row is None:
        return "another session (it let go just now)"
    details = [f"pid {row.pid}"]
    if row.application_name:
        details.append(f"application_name {row.application_name[:64]!r}")
    if row.usename:
        details.append(f"user {row.usename!r}")
    if row.state:
        details.append(f"state {row.state!r}")
    return ", ".join(details)


def describe_url(engine: Engine) -> str:
    """The engine's URL for a message: never its password, in the user part or the query."""
    from ledger.redact import hide_password

    return hide_password(engine.url.render_as_string(hide_password=True))


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
    if (
        connection.exec_driver_sql("SELECT current_setting('transaction_read_only')").scalar()
        == "on"
    ):
        from ledger.errors import LedgerReadOnlyError

        raise LedgerReadOnlyError()


# -- the error boundary --------------------------------------------------------------------------


def _with_error_boundary(engine: Engine) -> Engine:
    """Every driver error raised through this engine (connecting, SQLAlchemy statements,
    exec_driver_sql, commits) leaves the library as a LedgerDatabaseError: one place, SQLAlchemy's
    handle_error event, rather than a try/except around each statement."""
    event.listen(engine, "handle_error", _translate)
    return engine


def _translate(context: ExceptionContext) -> LedgerDatabaseError | None:
    if context.sqlalchemy_exception is None or not isinstance(
        context.original_exception, Exception
    ):
        return None  # not the driver's error (one of ours raised in an event, an interrupt)
    return database_error(context.original_exception)


# The SQLSTATEs of the ledger's own role triggers (ledger.privileges): controllers, bound actors.
ROLE_REFUSALS = ("LDC01", "LDA01")


def database_error(error: BaseException) -> LedgerDatabaseError:
    """The LedgerDatabaseError for a driver's exception (or SQLAlchemy's wrapper of one): its
    first line as the reason; LedgerConstraintError when a constraint or a type refused a row.
    Also used where the driver is called directly (PostgreSQL's COPY)."""
    orig = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    reason = lines[0] if lines else type(orig).__name__
    if getattr(orig, "sqlstate", None) in ROLE_REFUSALS:
        # The controller and bound-actor triggers (ledger.privileges): their line says it all.
        return LedgerDatabaseError(reason, orig=orig, context="refused by the database")
    names = {kind.__name__ for kind in type(orig).__mro__}
    kind = LedgerConstraintError if names & {"IntegrityError", "DataError"} else LedgerDatabaseError
    return kind(reason, orig=orig)


def make_read_only(engine: Engine) -> Engine:
    """Make every later connection of the engine read-only, so that nothing run through it can
    write, whatever a bug asks: SQLite's `PRAGMA query_only`, PostgreSQL's read-only session
    default (which a hot standby already enforces). Pooled connections are dropped first, so no
    connection opened before escapes it."""

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()
        cursor.close()

    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "begin")
        def _read_only_transaction(connection: Connection):
            # Each transaction too, as the first statement (a pooler in transaction mode may hand
            # out a server session without the default). Through the driver's own cursor: the
            # connection's options may ask for a server-side cursor, which only takes a query.
            driver_connection = connection.connection.dbapi_connection
            assert driver_connection is not None  # a connection in use has its driver's
            cursor = driver_connection.cursor()
            try:
                cursor.execute("SET TRANSACTION READ ONLY")
            finally:
                cursor.close()

    engine.dispose()
    return engine
