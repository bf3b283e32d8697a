"""The tamper-evident hash chain: canonical JSON and the hash of each event."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import IO, Any

import orjson

from ledger.errors import IntegrityError, LedgerError

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "event_id",
    "type",
    "effective",
    "recorded_at",
    "actor",
    "reason",
    "payload",
)
# What `export events` writes: the hashed fields, then the chain's two links.
EXPORT_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash")
SEQ_CELL = re.compile(r"[1-9][0-9]*")
# The envelope's formats: an event_id as str(uuid.UUID) writes it, dates as
# YYYY-MM-DD, recorded_at as YYYY-MM-DDTHH:MM:SS.ffffffZ (fixed width, so text order is time order).
UUID_CELL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DATE_CELL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RECORDED_AT_CELL = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z"
)
# How far a recorded_at may lie ahead of the clock of whoever checks it (two machines' clocks).
CLOCK_SKEW = timedelta(seconds=1)


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is: what an auditor's json.dumps writes too.

    orjson writes the same bytes for the values (strings, integers, booleans, null,
    lists and objects of them; tests/test_canonical_properties.py holds it to that) several times
    faster. Anything else is left to json.dumps, which is the definition: floats (orjson spells
    some differently), integers beyond 64 bits, lone surrogates and non-string keys (orjson
    refuses the last three)."""
    if _orjson_domain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # orjson.JSONEncodeError
            pass
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_SCALARS = frozenset((str, int, bool, type(None)))


def _orjson_domain(value: Any) -> bool:
    """True when value is built of exactly str, int, bool, None, dict, list and tuple. A flat
    object (a payload) is checked in one pass over its values' types."""
    kind = type(value)
    if kind is dict:
        values = value.values()
        return _SCALARS.issuperset(map(type, values)) or all(map(_orjson_domain, values))
    if kind in _SCALARS:
        return True
    if kind is list or kind is tuple:
        return all(map(_orjson_domain, value))
    return False


# is_canonical runs for every row verify reads: json.dumps builds a new encoder on each call,
# which costs as much as the encoding, so the C encoder is built once here (same settings).
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_encode = (
    c_make_encoder(None, None, encode_basestring, None, ":", ",", True, False, True)
    if c_make_encoder is not None
    else None
)


def is_canonical(text: str) -> bool:
    """True when text is exactly canonical(json.loads(text)): no whitespace, sorted keys, no key
    twice, the shortest escapes. A duplicated key is caught too, since json.loads keeps only
    the last one and the text written back is then shorter.

    orjson answers first, for a text that reads as a value of the domain where it writes what
    json.dumps writes (tests/test_canonical_properties.py): a text that is exactly orjson's
    writing of its own value is then json.dumps's writing of it too. Any other text (not
    canonical, or with floats, huge integers, NaN) is judged by the standard library."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    else:
        if _orjson_domain(value):
            try:
                if orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode() == text:
                    return True
            except TypeError:
                pass
    try:
        value, end = _scan(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return False
    if end != len(text):
        return False
    try:
        written = "".join(_encode(value, 0)) if _encode is not None else canonical(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return written == text


def event_hash(prev_hash: str, envelope: dict[str, Any]) -> str:
    """hash(n) = sha256_hex(prev_hash(n) + "\\n" + canonical(E(n)))."""
    hashed = {name: envelope[name] for name in HASHED_FIELDS}
    return hashlib.sha256(f"{prev_hash}\n{canonical(hashed)}".encode()).hexdigest()


def _plain(text: str) -> bool:
    """True when json.dumps(text) is just text in quotes: printable ASCII, no quote, no backslash."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _string(text: str) -> str:
    return f'"{text}"' if _plain(text) else json.dumps(text, ensure_ascii=False)


def chain_hash(
    prev_hash: str,
    seq: int,
    event_id: str,
    type: str,
    effective: str,
    recorded_at: str,
    actor: str,
    reason: str | None,
    payload_text: str,
) -> str:
    """event_hash for an event whose payload is already canonical JSON text (as stored): the
    same canonical envelope, written directly, keys in sorted order. One test covers the plain
    text nearly every event holds; anything else is escaped field by field as json.dumps does."""
    if _plain(f"{actor}{effective}{event_id}{recorded_at}{type}{reason or ''}"):
        reason_json = "null" if reason is None else f'"{reason}"'
        envelope = (
            f'{{"actor":"{actor}","effective":"{effective}","event_id":"{event_id}",'
            f'"payload":{payload_text},"reason":{reason_json},"recorded_at":"{recorded_at}",'
            f'"seq":{seq},"type":"{type}"}}'
        )
    else:
        envelope = (
            f'{{"actor":{_string(actor)},"effective":{_string(effective)},'
            f'"event_id":{_string(event_id)},"payload":{payload_text},'
            f'"reason":{"null" if reason is None else _string(reason)},'
            f'"recorded_at":{_string(recorded_at)},"seq":{seq},"type":{_string(type)}}}'
        )
    return hashlib.sha256(f"{prev_hash}\n{envelope}".encode()).hexdigest()


def event_digest(type: str, effective: str, payload: dict[str, Any]) -> str:
    """The digest of an event: sha256_hex(canonical({"type", "effective", "payload"})), the
    payload in its stored form (defaults filled). It names one version of one event: what an
    approval is bound to. `effective` is the date as text (YYYY-MM-DD)."""
    text = canonical({"type": type, "effective": effective, "payload": payload})
    return hashlib.sha256(text.encode()).hexdigest()


class EnvelopeCheck:
    """The envelope's formats, row after row: event_id a UUID, type a known type,
    effective a real date, recorded_at in its format and not later than the moment the check
    began (within CLOCK_SKEW). Each call gives the problem of one row, or None. Cheap per row:
    patterns, and a date parsed once per distinct day."""

    def __init__(self, now: datetime | None = None):
        from ledger.events import PAYLOAD_TYPES

        self.types = frozenset(PAYLOAD_TYPES)
        moment = (now or datetime.now(UTC)).astimezone(UTC) + CLOCK_SKEW
        self.latest = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._days: set[str] = set()

    def _real_day(self, text: str) -> bool:
        if text in self._days:
            return True
        if not DATE_CELL.fullmatch(text):
            return False
        try:
            date.fromisoformat(text)
        except ValueError:
            return False
        if len(self._days) < 100_000:
            self._days.add(text)
        return True

    def __call__(self, event_id, type_, effective, recorded_at) -> str | None:
        if not (type(event_id) is str and UUID_CELL.fullmatch(event_id)):
            return f"event_id {str(event_id)[:40]!r} is not a UUID in its stored form"
        if type_ not in self.types:
            return f"type {str(type_)[:40]!r} is not a known event type"
        if not (type(effective) is str and self._real_day(effective)):
            return f"effective {str(effective)[:40]!r} is not a real date (YYYY-MM-DD)"
        matched = RECORDED_AT_CELL.fullmatch(recorded_at) if type(recorded_at) is str else None
        if matched is None or not self._real_day(matched.group(1)):
            return (
                f"recorded_at {str(recorded_at)[:40]!r} is not a UTC time "
                "YYYY-MM-DDTHH:MM:SS.ffffffZ"
            )
        if recorded_at > self.latest:
            return (
                f"recorded_at {recorded_at} is later than the moment of the check "
                f"({self.latest[:19]}Z, one second of clock skew allowed)"
            )
        return None


# Problems of an event's content rather than of the chain's links: a hash computed by its writer
# can cover them, so they are reported as what `verify --deep` explains.
ENVELOPE_PROBLEMS = ("event_id ", "type ", "effective ", "recorded_at ")


@dataclass(frozen=True)
class ChainReport:
    """What a verification found: how many events, the head hash, and the first broken seq."""

    count: int
    head: str
    broken_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(envelopes: Iterable[dict[str, Any]]) -> ChainReport:
    """Re-check seq (1, 2, 3 … without gaps), prev_hash links, each hash and the order of
    recorded_at, streaming: each envelope needs `prev_hash` and `hash` besides the hashed fields."""
    expected_prev = GENESIS_HASH
    last_recorded = ""
    count = 0
    for envelope in envelopes:
        count += 1
        seq = envelope["seq"]
        if seq != count:
            return ChainReport(count - 1, expected_prev, seq, f"expected seq {count}, found {seq}")
        if envelope["prev_hash"] != expected_prev:
            return ChainReport(
                count - 1, expected_prev, seq, "prev_hash does not match the hash before it"
            )
        if event_hash(expected_prev, envelope) != envelope["hash"]:
            return ChainReport(
                count - 1, expected_prev, seq, "hash does not match the event's content"
            )
        if envelope["recorded_at"] < last_recorded:
            return ChainReport(count - 1, expected_prev, seq, "recorded_at goes back in time")
        last_recorded = envelope["recorded_at"]
        expected_prev = envelope["hash"]
    return ChainReport(count, expected_prev)


def verify_rows(rows: Iterable[tuple]) -> ChainReport:
    """verify_chain for stored rows (seq, event_id, type, effective, recorded_at, actor, reason,
    payload, prev_hash, hash), the payload as its stored text: hashed as stored, and it must be
    the canonical text of its own JSON (a writer who computes the hash could store another
    spelling, or a key twice)."""
    expected_prev = GENESIS_HASH
    last_recorded = ""
    count = 0
    envelope_problem = EnvelopeCheck()
    for (
        seq,
        event_id,
        type_,
        effective,
        recorded_at,
        actor,
        reason,
        payload,
        prev_hash,
        digest,
    ) in rows:
        count += 1
        problem = None
        if seq != count:
            problem = (
                "a second row claims this seq"
                if seq == count - 1
                else f"expected seq {count}, found {seq}"
            )
        elif prev_hash != expected_prev:
            problem = "prev_hash does not match the hash before it"
        elif (
            chain_hash(
                expected_prev, seq, event_id, type_, effective, recorded_at, actor, reason, payload
            )
            != digest
        ):
            problem = "hash does not match the event's content"
        elif recorded_at < last_recorded:
            problem = "recorded_at goes back in time"
        elif not is_canonical(payload):
            problem = "the payload is not canonical JSON (sorted keys, no spaces)"
        else:
            problem = envelope_problem(event_id, type_, effective, recorded_at)
        if problem is not None:
            return ChainReport(count - 1, expected_prev, seq, problem)
        last_recorded = recorded_at
        expected_prev = digest
    return ChainReport(count, expected_prev)


def read_export(stream: IO[str], source: str = "export") -> Iterator[tuple]:
    """The rows of an export of `ledger export events`, each yielded only once it verifies, in
    the shape of a stored row (seq, event_id, type, effective, recorded_at, actor, reason,
    payload, prev_hash, hash), the payload as its cell's text and the actor and reason as
    stored (an empty reason is None). Checked: the header is exactly the export's columns, ten
    cells a row, seq cells plain ASCII digits reading 1, 2, 3 …, actor and reason cells exactly
    as the formula guard writes them, each payload cell exactly canonical(json.loads(cell)), the
    envelope's formats, and the chain's links, hashes and recorded_at order: what verify_rows
    checks of stored rows. Anything else raises IntegrityError naming the seq, the file and the
    line; a file without events raises LedgerError. Open the stream with newline="" (and
    encoding "utf-8-sig" to allow a byte order mark)."""
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader, None)
        if header is None or tuple(header) != EXPORT_COLUMNS:
            raise LedgerError(
                f"{source}: not an export of `ledger export events` (the header differs)"
            )
        expected_prev = GENESIS_HASH
        last_recorded = ""
        count = 0
        envelope_problem = EnvelopeCheck()
        for cells in reader:
            count += 1
            problem, row = _export_row(cells, count, expected_prev, last_recorded)
            if row is not None:
                problem = envelope_problem(row[1], row[2], row[3], row[4])
            if problem is not None:
                # The seq the row claims, when that is what is wrong with it.
                seq = (
                    repr(cells[0][:24])
                    if problem.startswith("the seq")
                    else cells[0]
                    if problem.startswith("expected")
                    else count
                )
                raise IntegrityError(
                    f"seq {seq}: {problem} ({source} line {reader.line_num}; "
                    f"{count - 1} events before it verify)"
                )
            assert row is not None
            last_recorded, expected_prev = row[4], row[9]
            yield row
    except csv.Error as error:
        raise LedgerError(f"{source}: line {reader.line_num}: malformed CSV ({error})") from None
    if count == 0:
        raise LedgerError(f"{source}: the export holds no events (only its header)")


def _export_row(
    cells: list[str], seq: int, expected_prev: str, last_recorded: str
) -> tuple[str | None, tuple | None]:
    """(None, the stored row) for a row of an export that verifies as seq, else (the problem,
    None)."""
    if len(cells) != len(EXPORT_COLUMNS):
        return f"{len(cells)} cells, not {len(EXPORT_COLUMNS)}", None
    seq_cell, event_id, type_, effective, recorded_at, actor, reason, payload, prev_hash, digest = (
        cells
    )
    if not (seq_cell.isascii() and SEQ_CELL.fullmatch(seq_cell)):
        return "the seq cell is not plain ASCII digits", None
    if int(seq_cell) != seq:
        return f"expected seq {seq}, found {seq_cell[:24]}", None
    stored_actor, stored_reason = unguard(actor), unguard(reason) or None
    if guard(stored_actor) != actor or guard(stored_reason) != reason:
        return "the actor or reason cell is not as the formula guard writes it", None
    if not is_canonical(payload):
        return "the payload cell is not canonical JSON (sorted keys, no spaces)", None
    if prev_hash != expected_prev:
        return "prev_hash does not match the hash before it", None
    row = (
        seq,
        event_id,
        type_,
        effective,
        recorded_at,
        stored_actor,
        stored_reason,
        payload,
        prev_hash,
        digest,
    )
    if chain_hash(expected_prev, *row[:8]) != digest:
        return "hash does not match the event's content", None
    if recorded_at < last_recorded:
        return "recorded_at goes back in time", None
    return None, row


def verify_export_stream(stream: IO[str], source: str = "export") -> ChainReport:
    """read_export to its end: the report of a file that verifies (else the error it raises)."""
    return chain_report(read_export(stream, source))


def chain_report(rows: Iterable[tuple]) -> ChainReport:
    """The report of stored rows whose chain was checked as they were yielded (read_export
    raises on the first that breaks it): their count and head."""
    count, head = 0, GENESIS_HASH
    for row in rows:
        count, head = row[0], row[9]
    return ChainReport(count, head)


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def guard(text: str | None) -> str:
    """The CSV formula guard: one more leading ' on text a spreadsheet could run as a formula."""
    if not text:
        return ""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def unguard(text: str) -> str:
    return text[1:] if text.startswith("'") else text
