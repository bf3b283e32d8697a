"""A lease's payment schedule and what a termination does to it (SPEC §4.3).

A lease has `months` payments of `monthly_payment`, due on start + k months (k = 0 … months−1,
the day clamped to the month's end), each charged to the budget year of its due date. A
termination on T removes every payment due after T (one due on T stays) and adds its fee,
charged to year(T). The write side counts each lease's payments per year with payment_dates and
pre-sums what each lease event charges to each year from payment_months and payments_removed
(the lease_charges read model), whose rows the spend layers count as due with due_in_months;
block mode charges a new lease with charges_per_year.
"""

from __future__ import annotations

from calendar import monthrange
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


def payments_removed(start: date, months: int, terminated: date) -> dict[int, int]:
    """Per budget year, how many of the lease's payments a termination on `terminated` removes:
    those due after it (years it leaves whole are left out)."""
    removed = {}
    for year, count in payments_per_year(start, months).items():
        gone = count - payments_left(start, months, year, terminated)
        if gone:
            removed[year] = gone
    return removed


def payment_months(start: date, months: int) -> dict[int, tuple[int, int]]:
    """Per budget year, the first and last month (1-12) in which a payment falls due: one
    payment a month, so every month between them has one."""
    found: dict[int, tuple[int, int]] = {}
    first_month = start.year * 12 + start.month - 1
    for index in range(first_month, first_month + months):
        year, month = divmod(index, 12)
        low, _ = found.get(year, (month + 1, month + 1))
        found[year] = (low, month + 1)
    return found


def due_in_months(first: int, last: int, due_day: int, year: int, as_of: date) -> int:
    """How many of the monthly payments of `year` in months first…last, each due on `due_day`
    (the start's day, clamped to the month's end), are due on or before as_of."""
    if year < as_of.year:
        return last - first + 1
    if year > as_of.year:
        return 0
    until = as_of.month
    if min(due_day, monthrange(year, until)[1]) > as_of.day:
        until -= 1
    return max(0, min(last, until) - first + 1)
