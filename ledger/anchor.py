"""Anchors: the head of the log written down somewhere else, and the proof that the log still
extends it.

A hash chain shows that no event changed relative to a head you trust. Someone who can write to
the database (its owner, with the triggers off) can rewrite an event and recompute every later
hash, and the chain then verifies again. An anchor — the head's seq and hash, kept in an email, a
ticket or a write-once bucket — catches that: the rewritten log no longer holds that hash at
that seq. It cannot catch a rewrite of events after the newest anchor, nor one made before the
anchor was taken.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ledger.chain import GENESIS_HASH, ChainReport, read_export
from ledger.errors import IntegrityError, LedgerError
from ledger.schema import events
from ledger.store import utc_timestamp

ANCHOR_FORMAT = "ledger-anchor/1"
HASH_PATTERN = re.compile(r"[0-9a-f]{64}")
# An anchor is a few hundred bytes; anything much larger is not one.
MAX_ANCHOR_BYTES = 64 * 1024


@dataclass(frozen=True)
class Anchor:
    """The head of the log at one moment: its seq, its hash, its recorded_at (None for an empty
    log) and when the anchor was taken (UTC)."""

    seq: int
    hash: str
    recorded_at: str | None
    taken_at: str

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "format": ANCHOR_FORMAT,
                    "seq": self.seq,
                    "hash": self.hash,
                    "recorded_at": self.recorded_at,
                    "taken_at": self.taken_at,
                },
                indent=2,
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, text: str, source: str = "anchor") -> Anchor:
        try:
            document = json.loads(text)
        except ValueError as error:
            raise LedgerError(f"{source}: not an anchor (malformed JSON: {error})") from None
        if not isinstance(document, dict) or document.get("format") != ANCHOR_FORMAT:
            raise LedgerError(f'{source}: not an anchor (no "format": "{ANCHOR_FORMAT}")')
        seq, digest = document.get("seq"), document.get("hash")
        recorded_at, taken_at = document.get("recorded_at"), document.get("taken_at")
        if type(seq) is not int or seq < 0:
            raise LedgerError(f"{source}: seq must be a whole number ≥ 0")
        if not isinstance(digest, str) or not HASH_PATTERN.fullmatch(digest):
            raise LedgerError(f"{source}: hash must be 64 lower-case hex digits")
        if not isinstance(taken_at, str) or not (
            recorded_at is None or isinstance(recorded_at, str)
        ):
            raise LedgerError(f"{source}: recorded_at and taken_at must be timestamps")
        if seq == 0 and digest != GENESIS_HASH:
            raise LedgerError(f"{source}: an anchor of an empty log has the hash of 64 zeros")
        return cls(seq, digest, recorded_at, taken_at)


@dataclass(frozen=True)
class AnchorReport:
    """The chain's own report, and whether the log still extends the anchor."""

    chain: ChainReport
    anchor: Anchor
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.problem is None


def take_anchor(ledger) -> Anchor:
    """The head of the log, after checking that the chain verifies and that the table holds
    nothing else: an anchor vouches for the whole log up to it, so a log that does not verify
    is refused (IntegrityError naming the first bad seq)."""
    report = ledger.verify()
    if not report.ok:
        raise IntegrityError(f"seq {report.broken_seq}: {report.problem}; no anchor taken")
    if report.count == 0:
        return Anchor(0, GENESIS_HASH, None, utc_timestamp())
    with ledger.engine.connect() as connection:
        recorded_at = connection.execute(
            select(events.c.recorded_at).where(events.c.seq == report.count)
        ).scalar()
    return Anchor(report.count, report.head, recorded_at, utc_timestamp())


def read_anchor(path: str | Path) -> Anchor:
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_ANCHOR_BYTES + 1)
    except OSError as error:
        raise LedgerError(f"cannot read {path}: {error.strerror}") from None
    if len(data) > MAX_ANCHOR_BYTES:
        raise LedgerError(f"{path}: not an anchor (larger than {MAX_ANCHOR_BYTES} bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LedgerError(f"{path}: not an anchor (not UTF-8 text)") from None
    return Anchor.from_json(text, str(path))


def verify_against(ledger, anchor: Anchor) -> AnchorReport:
    """Verify the whole log from genesis (every row of the table accounted for) and check that
    the event at the anchor's seq still has the anchor's hash: then the log is the anchored
    one, extended by appends only."""
    report = ledger.verify()
    if not report.ok or anchor.seq == 0 or anchor.seq > report.count:
        return compare(report, anchor, GENESIS_HASH if anchor.seq == 0 else None)
    with ledger.engine.connect() as connection:
        found = connection.execute(select(events.c.hash).where(events.c.seq == anchor.seq)).scalar()
    return compare(report, anchor, found)


def verify_export_against(path: str | Path, anchor: Anchor) -> AnchorReport:
    """The same for an export (`ledger export events`), read and checked as `verify --export`
    does: the file must hold the anchored event with the anchor's hash."""
    found: list[str] = [GENESIS_HASH] if anchor.seq == 0 else []
    count, head = 0, GENESIS_HASH
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            for row in read_export(stream, str(path)):
                count, head = row[0], row[9]
                if count == anchor.seq:
                    found.append(head)
    except OSError as error:
        raise LedgerError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise LedgerError(
            f"{path}: not an export of `ledger export events` (not UTF-8 text)"
        ) from None
    return compare(ChainReport(count, head), anchor, found[0] if found else None)


def compare(report: ChainReport, anchor: Anchor, found: str | None) -> AnchorReport:
    """The anchor's verdict on a log whose chain was checked: `found` is the hash the log holds
    at the anchor's seq (None when it has no such event)."""
    if not report.ok:
        return AnchorReport(report, anchor)
    if found is None:
        return AnchorReport(
            report,
            anchor,
            f"the log has {report.count} events, fewer than the anchor's "
            f"seq {anchor.seq} (taken {anchor.taken_at}): events were removed",
        )
    if found != anchor.hash:
        return AnchorReport(
            report,
            anchor,
            f"seq {anchor.seq}: hash {found[:16]}… differs from the anchor's "
            f"{anchor.hash[:16]}… (taken {anchor.taken_at}): the log was "
            "rewritten up to that event",
        )
    return AnchorReport(report, anchor)
