"""The tamper-evident hash chain: canonical JSON and the hash of each event (SPEC §2.2 lives here)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
HASHED_FIELDS = ("seq", "event_id", "type", "effective", "recorded_at", "actor", "reason", "payload")


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is: what an auditor's json.dumps writes too."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
            return ChainReport(count - 1, expected_prev, seq, "prev_hash does not match the hash before it")
        if event_hash(expected_prev, envelope) != envelope["hash"]:
            return ChainReport(count - 1, expected_prev, seq, "hash does not match the event's content")
        if envelope["recorded_at"] < last_recorded:
            return ChainReport(count - 1, expected_prev, seq, "recorded_at goes back in time")
        last_recorded = envelope["recorded_at"]
        expected_prev = envelope["hash"]
    return ChainReport(count, expected_prev)


def verify_rows(rows: Iterable[tuple]) -> ChainReport:
    """verify_chain for stored rows (seq, event_id, type, effective, recorded_at, actor, reason,
    payload, prev_hash, hash), the payload as its stored canonical text: hashed as stored, so a
    payload rewritten into another spelling of the same JSON is caught too."""
    expected_prev = GENESIS_HASH
    last_recorded = ""
    count = 0
    for seq, event_id, type_, effective, recorded_at, actor, reason, payload, prev_hash, digest in rows:
        count += 1
        problem = None
        if seq != count:
            problem = f"expected seq {count}, found {seq}"
        elif prev_hash != expected_prev:
            problem = "prev_hash does not match the hash before it"
        elif chain_hash(expected_prev, seq, event_id, type_, effective, recorded_at, actor, reason,
                        payload) != digest:
            problem = "hash does not match the event's content"
        elif recorded_at < last_recorded:
            problem = "recorded_at goes back in time"
        if problem is not None:
            return ChainReport(count - 1, expected_prev, seq, problem)
        last_recorded = recorded_at
        expected_prev = digest
    return ChainReport(count, expected_prev)


def iter_export_envelopes(rows: Iterable[dict[str, str]]) -> Iterator[dict[str, Any]]:
    """Envelopes from the rows of `ledger export events`: undo the formula guard on actor and
    reason, read seq as a number and the payload as JSON, an empty reason as null."""
    for row in rows:
        if None in row.values():
            raise ValueError("the row has fewer cells than the header")
        yield {
            "seq": int(row["seq"]),
            "event_id": row["event_id"],
            "type": row["type"],
            "effective": row["effective"],
            "recorded_at": row["recorded_at"],
            "actor": unguard(row["actor"]),
            "reason": unguard(row["reason"]) if row["reason"] else None,
            "payload": json.loads(row["payload"]),
            "prev_hash": row["prev_hash"],
            "hash": row["hash"],
        }


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def guard(text: str | None) -> str:
    """The CSV formula guard: one more leading ' on text a spreadsheet could run as a formula."""
    if not text:
        return ""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def unguard(text: str) -> str:
    return text[1:] if text.startswith("'") else text
