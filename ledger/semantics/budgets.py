"""Budget of a region and year: revisions set it, transfers move it between regions.

The budget is a fold over the region's budget events for the year in (effective, seq) order: a
`budget.revised` sets it to its amount, a `budget.transferred` out of the region lowers it by
its amount, one into the region raises it by its amount converted from the sending region's
currency at the rate in force on the transfer's own effective date (exact). Before any revision
it starts at 0, so a transfer counts only when it comes after the latest revision. The budget as
of D is the fold over the events with effective ≤ D. "A budget is recorded" means a revision is
among them. Pure: the readers pass the rows and a rate book in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from ledger.dates import as_date

# The rate converting a currency to another on a day (a RateBook).
Rate = Callable[[str, str, date], Fraction]


@dataclass(frozen=True)
class Revision:
    """A `budget.revised` of the region and year: amount in the region's currency."""

    effective: date
    seq: int
    amount: Decimal


@dataclass(frozen=True)
class Transfer:
    """A `budget.transferred` of the year from or to the region: amount in from_currency."""

    effective: date
    seq: int
    from_region: str
    to_region: str
    amount: Decimal
    from_currency: str


@dataclass(frozen=True)
class Budget:
    """budget(R, Y) as of a date: amount in R's currency (exact); recorded when a revision
    counts (a budget counts as recorded)."""

    amount: Fraction
    recorded: bool

    @property
    def or_none(self) -> Fraction | None:
        """The amount when a budget is recorded, else None."""
        return self.amount if self.recorded else None


NO_BUDGET = Budget(Fraction(0), False)


def transfer_change(transfer: Transfer, region: str, currency: str, rate: Rate) -> Fraction:
    """What a transfer does to `region`'s budget (in `currency`, the region's): −amount out,
    +amount converted at the rate on the transfer's date in, 0 when it names neither side."""
    if transfer.from_region == region:
        return -Fraction(transfer.amount)
    if transfer.to_region == region:
        on = as_date(transfer.effective)
        return Fraction(transfer.amount) * rate(transfer.from_currency, currency, on)
    return Fraction(0)


def budget_steps(
    region: str,
    currency: str,
    revisions: Iterable[Revision],
    transfers: Iterable[Transfer],
    rate: Rate,
) -> list[tuple[date, int, Budget]]:
    """(effective, seq, budget after it) for each budget event of the region and year, in
    (effective, seq) order: the budget as of D is the last step with effective ≤ D."""
    both: list[Revision | Transfer] = [*revisions, *transfers]
    events = [(as_date(event.effective), event.seq, event) for event in both]
    events.sort(key=lambda item: (item[0], item[1]))
    steps = []
    budget = NO_BUDGET
    for effective, seq, event in events:
        if isinstance(event, Revision):
            budget = Budget(Fraction(event.amount), True)
        else:
            change = transfer_change(event, region, currency, rate)
            budget = Budget(budget.amount + change, budget.recorded)
        steps.append((effective, seq, budget))
    return steps


def budget_as_of(
    region: str,
    currency: str,
    revisions: Iterable[Revision],
    transfers: Iterable[Transfer],
    rate: Rate,
    as_of: date,
) -> Budget:
    """budget(R, Y) as of `as_of` from the region's revisions and transfers of the year (any
    superset of those with effective ≤ as_of: the later ones are left out here)."""
    budget = NO_BUDGET
    for effective, _, after in budget_steps(region, currency, revisions, transfers, rate):
        if effective > as_of:
            break
        budget = after
    return budget
