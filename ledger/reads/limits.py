"""What a question to the ledger is asked under: the knowledge limit (which events it may see),
the as-of date (today unless given: decided here only), and the region it names, which must be
one the log knows.

Light on purpose: every query imports it, and none of it needs the event models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, func, select

from ledger import schema
from ledger.dates import parse_known_at
from ledger.errors import LedgerError, ValidationError


@dataclass(frozen=True)
class Knowledge:
    """What a query may see: events with seq ≤ upto_seq (None: everything). `note` says when
    the limit leaves out every event of a log that has some (an empty answer is then no answer)."""

    upto_seq: int | None = None
    note: str | None = field(default=None, compare=False)


def as_of_date(as_of: date | None) -> date:
    """The as-of date of a question: the one given, else today."""
    return as_of or date.today()


def knowledge_limit(
    connection: Connection, *, known_at: object = None, upto_seq: int | None = None
) -> Knowledge:
    """The knowledge limit of --known-at T or --upto-seq N, never both. Because recorded_at
    never decreases along seq, "known at T" is "seq up to the last one recorded by T"."""
    if known_at is not None and upto_seq is not None:
        raise ValidationError("give --known-at or --upto-seq, not both", "known_at")
    events = schema.events
    if upto_seq is not None:
        if upto_seq < 0:
            raise ValidationError("must not be negative", "upto_seq")
        note = None
        if upto_seq == 0 and connection.execute(select(events.c.seq).limit(1)).first():
            note = "--upto-seq 0 leaves out every event (the first is seq 1)"
        return Knowledge(upto_seq, note)
    if known_at is None:
        return Knowledge()
    try:
        limit = parse_known_at(known_at)
    except ValueError as error:
        raise ValidationError(str(error), "known_at") from None
    seq = connection.execute(
        select(func.max(events.c.seq)).where(events.c.recorded_at <= limit)
    ).scalar()
    first = (
        None
        if seq
        else connection.execute(
            select(events.c.recorded_at).order_by(events.c.seq).limit(1)
        ).scalar()
    )
    note = None
    if first is not None:
        note = f"no event was recorded by {limit} (the first was recorded at {first})"
    return Knowledge(seq or 0, note)


def check_region(connection: Connection, code: str | None) -> None:
    """Refuse a region code that no event of the log names as a region, naming the known ones:
    a typo must not read as an empty answer. Every region ever opened counts, whatever the
    as-of date or knowledge limit (those still give no rows for a region opened later)."""
    if code is None:
        return
    regions = schema.regions
    known = sorted(connection.execute(select(regions.c.region)).scalars())
    if code in known:
        return
    listing = ", ".join(known) if known else "none (no region has been opened)"
    raise ValidationError(f"unknown region {code[:64]!r}; known: {listing}")


def close_limit(
    connection: Connection, region: str, knowledge: Knowledge, which: int | date | None
) -> Knowledge:
    """The knowledge limit right after one of the region's `period.closed` events within
    `knowledge`: what the figures reported at that close were computed from. `which`: None for
    the last close, a seq for that close, a date for the last close through that day."""
    from ledger.reads.diff import close_events

    closes = close_events(connection, region=region, upto_seq=knowledge.upto_seq)
    if not closes:
        raise LedgerError(
            f"region {region}: no period.closed is known, so there is no close to "
            "compare from; give --from-seq or --from-known-at"
        )
    if which is None:
        return Knowledge(closes[-1][0])
    found = [seq for seq, through in closes if which in (seq, through)]
    if not found:
        known = ", ".join(f"seq {seq} through {through.isoformat()}" for seq, through in closes)
        asked = f"seq {which}" if isinstance(which, int) else f"through {which.isoformat()}"
        raise LedgerError(f"region {region}: no close {asked}; its closes: {known}")
    return Knowledge(found[-1])
