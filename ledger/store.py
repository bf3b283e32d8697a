"""The append-only store: serialized gapless appends, idempotency, the chain, reading the log.

One `Appender` lives for one write transaction. It holds the head (last seq, hash and
recorded_at) read under the write lock, so every append in the transaction extends it. Rows of
the log and of the read models are gathered and written one batch at a time, with one
`executemany` per table through the driver: the statements are the same for every row, so
there is nothing for SQLAlchemy to compile per row.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any, Protocol

from sqlalchemy import Boolean, Connection, Date, Engine, Table, select

from ledger import schema
from ledger.chain import chain_hash
from ledger.current import CurrentLog
from ledger.dates import as_date
from ledger.db import database_error, write_transaction
from ledger.errors import ClockError, ConflictError, IntegrityError
from ledger.events import NewEvent
from ledger.log import LOG_COLUMNS, chain_head, log_rows
from ledger.money import canonical_decimal
from ledger.projections.apply import OrderBuckets, read_model_rows
from ledger.sql import for_driver, markers, select_in
from ledger.stored import StoredEvent

Check = Callable[[CurrentLog, NewEvent], None]
# Rows gathered before they are written: a batch of an import, or fewer.
FLUSH_ROWS = 20_000


@dataclass(frozen=True)
class Appended:
    seq: int
    event_id: str
    already_recorded: bool = False


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` items (the last may be shorter): itertools.batched, before Python 3.12."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def utc_timestamp(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The server's clock in the log's format: on PostgreSQL the append time is the database's (SPEC
# §2), read inside the append transaction, which its trigger holds to the same clock.
SERVER_CLOCK = (
    "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
)
# How far an append's clock may be behind the head's recorded_at and still be stamped with the
# head's time (two writers' clocks a little apart); beyond it the append is refused.
CLOCK_SKEW = timedelta(seconds=1)


def _behind_by(recorded_at: str, head: str) -> timedelta:
    """How far recorded_at lies before head (both in the log's format)."""
    parse = "%Y-%m-%dT%H:%M:%S.%fZ"
    try:
        return datetime.strptime(head, parse) - datetime.strptime(recorded_at, parse)
    except ValueError:
        return timedelta.max  # a head not in the log's format: verify names it


class RowBuffer:
    """Rows per table, converted to what the driver stores, written with one executemany each."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.rows: dict[Table, list[tuple]] = {}
        self.count = 0
        self._sql: dict[Table, str] = {}
        self._makers: dict[Table, Callable[[dict], tuple]] = {}
        for table in (schema.events, *schema.READ_MODELS):
            names = [column.name for column in table.columns]
            self._sql[table] = (
                f"INSERT INTO {table.name} ({', '.join(names)}) "
                f"VALUES ({markers(connection, len(names))})"
            )
            self._makers[table] = self._row_maker(table)

    def _row_maker(self, table: Table) -> Callable[[dict], tuple]:
        """A function from a row dict to the stored tuple, written out once per table: it runs
        for every row of an import, where a generic loop over the columns costs as much as the
        insert itself. On SQLite, amounts become canonical decimal text, dates ISO text and
        booleans 0/1 (what SQLAlchemy's types store there); PostgreSQL's driver takes them as is."""
        cells = []
        for column in table.columns:
            cell = f"row.get({column.name!r})"
            if self.sqlite and isinstance(column.type, schema.Amount):
                cell = f"_amount({cell})"
            elif self.sqlite and isinstance(column.type, Date):
                cell = f"_day({cell})"
            elif self.sqlite and isinstance(column.type, Boolean):
                cell = f"_flag({cell})"
            cells.append(cell)
        source = f"def make(row):\n    return ({', '.join(cells)},)\n"
        namespace = {"_amount": _amount, "_day": _day, "_flag": _flag}
        exec(compile(source, f"<row maker for {table.name}>", "exec"), namespace)
        return namespace["make"]

    def add(self, table: Table, row: dict) -> None:
        self.rows.setdefault(table, []).append(self._makers[table](row))
        self.count += 1

    def add_tuple(self, table: Table, values: tuple) -> None:
        """A row already in the stored form, its values in the table's column order."""
        self.rows.setdefault(table, []).append(values)
        self.count += 1

    def update_buckets(self, rows: list[dict]) -> None:
        """Replace the sums of order buckets that already have a row."""
        if not rows:
            return
        make = self._makers[schema.order_buckets]
        self.connection.exec_driver_sql(
            for_driver(
                self.connection,
                "UPDATE order_buckets SET value = ?, units = ?, orders = ? "
                "WHERE region = ? AND year = ? AND supplier = ? AND currency = ? "
                "AND effective = ? AND block = ?",
            ),
            [(*stored[6:], *stored[:6]) for stored in map(make, rows)],
        )

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            if self.sqlite:
                self.connection.exec_driver_sql(self._sql[table], rows)
            else:
                self._copy(table, rows)
        self.rows = {}
        self.count = 0

    def _copy(self, table: Table, rows: list[tuple]) -> None:
        """PostgreSQL: COPY FROM STDIN, in the same transaction; several times faster than
        even a pipelined executemany, which still runs one INSERT per row on the server."""
        names = ", ".join(column.name for column in table.columns)
        driver = self.connection.connection.driver_connection
        assert driver is not None  # an open connection has its driver's connection
        cursor = driver.cursor()
        try:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except type(driver).Error as error:
            # The driver's own cursor, past SQLAlchemy's error boundary: translated here.
            raise database_error(error) from error
        finally:
            cursor.close()


def _amount(value):
    if value is None:
        return None
    return canonical_decimal(value if type(value) is Decimal else Decimal(value))


def _day(value):
    return value.isoformat() if isinstance(value, date) else value


def _flag(value):
    return None if value is None else int(value)


class Replayed(Protocol):
    """What a replay projects of an event in the log besides its payload (a StoredEvent, or the
    envelope the fast replay path reads)."""

    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def effective(self) -> date: ...
    @property
    def actor(self) -> str: ...


class Appender:
    """Appends events inside one transaction that holds the append lock."""

    def __init__(self, connection: Connection, check: Check | None):
        self.connection = connection
        self.check = check
        # The end of the contiguous chain from seq 1, not max(seq): a row someone put beyond it
        # (or at seq 0) is not part of the log, and verify names it.
        self.seq, self.hash, self.recorded_at = chain_head(connection)
        self.current = CurrentLog(connection)
        self.current.before_sql = self.flush
        self.buffer = RowBuffer(connection)
        self.buckets = OrderBuckets(self.seq)
        self.sqlite = self.buffer.sqlite
        # event_id → (seq, type, effective, payload text) of events recorded before, as read by
        # prefetch, and of events appended since, for the current batch.
        self._recorded: dict[str, tuple | IntegrityError | None] = {}
        self._timestamp: str | None = None

    def clock(self) -> str:
        """Now, in the log's format: the server's clock on PostgreSQL, this machine's on SQLite."""
        if self.sqlite:
            return utc_timestamp()
        now = self.connection.exec_driver_sql(SERVER_CLOCK).scalar()
        assert now is not None  # the clock query returns one row
        return now

    def prefetch(self, events: Iterable[NewEvent]) -> None:
        """Read in a few queries what the checks of these events will ask for."""
        events = list(events)
        ids = [
            event.event_id
            for event in events
            if event.event_id and event.event_id not in self._recorded
        ]
        for event_id in ids:
            self._recorded[event_id] = None
        for event_id, seq, type_, effective, payload in select_in(
            self.connection,
            "SELECT event_id, seq, type, effective, payload FROM events WHERE event_id",
            ids,
        ):
            try:
                self._recorded[event_id] = self._trusted(event_id, seq, type_, effective, payload)
            except IntegrityError as error:
                # Reported by append(), on the line of the event that carries this id.
                self._recorded[event_id] = error
        self.current.prefetch_for(event.payload for event in events)
        self.current.prefetch_approvals(event.event_id for event in events if event.event_id)
        # The events of a batch are recorded at the moment the batch is checked.
        self._timestamp = self.clock()

    def append(self, event: NewEvent) -> Appended:
        payload = event.payload
        payload_text = event.payload_text or payload.canonical_text()
        event_id = event.event_id
        if event_id is not None:
            existing = self._existing(event_id)
            if existing is not None:
                seq, type_, effective, stored_payload = existing
                if (type_, effective, stored_payload) != (
                    event.type,
                    event.effective,
                    payload_text,
                ):
                    raise ConflictError(
                        f"event_id: {event_id} is already recorded as seq {seq} "
                        "with a different type, effective date or payload"
                    )
                return Appended(seq, event_id, already_recorded=True)
        else:
            # Generated before the checks: a block-mode refusal names it, so that the same
            # event can be approved and sent again under it (SPEC §4.9).
            event_id = str(uuid.uuid4())
            event = _with_event_id(event, event_id)
        if self.check is not None:
            self.check(self.current, event)
        recorded_at = self._timestamp or self.clock()
        if recorded_at < self.recorded_at:
            if _behind_by(recorded_at, self.recorded_at) > CLOCK_SKEW:
                raise ClockError(
                    f"recorded_at: the clock reads {recorded_at}, more than a second before "
                    f"the head's recorded_at {self.recorded_at} (seq {self.seq}); an event is "
                    "never stamped into the future: fix the clock, then record it again"
                )
            recorded_at = self.recorded_at
        seq = self.seq + 1
        type_ = event.type
        effective = event.effective
        effective_text = effective.isoformat()
        digest = chain_hash(
            self.hash,
            seq,
            event_id,
            type_,
            effective_text,
            recorded_at,
            event.actor,
            event.reason,
            payload_text,
        )
        self.buffer.add_tuple(
            schema.events,
            (
                seq,
                event_id,
                type_,
                effective_text if self.sqlite else effective,
                recorded_at,
                event.actor,
                event.reason,
                payload_text,
                self.hash,
                digest,
                payload.version,
            ),
        )
        self._project(seq, effective, event.actor, payload)
        self.current.learn_event(seq, type_, payload)
        self.seq, self.hash, self.recorded_at = seq, digest, recorded_at
        self._recorded[event_id] = (seq, type_, effective, payload_text)
        if self.buffer.count >= FLUSH_ROWS:
            self.flush()
        return Appended(seq, event_id)

    def replay(self, event: StoredEvent | Replayed, payload: Any = None) -> None:
        """Add the read-model rows of an event already in the log (for a rebuild); `payload`,
        when given, is its typed payload already read."""
        if payload is None:
            assert isinstance(event, StoredEvent)  # only a stored event reads its own payload
            payload = event.typed_payload()
        self._project(event.seq, event.effective, event.actor, payload)
        self.current.learn_event(event.seq, event.type, payload)
        if self.buffer.count >= FLUSH_ROWS:
            self.flush()

    def _project(self, seq: int, effective: date, actor: str, payload) -> None:
        for table, row in read_model_rows(seq, effective, actor, payload, self.current):
            self.buffer.add(table, row)
            self.current.learn(table, row)
            if table is schema.orders:
                self.buckets.add(row, self.current.regions[row["region"]]["currency"])

    def flush(self) -> None:
        """Write every row gathered so far (still inside the transaction)."""
        inserts, updates = self.buckets.flush(self.connection)
        for row in inserts:
            self.buffer.add(schema.order_buckets, row)
        self.buffer.flush()
        self.buffer.update_buckets(updates)

    def end_batch(self) -> None:
        """After a batch of an import: write its rows and forget its lookups. (A flush within a
        batch, for a check that reads the read models with SQL, keeps them: what was read and
        appended is still true, and forgetting it would cost a query per event.)"""
        self.flush()
        self.current.forget_documents()
        self._recorded = {}
        self._timestamp = None

    def _existing(self, event_id: str) -> tuple | None:
        if event_id in self._recorded:
            found = self._recorded[event_id]
            if isinstance(found, IntegrityError):
                raise found
            return found
        row = self.connection.execute(
            select(
                schema.events.c.seq,
                schema.events.c.type,
                schema.events.c.effective,
                schema.events.c.payload,
            ).where(schema.events.c.event_id == event_id)
        ).first()
        return None if row is None else self._trusted(event_id, *row)

    def _trusted(self, event_id: str, seq, type_, effective, payload) -> tuple:
        """An event found by its event_id, if it is part of the chain (1 ≤ seq ≤ the head): a row
        outside the chain was never appended, so its event is not "already recorded"."""
        if type(seq) is not int or not 1 <= seq <= self.seq:
            raise IntegrityError(
                f"event_id: {event_id} is held by a row outside the chain (seq {seq!r}), "
                "not by a recorded event; run `ledger verify`"
            )
        if (
            type(type_) is not str
            or type(payload) is not str
            or not isinstance(effective, (str, date))
        ):
            raise IntegrityError(
                f"seq {seq}: a value of the wrong type is stored; run `ledger verify`"
            )
        try:
            return seq, type_, as_date(effective), payload
        except ValueError:
            raise IntegrityError(
                f"seq {seq}: effective is not a date; run `ledger verify`"
            ) from None


def _with_event_id(event: NewEvent, event_id: str) -> NewEvent:
    """The event with its generated event_id: a copy of its fields, a tenth of the cost of
    dataclasses.replace (which runs the constructor), for every line of an import without one."""
    new = object.__new__(NewEvent)
    new.__dict__.update(event.__dict__)
    new.__dict__["event_id"] = event_id
    return new


def row_to_event(row) -> StoredEvent:
    return StoredEvent(
        seq=row.seq,
        event_id=row.event_id,
        type=row.type,
        effective=as_date(row.effective),
        recorded_at=row.recorded_at,
        actor=row.actor,
        reason=row.reason,
        payload=json.loads(row.payload),
        prev_hash=row.prev_hash,
        hash=row.hash,
        version=row.version,
    )


class Store:
    """The log in one database: write transactions that append, and streaming reads."""

    def __init__(self, engine: Engine, check: Check):
        self.engine = engine
        self.check = check

    @contextmanager
    def appending(self) -> Iterator[Appender]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        with write_transaction(self.engine) as connection:
            appender = Appender(connection, self.check)
            yield appender
            appender.flush()

    def stream(
        self, connection: Connection, *, upto_seq: int | None = None, batch: int = 5000
    ) -> Iterator[StoredEvent]:
        """Every event in seq order, fetched in keyset pages so memory stays constant."""
        for row in log_rows(connection, upto_seq=upto_seq, batch=batch, with_version=True):
            values = dict(zip((*LOG_COLUMNS, "version"), row, strict=True))
            try:
                values["effective"] = date.fromisoformat(values["effective"])
                values["payload"] = json.loads(values["payload"])
            except (ValueError, RecursionError):
                raise IntegrityError(
                    f"seq {values['seq']}: the effective date or the payload cannot be "
                    "read; run `ledger verify`"
                ) from None
            if type(values["version"]) is not int:
                raise IntegrityError(f"seq {values['seq']}: version is not stored as an integer")
            yield StoredEvent(**values)
