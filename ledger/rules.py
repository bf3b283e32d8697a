"""Validation at entry (SPEC §3.1): an event must fit what the log already knows at its date.

Checks read the read models inside the append transaction, so an event may refer to an earlier
event of the same import file. Every check looks at the event's own effective date.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, and_, exists, or_, select

from ledger import schema
from ledger.errors import ValidationError
from ledger.events import (
    BudgetRevised,
    LeaseReviewed,
    LeaseSigned,
    LeaseTerminated,
    NewEvent,
    OrderAmended,
    OrderCancelled,
    OrderPlaced,
    PolicyChanged,
    RegionOpened,
    SupplierRegistered,
)
from ledger.policies import check_block_policies


def check_event(connection: Connection, event: NewEvent) -> None:
    """Raise ValidationError, naming the field, if the event does not fit the log."""
    payload = event.payload
    on = event.effective
    match payload:
        case RegionOpened():
            if _row(connection, schema.regions, schema.regions.c.region == payload.region):
                raise ValidationError(f"{payload.region!r} is already opened", "region")
        case SupplierRegistered():
            if _row(connection, schema.suppliers, schema.suppliers.c.supplier == payload.supplier):
                raise ValidationError(f"{payload.supplier!r} is already registered", "supplier")
        case BudgetRevised():
            region = region_as_of(connection, payload.region, on)
            if payload.currency is not None and payload.currency != region.currency:
                raise ValidationError(
                    f"{payload.currency} is not the currency of region {payload.region} "
                    f"({region.currency}); budgets are kept in the region's currency",
                    "currency",
                )
        case OrderPlaced():
            if _row(connection, schema.orders, schema.orders.c.order_id == payload.order):
                raise ValidationError(f"{payload.order!r} is already placed", "order")
            region = region_as_of(connection, payload.region, on)
            supplier_as_of(connection, payload.supplier, on, "supplier")
            require_rate(connection, payload.currency, region.currency, on)
        case OrderAmended() | OrderCancelled():
            order_open_as_of(connection, payload.order, on)
        case LeaseSigned():
            if _row(connection, schema.leases, schema.leases.c.lease == payload.lease):
                raise ValidationError(f"{payload.lease!r} is already signed", "lease")
            region = region_as_of(connection, payload.region, on)
            supplier_as_of(connection, payload.lessor, on, "lessor")
            require_rate(connection, payload.currency, region.currency, on)
        case LeaseTerminated():
            lease_as_of(connection, payload.lease, on)
            if _row(connection, schema.lease_terminations, schema.lease_terminations.c.lease == payload.lease):
                raise ValidationError(f"{payload.lease!r} is already terminated", "lease")
        case LeaseReviewed():
            lease_as_of(connection, payload.lease, on)
        case PolicyChanged():
            region_as_of(connection, payload.region, on)
            if payload.supplier is not None:
                supplier_as_of(connection, payload.supplier, on, "supplier")
    check_block_policies(connection, event)


def _row(connection: Connection, table, condition):
    return connection.execute(select(table).where(condition)).first()


def _known_as_of(connection: Connection, key, code: str, on: date, field: str, noun: str, verb: str):
    """The read-model row of a region, supplier, order or lease that exists on date `on`."""
    row = _row(connection, key.table, key == code)
    if row is None:
        raise ValidationError(f"{noun} {code!r} is not {verb}", field)
    if row.effective > on:
        raise ValidationError(
            f"{noun} {code!r} is {verb} only from {row.effective.isoformat()}, after {on.isoformat()}",
            field,
        )
    return row


def region_as_of(connection: Connection, region: str, on: date):
    return _known_as_of(connection, schema.regions.c.region, region, on, "region", "region", "opened")


def supplier_as_of(connection: Connection, supplier: str, on: date, field: str):
    return _known_as_of(connection, schema.suppliers.c.supplier, supplier, on, field, "supplier", "registered")


def lease_as_of(connection: Connection, lease: str, on: date):
    return _known_as_of(connection, schema.leases.c.lease, lease, on, "lease", "lease", "signed")


def order_open_as_of(connection: Connection, order: str, on: date):
    row = _known_as_of(connection, schema.orders.c.order_id, order, on, "order", "order", "placed")
    changes = schema.order_changes
    cancelled = connection.execute(
        select(changes.c.effective).where(
            changes.c.order_id == order, changes.c.kind == "cancelled", changes.c.effective <= on
        ).limit(1)
    ).first()
    if cancelled is not None:
        raise ValidationError(
            f"order {order!r} is cancelled as of {cancelled.effective.isoformat()}", "order"
        )
    return row


def require_rate(connection: Connection, currency: str, region_currency: str, on: date) -> None:
    """A document in a foreign currency needs a rate for the pair in force at its date."""
    if currency == region_currency:
        return
    rates = schema.fx_rates
    known = connection.execute(
        select(
            exists().where(
                or_(
                    and_(rates.c.base == currency, rates.c.quote == region_currency),
                    and_(rates.c.base == region_currency, rates.c.quote == currency),
                ),
                rates.c.effective <= on,
            )
        )
    ).scalar()
    if not known:
        raise ValidationError(
            f"no {currency}/{region_currency} rate is in force on {on.isoformat()}; "
            f"record one with `ledger fx set {currency} {region_currency} RATE` first",
            "currency",
        )
