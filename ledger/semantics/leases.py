"""A lease's payment schedule and what a termination does to it (SPEC §4.3).

A lease has `months` payments of `monthly_payment`, due on start + k months (k = 0 … months−1,
the day clamped to the month's end), each charged to the budget year of its due date. A
termination on T removes every payment due after T (one due on T stays) and adds its fee,
charged to year(T). The write side counts each lease's payments per year with payment_dates and
pre-sums what each lease event charges to each year with charges_per_year and termination_charges
(the lease_charges read model); the spend layers count what a termination leaves with
payments_left, and block mode charges a new lease with charges_per_year.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal, localcontext

from ledger.dates import add_months
from ledger.money import EXACT


def payment_dates(start: date, months: int) -> list[date]:
    """Due dates start + k months for k = 0 … months−1, each computed from start (not chained),
    so a lease starting on the 31st pays on the 31st whenever the month has one."""
    return [add_months(start, k) for k in range(months)]


def payments_per_year(start: date, months: int) -> Counter[int]:
    """How many payments are due in each budget year, before any termination."""
    return Counter(due.year for due in payment_dates(start, months))


def payments_due(start: date, months: int, year: int | None, until: date) -> int:
    """How many of payment_dates(start, months) fall in `year` (any year when None) and on or
    before `until`, counted without listing them: payment k is due in month start + k."""
    first_month = start.year * 12 + start.month - 1
    last_k = months - 1
    if year is not None:
        low, high = year * 12 - first_month, year * 12 + 11 - first_month
    else:
        low, high = 0, last_k
    until_k = until.year * 12 + until.month - 1 - first_month
    if 0 <= until_k <= last_k and add_months(start, until_k) > until:
        until_k -= 1
    return max(0, min(high, last_k, until_k) - max(low, 0) + 1)


def payments_left(start: date, months: int, year: int | None, terminated: date) -> int:
    """How many payments of a lease terminated on `terminated` still count, in `year` (all
    years when None): those due on or before the termination."""
    return payments_due(start, months, year, terminated)


def charges_per_year(
    start: date,
    months: int,
    monthly_payment: Decimal,
    terminated: date | None = None,
    fee: Decimal = Decimal(0),
) -> dict[int, Decimal]:
    """Per budget year, the lease's payments charged to it and the termination fee, in the
    lease's currency."""
    charges: dict[int, Decimal] = defaultdict(Decimal)
    with localcontext(EXACT):
        for year, count in payments_per_year(start, months).items():
            if terminated is not None:
                count = payments_left(start, months, year, terminated)
            if count:
                charges[year] += count * monthly_payment
        if terminated is not None:
            charges[terminated.year] += fee
    return dict(charges)


def termination_charges(
    start: date, months: int, monthly_payment: Decimal, terminated: date, fee: Decimal
) -> dict[int, Decimal]:
    """Per budget year, what a termination on `terminated` changes in the lease's charges: minus
    the payments due after it, plus its fee in its own year (years it leaves unchanged are
    left out). Added to charges_per_year(start, months, monthly_payment) it gives
    charges_per_year(..., terminated, fee)."""
    before = charges_per_year(start, months, monthly_payment)
    after = charges_per_year(start, months, monthly_payment, terminated, fee)
    changes = {}
    with localcontext(EXACT):
        for year in sorted(before.keys() | after.keys()):
            change = after.get(year, Decimal(0)) - before.get(year, Decimal(0))
            if change:
                changes[year] = change
    return changes
