"""Validation at entry (SPEC §3.1): an event must fit what the log already knows at its date.

Checks ask `Known`, which holds the log's state inside the append transaction (including the
events appended earlier in it), so an event may refer to an earlier event of the same import
file. Every check looks at the event's own effective date.
"""

from __future__ import annotations

from datetime import date

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
    PeriodClosed,
    PeriodReopened,
    PolicyChanged,
    RegionOpened,
    SupplierRegistered,
)
from ledger.known import Known, Row
from ledger.policies import check_block_policies
from ledger.semantics.periods import closed_against, closed_message


def check_event(known: Known, event: NewEvent) -> None:
    """Raise ValidationError, naming the field, if the event does not fit the log."""
    payload = event.payload
    on = event.effective
    match payload:
        case RegionOpened():
            if payload.region in known.regions:
                raise ValidationError(f"{payload.region!r} is already opened", "region")
        case SupplierRegistered():
            if payload.supplier in known.suppliers:
                raise ValidationError(f"{payload.supplier!r} is already registered", "supplier")
        case BudgetRevised():
            region = region_as_of(known, payload.region, on)
            if payload.currency is not None and payload.currency != region["currency"]:
                raise ValidationError(
                    f"{payload.currency} is not the currency of region {payload.region} "
                    f"({region['currency']}); budgets are kept in the region's currency",
                    "currency",
                )
        case OrderPlaced():
            if known.order(payload.order) is not None:
                raise ValidationError(f"{payload.order!r} is already placed", "order")
            region = region_as_of(known, payload.region, on)
            supplier_as_of(known, payload.supplier, on, "supplier")
            require_rate(known, payload.currency, region["currency"], on)
        case OrderAmended() | OrderCancelled():
            order_open_as_of(known, payload.order, on)
        case LeaseSigned():
            if known.lease(payload.lease) is not None:
                raise ValidationError(f"{payload.lease!r} is already signed", "lease")
            region = region_as_of(known, payload.region, on)
            supplier_as_of(known, payload.lessor, on, "lessor")
            require_rate(known, payload.currency, region["currency"], on)
        case LeaseTerminated():
            lease_as_of(known, payload.lease, on)
            if known.is_terminated(payload.lease):
                raise ValidationError(f"{payload.lease!r} is already terminated", "lease")
        case LeaseReviewed():
            lease_as_of(known, payload.lease, on)
        case PolicyChanged():
            region_as_of(known, payload.region, on)
            if payload.supplier is not None:
                supplier_as_of(known, payload.supplier, on, "supplier")
        case PeriodClosed():
            check_close(known, payload, on)
        case PeriodReopened():
            check_reopen(known, payload, event.reason)
    # The order of SPEC §3.1: types and ranges (parsing), references and lifecycle (above),
    # closed books, block-mode policies.
    check_closed_books(known, event)
    check_block_policies(known, event)


def check_closed_books(known: Known, event: NewEvent) -> None:
    """Refuse an event touching a region whose books are closed through its effective date or
    later. One in-memory lookup per event while no region is closed."""
    if not known.periods:
        return
    state = closed_against(
        known.touched_regions(event.type, event.payload), event.effective, known.periods
    )
    if state is not None:
        raise ValidationError(closed_message(state, event.effective), "effective")


def check_close(known: Known, payload: PeriodClosed, on: date) -> None:
    region_as_of(known, payload.region, on)
    if payload.through > on:
        raise ValidationError(
            f"{payload.through.isoformat()} is after the close's own effective date "
            f"{on.isoformat()}; books can be closed only through a day already reached",
            "through",
        )
    state = known.periods.get(payload.region)
    if (
        state is not None
        and state.closed_through is not None
        and payload.through <= state.closed_through
    ):
        raise ValidationError(
            f"region {payload.region} is already closed through {state.closed_through.isoformat()} "
            f"(seq {state.seq}); a new close must go further",
            "through",
        )


def check_reopen(known: Known, payload: PeriodReopened, reason: str | None) -> None:
    if reason is None or not reason.strip():
        raise ValidationError("a reopening needs a reason (--reason TEXT)", "reason")
    if payload.region not in known.regions:
        raise ValidationError(f"region {payload.region!r} is not opened", "region")
    state = known.periods.get(payload.region)
    if state is None or state.closed_through is None:
        raise ValidationError(f"the books of region {payload.region} are not closed", "region")
    if payload.through is not None and payload.through >= state.closed_through:
        raise ValidationError(
            f"{payload.through.isoformat()} is not before the current closed-through date "
            f"{state.closed_through.isoformat()} of region {payload.region}",
            "through",
        )


def _known_as_of(row: Row | None, code: str, on: date, field: str, noun: str, verb: str) -> Row:
    """The read-model row of a region, supplier, order or lease that exists on date `on`."""
    if row is None:
        raise ValidationError(f"{noun} {code!r} is not {verb}", field)
    if row["effective"] > on:
        raise ValidationError(
            f"{noun} {code!r} is {verb} only from {row['effective'].isoformat()}, after {on.isoformat()}",
            field,
        )
    return row


def region_as_of(known: Known, region: str, on: date) -> Row:
    return _known_as_of(known.regions.get(region), region, on, "region", "region", "opened")


def supplier_as_of(known: Known, supplier: str, on: date, field: str) -> Row:
    return _known_as_of(
        known.suppliers.get(supplier), supplier, on, field, "supplier", "registered"
    )


def lease_as_of(known: Known, lease: str, on: date) -> Row:
    return _known_as_of(known.lease(lease), lease, on, "lease", "lease", "signed")


def order_open_as_of(known: Known, order: str, on: date) -> Row:
    row = _known_as_of(known.order(order), order, on, "order", "order", "placed")
    cancelled = [effective for effective in known.cancelled_on(order) if effective <= on]
    if cancelled:
        raise ValidationError(
            f"order {order!r} is cancelled as of {min(cancelled).isoformat()}", "order"
        )
    return row


def require_rate(known: Known, currency: str, region_currency: str, on: date) -> None:
    """A document in a foreign currency needs a rate for the pair in force at its date."""
    if currency == region_currency:
        return
    first = known.rate_known_from(currency, region_currency)
    if first is None or first > on:
        raise ValidationError(
            f"no {currency}/{region_currency} rate is in force on {on.isoformat()}; "
            f"record one with `ledger fx set {currency} {region_currency} RATE` first",
            "currency",
        )
