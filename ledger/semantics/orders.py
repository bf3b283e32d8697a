"""An order's state over time (SPEC §4.2): its placement, overridden by its changes.

As of D an order has its placed quantity and unit price, each overridden by every
`order.amended` with effective ≤ D that names it, in (effective, seq) order; its value is
quantity × unit_price, and value and units are 0 once an `order.cancelled` with effective ≤ D
exists. `order_state` is that rule; the commitments report, the buckets' corrections in the
budget and share totals, the report's series (a step per change) and the budget-cap check at
entry all fold an order's changes through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import NamedTuple

from ledger.money import EXACT, as_decimal

# (kind, quantity, unit_price) of one order_changes row: kind `amended` or `cancelled`; an
# amendment's quantity or unit_price is None when it does not name the field.
Change = tuple[str, int | None, Decimal | str | None]


class OrderState(NamedTuple):
    quantity: int
    unit_price: Decimal
    cancelled: bool = False
    amended: bool = False

    @property
    def value(self) -> Decimal:
        """quantity × unit_price in the order's currency (exact), 0 once cancelled."""
        if self.cancelled:
            return Decimal(0)
        return EXACT.multiply(self.unit_price, self.quantity)

    @property
    def units(self) -> int:
        """The quantity that counts in the shares: 0 once cancelled."""
        return 0 if self.cancelled else self.quantity

    @property
    def status(self) -> str:
        """cancelled, amended or open (SPEC §5, `query commitments`)."""
        if self.cancelled:
            return "cancelled"
        return "amended" if self.amended else "open"


def as_placed(quantity: int, unit_price: Decimal | str) -> OrderState:
    """The state of an order as placed, before any change."""
    return OrderState(quantity, as_decimal(unit_price))


def order_state(start: OrderState, changes: Iterable[Change]) -> OrderState:
    """The state after `changes` (those with effective ≤ D, in (effective, seq) order): a
    cancellation zeroes the order for good; an amendment overrides only the fields it names (an
    amendment dated after a back-dated cancellation still sets the quantity a cancelled order
    shows). The one place SPEC §4.2 is written; the other functions here call it."""
    quantity, unit_price, cancelled, amended = start
    for kind, new_quantity, new_price in changes:
        if kind == "cancelled":
            cancelled = True
        else:
            amended = True
            if new_quantity is not None:
                quantity = new_quantity
            if new_price is not None:
                unit_price = as_decimal(new_price)
    return OrderState(quantity, unit_price, cancelled, amended)


def after_change(
    state: OrderState, kind: str, quantity: int | None, unit_price: Decimal | str | None
) -> OrderState:
    """The state after one more change."""
    return order_state(state, ((kind, quantity, unit_price),))


def states_after(start: OrderState, changes: Iterable[Change]) -> Iterator[OrderState]:
    """The state after each of `changes` (in (effective, seq) order), one per change."""
    state = start
    for change in changes:
        state = order_state(state, (change,))
        yield state
