"""Rebuilding every read model from the log alone, and checking the maintained ones against it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from ledger import schema
from ledger.errors import IntegrityError, LedgerError
from ledger.projections.apply import OrderBuckets
from ledger.stored import StoredEvent

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
    events: Iterable[StoredEvent],
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
) -> RebuildReport:
    """Empty the read models and replay the log into them, in seq order, in this transaction,
    through the same writer as appends (without the checks: the log is what it is). An event
    whose content the read models cannot take (a hash computed by its writer over a quantity of
    -5 or an unknown region) raises IntegrityError naming its seq. `progress(done, total)` is
    told after each batch (total: the number of events, 0 when not known)."""
    from ledger.store import Appender, batched

    for table in reversed(schema.READ_MODELS):
        connection.execute(table.delete())
    appender = Appender(connection, None)
    appender.buckets = OrderBuckets(0)
    count = 0
    for batch in batched(events, REPLAY_BATCH):
        appender.current.prefetch_for(
            event.payload for event in batch if isinstance(event.payload, dict)
        )
        for event in batch:
            try:
                appender.replay(event)
            except (
                LedgerError,
                ValueError,
                LookupError,
                TypeError,
                ArithmeticError,
                AttributeError,
            ) as error:
                # pydantic's ValidationError is a ValueError; an unknown region a KeyError.
                reason = (
                    str(error).strip().splitlines()[0]
                    if str(error).strip()
                    else type(error).__name__
                )
                raise IntegrityError(
                    f"seq {event.seq}: {event.type} cannot be replayed ({reason[:200]}); "
                    "`ledger verify --deep` names the rule it breaks"
                ) from None
        appender.end_batch()
        count += len(batch)
        if progress is not None:
            progress(count, total)
    rows = sum(
        connection.execute(select(func.count()).select_from(table)).scalar()
        for table in schema.READ_MODELS
    )
    return RebuildReport(count, rows)


def compare(connection: Connection) -> tuple[str, ...]:
    """The read models as rebuilt against the snapshot, as sets of rows (order does not
    matter), compared by the database itself so that memory stays flat at any size."""
    differences = []
    for table in schema.READ_MODELS:
        name = table.name

        def count(query: str) -> int:
            return connection.exec_driver_sql(
                f"SELECT count(*) FROM ({query}) AS difference"
            ).scalar()

        extra = count(f"SELECT * FROM before_{name} EXCEPT SELECT * FROM {name}")
        missing = count(f"SELECT * FROM {name} EXCEPT SELECT * FROM before_{name}")
        if missing or extra:
            differences.append(
                f"{name}: {extra} rows not derivable from the log, {missing} rows missing"
            )
    return tuple(differences)
