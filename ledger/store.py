"""The append-only store: serialized gapless appends, idempotency, the chain, reading the log.

One `Appender` lives for one write transaction. It holds the head (last seq, hash and
recorded_at) read under the write lock, so every append in the transaction extends it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, select

from ledger import schema
from ledger.chain import GENESIS_HASH, canonical, event_hash
from ledger.db import lock_for_append
from ledger.errors import ConflictError
from ledger.events import NewEvent, StoredEvent

Check = Callable[[Connection, NewEvent], None]
Project = Callable[[Connection, StoredEvent, NewEvent], None]


@dataclass(frozen=True)
class Appended:
    seq: int
    event_id: str
    already_recorded: bool = False


def utc_timestamp(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Appender:
    """Appends events inside one transaction that holds the append lock."""

    def __init__(self, connection: Connection, check: Check, project: Project):
        self.connection = connection
        self.check = check
        self.project = project
        head = connection.execute(
            select(schema.events.c.seq, schema.events.c.hash, schema.events.c.recorded_at)
            .order_by(schema.events.c.seq.desc())
            .limit(1)
        ).first()
        self.seq, self.hash, self.recorded_at = head if head else (0, GENESIS_HASH, "")
        # event_ids appended in this transaction, for idempotency within one file
        self._pending: dict[str, StoredEvent] = {}

    def append(self, event: NewEvent) -> Appended:
        payload = event.payload.canonical()
        if event.event_id is not None:
            existing = self._existing(event.event_id)
            if existing is not None:
                if (existing.type, existing.effective, existing.payload) != (
                    event.type,
                    event.effective,
                    payload,
                ):
                    raise ConflictError(
                        f"event_id: {event.event_id} is already recorded as seq {existing.seq} "
                        "with a different type, effective date or payload"
                    )
                return Appended(existing.seq, existing.event_id, already_recorded=True)
        self.check(self.connection, event)
        recorded_at = max(utc_timestamp(), self.recorded_at)
        envelope = {
            "seq": self.seq + 1,
            "event_id": event.event_id or str(uuid.uuid4()),
            "type": event.type,
            "effective": event.effective.isoformat(),
            "recorded_at": recorded_at,
            "actor": event.actor,
            "reason": event.reason,
            "payload": payload,
        }
        digest = event_hash(self.hash, envelope)
        stored = StoredEvent(
            **{**envelope, "effective": event.effective},
            prev_hash=self.hash,
            hash=digest,
        )
        self.connection.execute(
            schema.events.insert(),
            {**envelope, "effective": event.effective, "payload": canonical(payload),
             "prev_hash": self.hash, "hash": digest},
        )
        self.project(self.connection, stored, event)
        self.seq, self.hash, self.recorded_at = stored.seq, digest, recorded_at
        self._pending[stored.event_id] = stored
        return Appended(stored.seq, stored.event_id)

    def _existing(self, event_id: str) -> StoredEvent | None:
        if event_id in self._pending:
            return self._pending[event_id]
        row = self.connection.execute(
            select(schema.events).where(schema.events.c.event_id == event_id)
        ).first()
        return None if row is None else row_to_event(row)


def row_to_event(row) -> StoredEvent:
    effective = row.effective
    if isinstance(effective, str):
        effective = date.fromisoformat(effective)
    return StoredEvent(
        seq=row.seq,
        event_id=row.event_id,
        type=row.type,
        effective=effective,
        recorded_at=row.recorded_at,
        actor=row.actor,
        reason=row.reason,
        payload=json.loads(row.payload),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class Store:
    """The log in one database: write transactions that append, and streaming reads."""

    def __init__(self, engine: Engine, check: Check, project: Project):
        self.engine = engine
        self.check = check
        self.project = project

    @contextmanager
    def appending(self) -> Iterator[Appender]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        with self.engine.connect().execution_options(ledger_write=True) as connection:
            with connection.begin():
                lock_for_append(connection)
                yield Appender(connection, self.check, self.project)

    def head(self, connection: Connection) -> tuple[int, str]:
        row = connection.execute(
            select(schema.events.c.seq, schema.events.c.hash).order_by(schema.events.c.seq.desc()).limit(1)
        ).first()
        return (row.seq, row.hash) if row else (0, GENESIS_HASH)

    def stream(
        self, connection: Connection, *, upto_seq: int | None = None, batch: int = 5000
    ) -> Iterator[StoredEvent]:
        """Every event in seq order, fetched in keyset pages so memory stays constant."""
        last = 0
        events = schema.events
        while True:
            query = select(events).where(events.c.seq > last).order_by(events.c.seq).limit(batch)
            if upto_seq is not None:
                query = query.where(events.c.seq <= upto_seq)
            rows = connection.execute(query).all()
            if not rows:
                return
            for row in rows:
                yield row_to_event(row)
            last = rows[-1].seq
