"""The log as a listing (`ledger log`): the rows of stored events filtered by type, effective
dates, region, document and knowledge limit, streamed in seq order; and how many events lie
outside a set of event ids (`demo` on a ledger that holds other events)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy import ColumnElement, Connection, Engine, Row, func, or_, select

from ledger import schema
from ledger.reads.limits import Knowledge

LOG_BATCH = 1000  # rows per fetch while the log streams


def names_document(connection: Connection, document: str) -> ColumnElement[bool]:
    """The condition of `log --id DOCUMENT`: the payload names it in one of its document fields."""
    from ledger.kinds import ID_FIELDS  # each event type names the code fields of its subject
    from ledger.reads.touching import payload_has

    return or_(*(payload_has(connection, field, document) for field in ID_FIELDS))


def log_listing(
    engine: Engine,
    *,
    types: tuple[str, ...] = (),
    effective_from: date | None = None,
    effective_to: date | None = None,
    region: str | None = None,
    document: str | None = None,
    knowledge: Knowledge = Knowledge(),
    limit: int | None = None,
    after_seq: int | None = None,
) -> Iterator[Row]:
    """The `events` rows matching every filter given, yielded as they are read (a server-side cursor on
    PostgreSQL), so that a long listing starts at once and holds one batch in memory. A region
    keeps the events that touch it and those that name it as their region (its opening and
    period events)."""
    from ledger.reads.touching import about_region, could_be_about

    events = schema.events
    query = select(events).order_by(events.c.seq)
    if types:
        query = query.where(events.c.type.in_(types))
    if effective_from:
        query = query.where(events.c.effective >= effective_from)
    if effective_to:
        query = query.where(events.c.effective <= effective_to)
    if knowledge.upto_seq is not None:
        query = query.where(events.c.seq <= knowledge.upto_seq)
    if after_seq is not None:
        query = query.where(events.c.seq > after_seq)
    if limit and not region:
        query = query.limit(limit)
    with engine.connect() as connection:
        if region:
            query = query.where(could_be_about(connection, region, knowledge.upto_seq))
        if document:
            query = query.where(names_document(connection, document))
        result = connection.execution_options(yield_per=LOG_BATCH).execute(query)
        if not region:
            yield from result
            return
        # Whether an amendment or a payment touches the region depends on its document: decided
        # per batch, looked up on a second connection while the first streams.
        left = limit or None
        with engine.connect() as lookups:
            about = about_region(lookups, region, knowledge.upto_seq)
            for rows in result.partitions(LOG_BATCH):
                for row in about(rows):
                    yield row
                    if left is not None:
                        left -= 1
                        if left == 0:
                            return


def events_other_than(connection: Connection, event_ids: Iterable[str]) -> int:
    """How many events of the log have an event_id outside the given ones."""
    events = schema.events
    wanted = sorted(set(event_ids))
    return connection.execute(
        select(func.count()).select_from(events).where(events.c.event_id.not_in(wanted))
    ).scalar_one()
