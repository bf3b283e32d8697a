"""An order's state over time: its placement, overridden by its changes.

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

# (kind, quantity, unit_price, …) of one order_changes row: kind `amended` or `cancelled`; an
# amendment's quantity or unit_price is None when it does not name the field. Further items of
# a row (its order, its dates) are ignored.
Change = tuple  # (str, int | None, Decimal | str | None, ...)


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
        """cancelled, amended or open (the status `query commitments` shows)."""
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
    shows). The one place this rule is written; the other functions here call it."""
    quantity, unit_price, cancelled, amended = start
    # Indexed rather than unpacked: a reader may pass its rows as they are, other columns after.
    for change in changes:
        if change[0] == "cancelled":
            cancelled = True
        else:
            amended = True
            if change[1] is not None:
                quantity = change[1]
            if change[2] is not None:
                unit_price = as_decimal(change[2])
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
