"""Maintaining the read models: the rows each stored event adds, and the order buckets.

Read models are append-only like the log: an amendment is a row in order_changes, not an update
of the order. That is what lets any (as-of, upto-seq) pair be answered by filtering rows. The
one exception is `order_buckets`, running sums of orders as placed, which grow as orders arrive;
each bucket covers a block of seqs, so a knowledge limit still sees exactly its own orders.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from operator import itemgetter

from sqlalchemy import Connection, select

from ledger import schema
from ledger.current import CurrentLog
from ledger.events import (
    ApprovalGranted,
    BudgetRevised,
    BudgetTransferred,
    FxRateSet,
    GoodsReceived,
    InvoiceReceived,
    InvoiceVoided,
    LeaseReviewed,
    LeaseSigned,
    LeaseTerminated,
    OrderAmended,
    OrderCancelled,
    OrderPlaced,
    Payload,
    PaymentMade,
    PeriodClosed,
    PeriodReopened,
    PolicyChanged,
    RegionOpened,
    RegionUpdated,
    SupplierRegistered,
    SupplierUpdated,
)
from ledger.money import EXACT
from ledger.projections.presums import with_presummed_rows
from ledger.semantics.leases import payment_dates
from ledger.semantics.orders import as_placed, order_state


@with_presummed_rows
def read_model_rows(
    seq: int, effective: date, actor: str, payload: Payload, current: CurrentLog
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
            return _change_rows(seq, effective, payload, current)
        case RegionOpened():
            return [(schema.regions, {**payload.canonical(), **on})]
        case SupplierRegistered():
            return [(schema.suppliers, {**payload.canonical(), **on})]
        case FxRateSet():
            return [
                (
                    schema.fx_rates,
                    {"base": payload.base, "quote": payload.quote, "rate": payload.rate, **on},
                )
            ]
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
                rows.append(
                    (
                        schema.lease_years,
                        {
                            "lease": payload.lease,
                            "year": year,
                            "region": payload.region,
                            "payments": payments,
                        },
                    )
                )
            return rows
        case LeaseTerminated():
            row = {"lease": payload.lease, "fee": payload.fee, "year": effective.year, **on}
            return [(schema.lease_terminations, row)]
        case LeaseReviewed():
            row = {
                "lease": payload.lease,
                "owner": payload.owner,
                "operator": payload.operator,
                "outcome": payload.outcome,
                "reference": payload.reference,
                "actor": actor,
                **on,
            }
            return [(schema.lease_reviews, row)]
        case PolicyChanged():
            row = {
                "policy": payload.policy,
                "region": payload.region,
                "subject": payload.subject,
                "mode": payload.mode,
                "enabled": payload.enabled,
                "threshold": payload.threshold,
                "basis": payload.basis,
                "tolerance": payload.tolerance,
                **on,
            }
            return [(schema.policies, row)]
        case PeriodClosed() | PeriodReopened():
            # Few and read by type from the log itself (ledger.semantics.periods): no read model.
            return []
        case SupplierUpdated():
            row = {"supplier": payload.supplier, "name": payload.name, "country": payload.country}
            return [(schema.supplier_updates, {**row, **on})]
        case RegionUpdated():
            row = {"region": payload.region, "name": payload.name, "country": payload.country}
            return [(schema.region_updates, {**row, **on})]
        case GoodsReceived():
            order = current.order(payload.order)
            row = {
                "receipt": payload.receipt,
                "order_id": payload.order,
                "region": order["region"],
                "year": order["year"],
                "quantity": payload.quantity,
                "reference": payload.reference,
                **on,
            }
            return [(schema.receipts, row)]
        case InvoiceReceived():
            if payload.order is not None:
                document = current.order(payload.order)
                year = document["year"]
            else:
                document = current.lease(payload.lease)
                year = effective.year  # a lease's invoice is charged to its own year
            row = {
                "invoice": payload.invoice,
                "kind": payload.kind,
                "document": payload.document,
                "region": document["region"],
                "year": year,
                "supplier": payload.supplier,
                "currency": payload.currency,
                "amount": payload.amount,
                "quantity": payload.quantity,
                "reference": payload.reference,
                "due": payload.due,
                **on,
            }
            return [(schema.invoices, row)]
        case InvoiceVoided():
            invoice = current.invoice(payload.invoice)
            row = {"invoice": payload.invoice, "region": invoice["region"], "year": invoice["year"]}
            return [(schema.invoice_voids, {**row, **on})]
        case PaymentMade():
            invoice = current.invoice(payload.invoice)
            row = {
                "payment": payload.payment,
                "invoice": payload.invoice,
                "region": invoice["region"],
                "year": invoice["year"],
                "amount": payload.amount,
                **on,
            }
            return [(schema.payments, row)]
        case BudgetTransferred():
            row = {
                "from_region": payload.from_region,
                "to_region": payload.to_region,
                "year": payload.year,
                "amount": payload.amount,
                **on,
            }
            return [(schema.budget_transfers, row)]
        case ApprovalGranted():
            row = {
                "approval": payload.approval,
                "event_id": payload.event_id,
                "digest": payload.digest,
                "actor": actor,
                **on,
            }
            return [(schema.approvals, row)]
    raise AssertionError(f"no read model for {type(payload).__name__}")


def _change_rows(
    seq: int, effective: date, payload: OrderAmended | OrderCancelled, current: CurrentLog
) -> list[tuple[object, dict]]:
    """The order_changes row of an amendment or cancellation, with the signed difference it
    makes to its order's value and units as the log stands now (SPEC §4.2 folded over the
    order's changes known, before and after it, in (effective, seq) order); and the order's
    orders_replayed row when this change is the first to arrive back-dated."""
    order_id = payload.order
    order = current.order(order_id)
    amended = isinstance(payload, OrderAmended)
    kind = "amended" if amended else "cancelled"
    quantity = payload.quantity if amended else None
    unit_price = payload.unit_price if amended else None
    known = current.order_changes(order_id)
    placed = as_placed(order["quantity"], order["unit_price"])
    in_order = sorted(known, key=_EFFECTIVE_SEQ)
    before = order_state(placed, in_order)
    change = (kind, quantity, unit_price, effective, seq)
    back_dated = bool(known) and effective < in_order[-1][3]
    # Replayed already when the changes before this one were not in date order themselves.
    replayed_before = in_order != known
    if back_dated:
        after = order_state(placed, sorted([*known, change], key=_EFFECTIVE_SEQ))
    else:
        after = order_state(before, (change,))
    row = {
        "order_id": order_id,
        "region": order["region"],
        "year": order["year"],
        "kind": kind,
        "quantity": quantity,
        "unit_price": unit_price,
        "effective": effective,
        "seq": seq,
        "supplier": order["supplier"],
        "currency": order["currency"],
        "placed": order["effective"],
        "value_delta": EXACT.subtract(after.value, before.value),
        "units_delta": after.units - before.units,
    }
    rows: list[tuple[object, dict]] = [(schema.order_changes, row)]
    if back_dated and not replayed_before:
        replayed = {"order_id": order_id, "region": order["region"], "year": order["year"]}
        rows.append((schema.orders_replayed, {**replayed, "seq": seq}))
    return rows


_EFFECTIVE_SEQ = itemgetter(3, 4)


class OrderBuckets:
    """The order_buckets sums of one write transaction, kept in memory and written at flush.

    Only buckets of the newest block can still grow: those of the head's block when the
    transaction starts are read once, those written by an earlier flush are remembered, and a
    pending sum for one of them becomes an update of the stored row instead of a new row."""

    def __init__(self, head_seq: int):
        self.start_block = head_seq // schema.BUCKET_SEQS if head_seq else None
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
        inserts, updates = [], []
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
