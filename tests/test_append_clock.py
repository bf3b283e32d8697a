"""recorded_at never decreases, and is never stamped into the future: an append whose clock is
behind the head's recorded_at by more than a second is refused in one line (nothing written);
within that skew it takes the head's time. On both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ledger.chain import chain_hash
from ledger.errors import ClockError

FX = {"base": "USD", "quote": "CNY", "rate": "7.2"}


def at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def head_recorded_at(books, recorded_at: str) -> None:
    """A head recorded at this time, inserted as the owner (or a copy) may."""
    payload = '{"base":"EUR","quote":"CNY","rate":"9"}'
    with books.engine.begin() as connection:
        seq, head = connection.execute(
            text("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        ).one()
        event_id = str(uuid.uuid4())
        digest = chain_hash(
            head, seq + 1, event_id, "fx.rate_set", "2025-01-01", recorded_at, "x", None, payload
        )
        connection.execute(
            text(
                "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, "
                "payload, prev_hash, hash) VALUES (:seq, :id, 'fx.rate_set', '2025-01-01', :at, "
                "'x', NULL, :payload, :prev, :hash)"
            ),
            {
                "seq": seq + 1,
                "id": event_id,
                "at": recorded_at,
                "payload": payload,
                "prev": head,
                "hash": digest,
            },
        )


def count(books) -> int:
    with books.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM events")).scalar()


def test_an_append_behind_the_head_by_more_than_a_second_is_refused(ledger, run):
    ledger.record("fx.rate_set", FX, effective="2025-01-01", actor="t")
    head_recorded_at(ledger, at(timedelta(hours=2)))
    before = count(ledger)

    with pytest.raises(ClockError, match="never stamped into the future"):
        ledger.record("fx.rate_set", FX, effective="2025-01-02", actor="t")
    result = run("fx", "set", "USD", "CNY", "7.3", "--effective", "2025-01-03")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: recorded_at: the clock reads ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert count(ledger) == before


def test_an_append_within_the_skew_takes_the_heads_time(ledger):
    ledger.record("fx.rate_set", FX, effective="2025-01-01", actor="t")
    ahead = at(timedelta(milliseconds=700))
    head_recorded_at(ledger, ahead)

    appended = ledger.record("fx.rate_set", FX, effective="2025-01-02", actor="t")

    with ledger.engine.connect() as connection:
        recorded = connection.execute(
            text("SELECT recorded_at FROM events WHERE seq = :seq"), {"seq": appended.seq}
        ).scalar()
    assert recorded >= ahead
    assert ledger.verify().ok
