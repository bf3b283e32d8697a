"""Maintaining the read models: each stored event adds rows, never changes earlier ones.

Read models are append-only like the log: an amendment is a row in order_changes, not an update
of the order. That is what lets any (as-of, upto-seq) pair be answered by filtering rows.
"""

from __future__ import annotations

from sqlalchemy import Connection

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
    StoredEvent,
    SupplierRegistered,
)


def read_model_rows(event: StoredEvent, payload: Payload) -> list[tuple[object, dict]]:
    """The (table, row) pairs one event adds to the read models."""
    on = {"effective": event.effective, "seq": event.seq}
    match payload:
        case RegionOpened():
            return [(schema.regions, {**payload.canonical(), **on})]
        case SupplierRegistered():
            return [(schema.suppliers, {**payload.canonical(), **on})]
        case FxRateSet():
            return [(schema.fx_rates, {"base": payload.base, "quote": payload.quote, "rate": payload.rate, **on})]
        case BudgetRevised():
            row = {"region": payload.region, "year": payload.year, "amount": payload.amount, **on}
            return [(schema.budgets, row)]
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
                "year": event.effective.year,
                **on,
            }
            return [(schema.orders, row)]
        case OrderAmended():
            row = {"order_id": payload.order, "kind": "amended", "quantity": payload.quantity,
                   "unit_price": payload.unit_price, **on}
            return [(schema.order_changes, row)]
        case OrderCancelled():
            row = {"order_id": payload.order, "kind": "cancelled", "quantity": None,
                   "unit_price": None, **on}
            return [(schema.order_changes, row)]
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
            for k, due in enumerate(payment_dates(payload.start, payload.months)):
                rows.append((schema.lease_payments, {
                    "lease": payload.lease, "k": k, "region": payload.region, "due": due,
                    "year": due.year, "amount": payload.monthly_payment,
                }))
            return rows
        case LeaseTerminated():
            row = {"lease": payload.lease, "fee": payload.fee, "year": event.effective.year, **on}
            return [(schema.lease_terminations, row)]
        case LeaseReviewed():
            row = {"lease": payload.lease, "owner": payload.owner, "operator": payload.operator,
                   "outcome": payload.outcome, "reference": payload.reference,
                   "actor": event.actor, **on}
            return [(schema.lease_reviews, row)]
        case PolicyChanged():
            row = {"policy": payload.policy, "region": payload.region, "subject": payload.subject,
                   "mode": payload.mode, "enabled": payload.enabled,
                   "threshold": payload.threshold, "basis": payload.basis, **on}
            return [(schema.policies, row)]
    raise AssertionError(f"no read model for {event.type}")


def apply_event(connection: Connection, event: StoredEvent, payload: Payload) -> None:
    """Add the rows of one event, grouped per table (a lease has one row per payment)."""
    grouped: dict[object, list[dict]] = {}
    for table, row in read_model_rows(event, payload):
        grouped.setdefault(table, []).append(row)
    for table, rows in grouped.items():
        connection.execute(table.insert(), rows)


__all__ = ["apply_event", "read_model_rows"]
