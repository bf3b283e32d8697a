"""Replaying stored events into the read models: the one path of `rebuild`, `copy`, `restore`
and the reading side of `verify --deep`.

A stored row is its envelope and the payload's stored text. Replaying it takes, per batch of
rows: the payload parsed (orjson, the standard library for any text orjson refuses), brought to
the current version of its type (ledger.upcasting), read into its payload model, then the
read-model rows of ledger.projections.apply built from it and written with one executemany
(COPY on PostgreSQL) per table, through the store's writer.

Reading a payload still checks it: a log's hash proves the text unchanged since it was written,
not that its writer checked it (a writer who computes hashes itself can store a quantity of -5).
The check is the import's fast one (ledger.records): one pydantic-core validator over every
payload model, in Rust, which accepts exactly the payloads the model accepts and gives the
same values; a payload it does not take (an unknown field, a value out of range, a type without
a fast schema) goes through the model itself, so the outcome and the message are the model's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any, NamedTuple

import orjson

from ledger.errors import IntegrityError, LedgerError
from ledger.events import (
    PAYLOAD_TYPES,
    NewEvent,
    Payload,
    parse_actor,
    parse_event_id,
    parse_reason,
)
from ledger.log import log_pages

# Events read, checked and written together: the documents a batch names are read in one
# query per table, and each table's rows are written with one statement.
REPLAY_BATCH = 5000
Progress = Callable[[int], None]


class ReplayError(Exception):
    """A stored event that cannot be replayed: its seq and type, and what was wrong, as the
    exception that said so. `unreadable` when its payload, effective date or version cannot
    even be read (not JSON, not a date); else its content was refused."""

    def __init__(self, seq: int, event_type: str, error: BaseException, unreadable: bool):
        super().__init__(seq, event_type, error)
        self.seq, self.type, self.error, self.unreadable = seq, event_type, error, unreadable


# What refuses an event while it is read or replayed (pydantic's ValidationError is a
# ValueError; an unknown region a KeyError, an unknown order a TypeError on None).
REFUSALS = (ValueError, LookupError, TypeError, ArithmeticError, AttributeError)


def parse_json(text: str) -> Any:
    """The value of a stored JSON text, as json.loads reads it: orjson first (several times
    faster), the standard library for what orjson refuses (NaN, integers beyond 64 bits, lone
    surrogates), so that every text reads as it always did."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class Envelope(NamedTuple):
    """What the writer's replay reads of a stored event besides its payload."""

    seq: int
    type: str
    effective: date
    actor: str


class PayloadReader:
    """Stored payloads (dicts, in the stored form of their version) into payload models, checked.
    Make one per replay: it reads the registry of payload models (and its evolutions) as it is."""

    def __init__(self) -> None:
        from ledger.records import payload_validator

        self.models = dict(PAYLOAD_TYPES)
        self.versions = {event_type: model.version for event_type, model in self.models.items()}
        self.validator, keys = payload_validator()
        # Per type with a fast schema: the payload's own fields (the envelope's are not).
        self.fields = {
            event_type: frozenset(self.models[event_type].model_fields) for event_type in keys
        }

    def __call__(self, event_type: str, version: int, payload: Any) -> Payload:
        """The payload model of a stored payload: upcast, then checked. Raises what the model
        raises for a payload it refuses (an unknown type: KeyError; an old version without an
        upcaster to it, a newer version than this code: IntegrityError)."""
        if version != self.versions.get(event_type, version):
            from ledger.upcasting import upcast

            payload = upcast(event_type, version, payload)
        fields = self.fields.get(event_type)
        if fields is not None and type(payload) is dict and payload.keys() <= fields:
            try:
                return self.validator.validate_python({**payload, "type": event_type})
            except ValueError:  # pydantic_core.ValidationError: the model says why
                pass
        return self.models[event_type].model_validate(payload)

    def new_event(
        self,
        event_type: str,
        effective: date,
        payload: Any,
        *,
        actor: object,
        reason: object = None,
        event_id: object = None,
    ) -> NewEvent:
        """NewEvent.create for a stored event whose payload (in the stored form of the current
        version) is checked by the fast validator first: the same event, or the same error."""
        fields = self.fields.get(event_type)
        if (
            fields is not None
            and type(effective) is date
            and type(payload) is dict
            and payload.keys() <= fields
        ):
            try:
                model = self.validator.validate_python({**payload, "type": event_type})
            except ValueError:  # pydantic_core.ValidationError: create says why
                pass
            else:
                return NewEvent(
                    type=event_type,
                    effective=effective,
                    payload=model,
                    actor=parse_actor(actor),
                    reason=parse_reason(reason),
                    event_id=None if event_id in (None, "") else parse_event_id(event_id),
                )
        return NewEvent.create(
            event_type, effective, payload, actor=actor, reason=reason, event_id=event_id
        )

    def version_of(self, event_type: str, payload: Any) -> int:
        """The version of a payload whose version was not kept (a row of an audit export): the
        current one when the current model takes it, else what upcasting.infer_version says
        (which tries the newest first, so both agree)."""
        current = self.versions.get(event_type)
        if current is None or current == 1:
            return current or 1
        try:
            self(event_type, current, payload)
            return current
        except (ValueError, LookupError, TypeError, ArithmeticError):
            from ledger.upcasting import infer_version

            return infer_version(event_type, payload)


class Replay:
    """Replays stored rows into the read models of one write transaction (which holds the
    append lock), a batch at a time, through the store's writer (`ledger.store.Appender`
    without checks: rows gathered per table, order buckets summed, one write per table).

    A row is (seq, event_id, type, effective, recorded_at, actor, reason, payload, prev_hash,
    hash[, version]), the payload as its stored text and effective as text or a date. Without a
    version (an export's row), it is inferred from the payload's shape. With `write_events`, the
    rows themselves are also written to the log (copy and restore); with `known_codes`, every
    code an event names must be known to the log by then (a region opened, an order placed …).
    """

    def __init__(
        self,
        connection,
        *,
        write_events: bool = False,
        known_codes: bool = False,
        progress: Progress | None = None,
    ):
        from ledger.store import Appender

        self.appender = Appender(connection, None)
        self.write_events = write_events
        self.known_codes = known_codes
        self.progress = progress
        self.read = PayloadReader()
        self.count = 0

    def rows(self, rows: Iterable[Sequence], batch: int = REPLAY_BATCH) -> int:
        """Replay every row, in batches; the number of events replayed."""
        from ledger.store import batched

        for part in batched(rows, batch):
            self.batch(part)
        return self.count

    def batch(self, rows: Sequence[Sequence]) -> None:
        """Replay one batch of rows in seq order, then write its rows. Raises ReplayError for
        the first row that cannot be replayed."""
        appender = self.appender
        current = appender.current
        read = self.read
        days: dict[object, date] = {}
        parsed: list[tuple[Sequence, Any, date, int]] = []
        documents = []
        for row in rows:
            seq, type_, effective, payload_text = row[0], row[2], row[3], row[7]
            try:
                document = parse_json(payload_text)
                day = days.get(effective)
                if day is None:
                    day = days[effective] = (
                        effective if type(effective) is date else date.fromisoformat(effective)
                    )
            except (*REFUSALS, RecursionError) as error:
                raise ReplayError(seq, type_, error, unreadable=True) from None
            if len(row) > 10:
                version = row[10]
                if type(version) is not int:
                    problem = IntegrityError("version is not stored as an integer")
                    raise ReplayError(seq, type_, problem, unreadable=True)
            else:
                version = read.version_of(type_, document)
            parsed.append((row, document, day, version))
            if type(document) is dict:
                documents.append(document)
        # The documents the batch names (and their later life), in a few queries.
        current.prefetch_for(documents)
        buffer = appender.buffer
        events = self._events_table()
        for row, document, day, version in parsed:
            seq, type_ = row[0], row[2]
            try:
                if type(document) is not dict:
                    raise ValueError("payload: not a JSON object")
                payload = read(type_, version, document)
                if self.known_codes:
                    unknown = unknown_code(current, type_, payload)
                    if unknown:
                        raise LookupError(unknown)
                appender.replay(Envelope(seq, type_, day, row[5]), payload)
            except (*REFUSALS, LedgerError) as error:
                raise ReplayError(seq, type_, error, unreadable=False) from None
            if events is not None:
                # The row as stored: envelope and payload text as they were, and the version.
                buffer.add_tuple(events, (*row[:10], version))
        appender.end_batch()
        self.count += len(parsed)
        if self.progress is not None:
            self.progress(len(parsed))

    def _events_table(self):
        if not self.write_events:
            return None
        from ledger import schema

        return schema.events

    def flush(self) -> None:
        self.appender.flush()


def stored_rows(
    connection, *, upto_seq: int | None = None, batch: int = REPLAY_BATCH
) -> Iterator[tuple]:
    """The log's rows 1…upto_seq with their version, in seq order, a page at a time."""
    for page in log_pages(connection, upto_seq=upto_seq, batch=batch, with_version=True):
        yield from page


# -- the codes an event names -----------------------------------------------------------------------

# The payload field that an event of these types brings into being (not a reference to it).
_CREATES = {
    "region.opened": "region",
    "supplier.registered": "supplier",
    "order.placed": "order",
    "lease.signed": "lease",
    "invoice.received": "invoice",
}


def _reference_kind(name: str) -> str | None:
    if name == "region" or name.endswith("_region"):
        return "region"
    if name in ("supplier", "lessor"):
        return "supplier"
    if name in ("order", "lease", "invoice"):
        return name
    return None


# Per payload model: its fields that name a code the log must know, with what they name.
_REFERENCES: dict[type, tuple[tuple[str, str], ...]] = {}


def unknown_code(current, event_type: str, payload: Payload) -> str | None:
    """The first code the event names that the log does not know by then (a region not opened,
    a supplier not registered, an order not placed, a lease not signed, an invoice not
    received), as "field: problem"."""
    references = _REFERENCES.get(type(payload))
    if references is None:
        creates = _CREATES.get(event_type)
        references = _REFERENCES[type(payload)] = tuple(
            (name, kind)
            for name in type(payload).model_fields
            if name != creates and (kind := _reference_kind(name)) is not None
        )
    fields = payload.__dict__
    for name, kind in references:
        value = fields.get(name)
        if type(value) is not str:
            continue
        if kind == "region":
            known = value in current.regions
            verb = "opened"
        elif kind == "supplier":
            known = value in current.suppliers
            verb = "registered"
        elif kind == "order":
            known = current.order(value) is not None
            verb = "placed"
        elif kind == "lease":
            known = current.lease(value) is not None
            verb = "signed"
        else:
            known = current.invoice(value) is not None
            verb = "received"
        if not known:
            return f"{name}: {kind} {value!r} is not {verb}"
    return None


__all__ = [
    "REPLAY_BATCH",
    "Envelope",
    "PayloadReader",
    "Replay",
    "ReplayError",
    "parse_json",
    "stored_rows",
    "unknown_code",
]
