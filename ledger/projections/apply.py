"""Maintaining the read models: the rows each stored event adds, and the order buckets.

Read models are append-only like the log: an amendment is a row in order_changes, not an update
of the order. That is what lets any (as-of, upto-seq) pair be answered by filtering rows. The
one exception is `order_buckets`, running sums of orders as placed, which grow as orders arrive;
each bucket covers a block of seqs, so a knowledge limit still sees exactly its own orders.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow

from sqlalchemy import Connection, and_, select

from ledger import schema
from ledger.dates import payment_dates
from ledger.events import (
    BudgetRevised,
    FxRateSet,
    LeaseReviewed,
    LeaseSigned,
    LeaseTerminated,
    OrderAmended,
    OrderCancelled,
    OrderPlaced,
    Payload,
    PolicyChanged,
    RegionOpened,
    SupplierRegistered,
)
from ledger.known import Known

# Sums of quantity × unit_price are exact: an inexact result raises instead of being rounded.
EXACT = Context(prec=200, traps=[Inexact, InvalidOperation, Overflow])


def read_model_rows(
    seq: int, effective: date, actor: str, payload: Payload, known: Known
) -> list[tuple[object, dict]]:
    """The (table, row) pairs one event adds to the read models (order buckets aside)."""
    on = {"effective": effective, "seq": seq}
    match payload:
        case OrderPlaced():
            row = {
                "order_id": payload.order,
                "region": payload.region,
                "supplier": payload.supplier,
                "sku": payload.sku,
                "quantity": payload.quantity,
                "unit_price": payload.unit_price,
                "currency": payload.currency,
                "purpose": payload.purpose,
                "year": effective.year,
                **on,
            }
            return [(schema.orders, row)]
        case OrderAmended() | OrderCancelled():
            order = known.order(payload.order)
            amended = isinstance(payload, OrderAmended)
            row = {"order_id": payload.order, "region": order["region"], "year": order["year"],
                   "kind": "amended" if amended else "cancelled",
                   "quantity": payload.quantity if amended else None,
                   "unit_price": payload.unit_price if amended else None, **on}
            return [(schema.order_changes, row)]
        case RegionOpened():
            return [(schema.regions, {**payload.canonical(), **on})]
        case SupplierRegistered():
            return [(schema.suppliers, {**payload.canonical(), **on})]
        case FxRateSet():
            return [(schema.fx_rates, {"base": payload.base, "quote": payload.quote, "rate": payload.rate, **on})]
        case BudgetRevised():
            row = {"region": payload.region, "year": payload.year, "amount": payload.amount, **on}
            return [(schema.budgets, row)]
        case LeaseSigned():
            lease = {
                "lease": payload.lease,
                "region": payload.region,
                "lessor": payload.lessor,
                "sku": payload.sku,
                "units": payload.units,
                "start": payload.start,
                "months": payload.months,
                "monthly_payment": payload.monthly_payment,
                "currency": payload.currency,
                **on,
            }
            rows: list[tuple[object, dict]] = [(schema.leases, lease)]
            per_year = Counter(due.year for due in payment_dates(payload.start, payload.months))
            for year, payments in sorted(per_year.items()):
                rows.append((schema.lease_years, {
                    "lease": payload.lease, "year": year, "region": payload.region, "payments": payments,
                }))
            return rows
        case LeaseTerminated():
            row = {"lease": payload.lease, "fee": payload.fee, "year": effective.year, **on}
            return [(schema.lease_terminations, row)]
        case LeaseReviewed():
            row = {"lease": payload.lease, "owner": payload.owner, "operator": payload.operator,
                   "outcome": payload.outcome, "reference": payload.reference,
                   "actor": actor, **on}
            return [(schema.lease_reviews, row)]
        case PolicyChanged():
            row = {"policy": payload.policy, "region": payload.region, "subject": payload.subject,
                   "mode": payload.mode, "enabled": payload.enabled,
                   "threshold": payload.threshold, "basis": payload.basis, **on}
            return [(schema.policies, row)]
    raise AssertionError(f"no read model for {type(payload).__name__}")


class OrderBuckets:
    """The order_buckets sums of one write transaction, kept in memory and written at flush.

    Buckets of blocks above the head's block at the start cannot be in the database yet; those
    at or below it, and those written by an earlier flush of this transaction, are read and
    merged before writing."""

    def __init__(self, head_seq: int):
        self.stored_up_to_block = head_seq // schema.BUCKET_SEQS
        self.pending: dict[tuple, list] = {}
        self.written: set[tuple] = set()

    def add(self, order: dict) -> None:
        key = (order["region"], order["year"], order["supplier"], order["currency"],
               order["effective"], order["seq"] // schema.BUCKET_SEQS)
        sums = self.pending.get(key)
        if sums is None:
            sums = self.pending[key] = [Decimal(0), Decimal(0), 0]
        quantity = Decimal(order["quantity"])
        sums[0] = EXACT.add(sums[0], EXACT.multiply(quantity, order["unit_price"]))
        sums[1] = EXACT.add(sums[1], quantity)
        sums[2] += 1

    def flush(self, connection: Connection) -> list[dict]:
        """Merge the pending sums with stored ones; returns the rows to insert (the caller
        inserts them with the rest of the batch)."""
        buckets = schema.order_buckets
        rows = []
        for key, (value, units, count) in self.pending.items():
            if key[5] <= self.stored_up_to_block or key in self.written:
                condition = and_(*(column == part for column, part in zip(_KEY_COLUMNS, key, strict=True)))
                stored = connection.execute(
                    select(buckets.c.value, buckets.c.units, buckets.c.orders).where(condition)
                ).first()
                if stored is not None:
                    connection.execute(buckets.delete().where(condition))
                    value = EXACT.add(value, stored.value)
                    units = EXACT.add(units, stored.units)
                    count += stored.orders
            rows.append(dict(zip(_KEY_NAMES, key, strict=True), value=value, units=units, orders=count))
        if self.pending:
            newest = max(key[5] for key in self.pending)
            self.written = {key for key in self.written | self.pending.keys() if key[5] >= newest}
        self.pending = {}
        return rows


_KEY_NAMES = ("region", "year", "supplier", "currency", "effective", "block")
_KEY_COLUMNS = tuple(schema.order_buckets.c[name] for name in _KEY_NAMES)


__all__ = ["OrderBuckets", "read_model_rows"]
