"""Rebuilding every read model from the log alone, and checking the maintained ones against it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from ledger import schema
from ledger.errors import IntegrityError

REPLAY_BATCH = 5000


@dataclass(frozen=True)
class RebuildReport:
    events: int
    rows: int
    differences: tuple[str, ...] = ()


def snapshot(connection: Connection) -> None:
    """Keep a copy of every read model in temporary tables of this transaction, for compare()."""
    for table in schema.READ_MODELS:
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE before_{table.name} AS SELECT * FROM {table.name}"
        )


def rebuild(
    connection: Connection,
    rows: Iterable[Sequence] | None = None,
    *,
    upto_seq: int | None = None,
    progress: Callable[[int], None] | None = None,
    exclusive: bool = False,
) -> RebuildReport:
    """Empty the read models and replay the log into them, in seq order, in this transaction,
    through the replay path of copy and restore (ledger.replay): the same row builders and
    writer as appends, without the entry checks (the log is what it is), each payload still
    checked against its model. `rows` are stored rows (ledger.replay.Replay); by default the
    log's own, 1…upto_seq. An event whose content the read models cannot take (a hash computed
    by its writer over a quantity of -5 or an unknown region) raises IntegrityError naming its
    seq. `progress`, when given, is called with the number of events of each batch replayed.
    `exclusive`: the read models may be held exclusively until the transaction ends (see
    _empty), which a rebuild that commits allows and a check does not."""
    from ledger.projections.apply import OrderBuckets
    from ledger.replay import Replay, ReplayError, stored_rows

    _empty(connection, exclusive)
    replay = Replay(connection, progress=progress)
    replay.appender.buckets = OrderBuckets(0)
    if rows is None:
        rows = stored_rows(connection, upto_seq=upto_seq, batch=REPLAY_BATCH)
    try:
        count = replay.rows(rows, REPLAY_BATCH)
    except ReplayError as error:
        raise _refused(error) from None
    # Fresh statistics for the tables just refilled, as after a copy: the planner's estimates
    # otherwise still describe the rows this transaction deleted.
    schema.fresh_statistics(connection, log=False)
    rows_written = sum(
        connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in schema.READ_MODELS
    )
    return RebuildReport(count, rows_written)


# How long a rebuild waits for readers to let go of the read models before it empties them row
# by row instead.
TRUNCATE_WAIT_MS = 2000


def _empty(connection: Connection, exclusive: bool) -> None:
    """Empty every read model. On PostgreSQL, with `exclusive` and the right to, by TRUNCATE:
    deleting row by row keeps every old row in the tables (and their indexes) until the
    transaction ends, so the replay writes into tables twice their size, and the deletions
    themselves are a third of the write-ahead log of a rebuild. TRUNCATE holds the tables
    exclusively until the rebuild commits, so queries wait for it meanwhile (a DELETE lets them
    read the old rows); when a reader holds them longer than TRUNCATE_WAIT_MS, or the login may
    not truncate, the rows are deleted instead."""
    tables = list(reversed(schema.READ_MODELS))
    if exclusive and connection.dialect.name == "postgresql" and _may_truncate(connection):
        from ledger.db import LOCK_NOT_AVAILABLE
        from ledger.errors import LedgerDatabaseError

        waits = connection.exec_driver_sql("SHOW lock_timeout").scalar()
        savepoint = connection.begin_nested()
        try:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {TRUNCATE_WAIT_MS}")
            connection.exec_driver_sql(f"TRUNCATE {', '.join(table.name for table in tables)}")
        except LedgerDatabaseError as error:
            savepoint.rollback()
            if error.sqlstate != LOCK_NOT_AVAILABLE:
                raise
        else:
            savepoint.commit()
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{waits}'")
            return
    for table in tables:
        connection.execute(table.delete())


def _may_truncate(connection: Connection) -> bool:
    names = [table.name for table in schema.READ_MODELS]
    return bool(
        connection.exec_driver_sql(
            "SELECT bool_and(has_table_privilege(name, 'TRUNCATE')) FROM unnest(%s::text[]) AS name",
            (names,),
        ).scalar()
    )


def _refused(error) -> IntegrityError:
    """The one line of a rebuild for an event it cannot replay."""
    if error.unreadable:
        if isinstance(error.error, IntegrityError):
            return IntegrityError(f"seq {error.seq}: {error.error}")
        return IntegrityError(
            f"seq {error.seq}: the effective date or the payload cannot be read; "
            "run `ledger verify`"
        )
    text = str(error.error).strip()
    reason = text.splitlines()[0] if text else type(error.error).__name__
    return IntegrityError(
        f"seq {error.seq}: {error.type} cannot be replayed ({reason[:200]}); "
        "`ledger verify --deep` names the rule it breaks"
    )


def compare(connection: Connection) -> tuple[str, ...]:
    """The read models as rebuilt against the snapshot, as sets of rows (order does not
    matter), compared by the database itself so that memory stays flat at any size."""
    differences = []
    for table in schema.READ_MODELS:
        name = table.name

        def count(query: str) -> int:
            return connection.exec_driver_sql(
                f"SELECT count(*) FROM ({query}) AS difference"
            ).scalar_one()

        extra = count(f"SELECT * FROM before_{name} EXCEPT SELECT * FROM {name}")
        missing = count(f"SELECT * FROM {name} EXCEPT SELECT * FROM before_{name}")
        if missing or extra:
            differences.append(
                f"{name}: {extra} rows not derivable from the log, {missing} rows missing"
            )
    return tuple(differences)
