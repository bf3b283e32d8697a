"""Orders: placed, amended (quantity or unit price from a date on) and cancelled."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from operator import itemgetter

from ledger import schema
from ledger.errors import ValidationError
from ledger.events import OrderAmended, OrderCancelled, OrderPlaced
from ledger.kinds.base import (
    Held,
    Kind,
    Log,
    Subject,
    TableRows,
    known,
    never_held,
    order_open_as_of,
    region_as_of,
    require_rate,
    supplier_as_of,
)
from ledger.money import EXACT
from ledger.semantics.orders import after_change, as_placed, order_state
from ledger.semantics.periods import own_region, region_of_order
from ledger.semantics.rates import Placement, RateBook

# A change as CurrentLog keeps it: (kind, quantity, unit_price, effective, seq).
_EFFECTIVE_SEQ = itemgetter(3, 4)


# -- order.placed ---------------------------------------------------------------------------------


def check_placed(current: Log, payload: OrderPlaced, on: date, reason: str | None) -> None:
    if current.order(payload.order) is not None:
        raise ValidationError(f"{payload.order!r} is already placed", "order")
    region = region_as_of(current, payload.region, on)
    supplier_as_of(current, payload.supplier, on, "supplier")
    require_rate(current, payload.currency, region["currency"], on)


def placed_held(current: Log, payload: OrderPlaced) -> Held:
    return Held(
        region=payload.region,
        document=f"order {payload.order}",
        field="order",
        restricted={
            "restricted_supplier": ("supplier", payload.supplier),
            "restricted_sku": ("sku", payload.sku),
        },
        commitment=placed_commitment,
    )


def placed_commitment(
    current: Log, payload: OrderPlaced, on: date, rate: RateBook, currency: str
) -> dict[int, Fraction]:
    """A new order commits all of its value, at the rate booked on its date."""
    value = as_placed(payload.quantity, payload.unit_price).value
    return {on.year: Fraction(value) * rate.booked_rate(Placement(payload.currency, currency, on))}


def placed_rows(
    seq: int, effective: date, actor: str, payload: OrderPlaced, current: Log
) -> TableRows:
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
        "effective": effective,
        "seq": seq,
    }
    return [(schema.orders, row)]


# -- order.amended and order.cancelled ------------------------------------------------------------


def check_amended(current: Log, payload: OrderAmended, on: date, reason: str | None) -> None:
    order_open_as_of(current, payload.order, on)


def amended_held(current: Log, payload: OrderAmended) -> Held:
    # Amendments change neither supplier nor sku: only a budget cap can block them.
    return Held(
        region=known(current.order(payload.order), "order", payload.order)["region"],
        document=f"order {payload.order}",
        field="order",
        commitment=amended_commitment,
    )


def amended_commitment(
    current: Log, payload: OrderAmended, on: date, rate: RateBook, currency: str
) -> dict[int, Fraction]:
    """The order's value after the amendment less before, charged to the order's
    year at the rate booked on its placement. The order and its changes are those the write
    transaction holds (earlier lines of the same import included), in force on the amendment's
    date, in date order."""
    order = known(current.order(payload.order), "order", payload.order)
    changes = sorted(
        (change for change in current.order_changes(payload.order) if change[3] <= on),
        key=_EFFECTIVE_SEQ,
    )
    before = order_state(as_placed(order["quantity"], order["unit_price"]), changes)
    after = after_change(before, "amended", payload.quantity, payload.unit_price)
    booked = rate.booked_rate(Placement(order["currency"], currency, order["effective"]))
    return {order["year"]: (Fraction(after.value) - Fraction(before.value)) * booked}


def amended_rows(
    seq: int, effective: date, actor: str, payload: OrderAmended, current: Log
) -> TableRows:
    return change_rows(
        seq, effective, payload.order, "amended", payload.quantity, payload.unit_price, current
    )


def check_cancelled(current: Log, payload: OrderCancelled, on: date, reason: str | None) -> None:
    """An open order with no receipts or invoices in the log (one with them is amended)."""
    order = payload.order
    order_open_as_of(current, order, on)
    what = []
    if current.order_receipts(order):
        what.append("receipts")
    if current.invoices_of("order", order):
        what.append("invoices")
    if what:
        raise ValidationError(
            f"order {order!r} has {' and '.join(what)}; amend it instead of cancelling it",
            "order",
        )


def cancelled_rows(
    seq: int, effective: date, actor: str, payload: OrderCancelled, current: Log
) -> TableRows:
    return change_rows(seq, effective, payload.order, "cancelled", None, None, current)


def change_rows(
    seq: int,
    effective: date,
    order_id: str,
    kind: str,
    quantity: int | None,
    unit_price: Decimal | None,
    current: Log,
) -> TableRows:
    """The order_changes row of an amendment or cancellation, with the signed difference it
    makes to its order's value and units as the log stands now (its state folded over the
    order's changes known, before and after it, in (effective, seq) order); and the order's
    orders_replayed row when this change is the first to arrive back-dated."""
    order = known(current.order(order_id), "order", order_id)
    earlier = current.order_changes(order_id)
    placed = as_placed(order["quantity"], order["unit_price"])
    in_order = sorted(earlier, key=_EFFECTIVE_SEQ)
    before = order_state(placed, in_order)
    change = (kind, quantity, unit_price, effective, seq)
    back_dated = bool(earlier) and effective < in_order[-1][3]
    # Replayed already when the changes before this one were not in date order themselves.
    replayed_before = in_order != earlier
    if back_dated:
        after = order_state(placed, sorted([*earlier, change], key=_EFFECTIVE_SEQ))
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
    rows: TableRows = [(schema.order_changes, row)]
    if back_dated and not replayed_before:
        replayed = {"order_id": order_id, "region": order["region"], "year": order["year"]}
        rows.append((schema.orders_replayed, {**replayed, "seq": seq}))
    return rows


KINDS = (
    Kind(
        model=OrderPlaced,
        subject=Subject("{order}", ids=("order",)),
        touches=own_region,
        check=check_placed,
        block=placed_held,
        rows=placed_rows,
        prefetch=("order",),
    ),
    Kind(
        model=OrderAmended,
        subject=Subject("{order}", ids=("order",)),
        touches=region_of_order,
        check=check_amended,
        block=amended_held,
        rows=amended_rows,
        prefetch=("order",),
    ),
    Kind(
        model=OrderCancelled,
        subject=Subject("{order}", ids=("order",)),
        touches=region_of_order,
        check=check_cancelled,
        block=never_held,
        rows=cancelled_rows,
        prefetch=("order",),
    ),
)
