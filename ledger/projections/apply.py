"""Maintaining the read models: the rows each stored event adds (each type's own, from its entry
in ledger.kinds), and the order buckets.

Read models are append-only like the log: an amendment is a row in order_changes, not an update
of the order. That is what lets any (as-of, upto-seq) pair be answered by filtering rows. The
one exception is `order_buckets`, running sums of orders as placed, which grow as orders arrive;
each bucket covers a block of seqs, so a knowledge limit still sees exactly its own orders.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, select

from ledger import schema
from ledger.current import CurrentLog
from ledger.kinds import kind_of
from ledger.kinds.base import TableRows
from ledger.money import EXACT


def read_model_rows(
    seq: int,
    effective: date,
    actor: str,
    payload,
    current: CurrentLog,
    event_type: str | None = None,
) -> TableRows:
    """The (table, row) pairs one event adds to the read models (order buckets aside), as its
    type's entry in the registry (ledger.kinds) builds them. The payload is read by attribute: a
    typed payload, or anything with its attributes given with its `event_type`."""
    return kind_of(event_type or payload.type).rows(seq, effective, actor, payload, current)


class OrderBuckets:
    """The order_buckets sums of one write transaction, kept in memory and written at flush.

    Only buckets of the newest block can still grow: those of the head's block when the
    transaction starts are read once, those written by an earlier flush are remembered, and a
    pending sum for one of them becomes an update of the stored row instead of a new row."""

    def __init__(self, head_seq: int):
        # The block whose stored buckets can still grow (read at the first flush, if any).
        self.start_block = head_seq // schema.BUCKET_SEQS
        self.pending: dict[tuple, list] = {}
        self.stored: dict[tuple, list] | None = None if head_seq else {}

    def add(self, order: dict, region_currency: str) -> None:
        day = order["effective"]
        if order["currency"] == region_currency:
            day = day.replace(day=1)
        key = (
            order["region"],
            order["year"],
            order["supplier"],
            order["currency"],
            day,
            order["seq"] // schema.BUCKET_SEQS,
        )
        sums = self.pending.get(key)
        if sums is None:
            sums = self.pending[key] = [Decimal(0), Decimal(0), 0]
        quantity = Decimal(order["quantity"])
        sums[0] = EXACT.add(sums[0], EXACT.multiply(quantity, order["unit_price"]))
        sums[1] = EXACT.add(sums[1], quantity)
        sums[2] += 1

    def flush(self, connection: Connection) -> tuple[list[dict], list[dict]]:
        """The rows to insert and the rows to update (whole rows, keyed by their primary key)."""
        if not self.pending:
            return [], []
        if self.stored is None:
            self.stored = self._read_block(connection, self.start_block)
        inserts: list[dict] = []
        updates: list[dict] = []
        for key, (value, units, count) in self.pending.items():
            stored = self.stored.get(key)
            if stored is not None:
                value, units, count = (
                    EXACT.add(value, stored[0]),
                    EXACT.add(units, stored[1]),
                    count + stored[2],
                )
            row = dict(zip(_KEY_NAMES, key, strict=True), value=value, units=units, orders=count)
            (updates if stored is not None else inserts).append(row)
            self.stored[key] = [value, units, count]
        newest = max(key[5] for key in self.pending)
        self.stored = {key: sums for key, sums in self.stored.items() if key[5] >= newest}
        self.pending = {}
        return inserts, updates

    @staticmethod
    def _read_block(connection: Connection, block: int) -> dict[tuple, list]:
        buckets = schema.order_buckets
        return {
            tuple(row[:6]): [row.value, row.units, row.orders]
            for row in connection.execute(
                select(*_KEY_COLUMNS, buckets.c.value, buckets.c.units, buckets.c.orders).where(
                    buckets.c.block == block
                )
            )
        }


_KEY_NAMES = ("region", "year", "supplier", "currency", "effective", "block")
_KEY_COLUMNS = tuple(schema.order_buckets.c[name] for name in _KEY_NAMES)


__all__ = ["OrderBuckets", "read_model_rows"]
