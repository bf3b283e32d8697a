"""What a report's provenance names: the last event a knowledge limit includes and its hash, by
which a reader checks the figures against `ledger verify` or an export."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ledger import schema
from ledger.chain import GENESIS_HASH
from ledger.log import head


def last_included(connection: Connection, upto_seq: int | None) -> tuple[int, str]:
    """(seq, hash) of the last event within the limit: the verified head when the limit reaches
    it (or there is none), (0, the genesis hash) for a limit of 0."""
    head_seq, head_hash = head(connection)
    if upto_seq is None or upto_seq >= head_seq:
        return head_seq, head_hash or GENESIS_HASH
    if upto_seq == 0:
        return 0, GENESIS_HASH
    events = schema.events
    # Every seq up to the verified head is in the log.
    found = connection.execute(select(events.c.hash).where(events.c.seq == upto_seq)).scalar_one()
    return upto_seq, found
