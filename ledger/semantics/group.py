"""The group's view (one reporting currency): each region's figures converted at the rate in force
on one date, and their total.

A region's amount in X is its amount in the region's currency times the rate from that currency to
X in force on the rate date (ledger.semantics.rates: the latest known rate of the pair, either
direction), exactly. A region with no such rate is an error naming the pair and the date: a
group total never leaves a region out silently. The total is the sum of the exact converted
amounts; rounding happens only when a figure is printed.

Two currencies that are both quoted against a third (EUR and CNY against USD) have no rate of
their own; asked to go `via` that currency, the rate is the product of the two legs, each in force
on the rate date, still exact, and the row says which currency it went through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from ledger.errors import LedgerError
from ledger.semantics.rates import RateBook

# The amounts a group row converts, in the order the report prints them.
GROUP_AMOUNTS = ("budget", "committed", "remaining", "invoiced", "paid")
TOTAL = "*"


def reporting_rate(
    rates: RateBook, currency: str, reporting: str, on: date, via: str | None = None
) -> Fraction:
    """The rate from `currency` to `reporting` in force on `on`, directly or, when `via` is
    given and differs from both, as the product of the two legs through it."""
    if not goes_via(currency, reporting, via):
        return rates(currency, reporting, on)
    assert via is not None  # goes_via is false without one
    return rates(currency, via, on) * rates(via, reporting, on)


def goes_via(currency: str, reporting: str, via: str | None) -> bool:
    """Whether a region's amounts take two legs through `via` (not when one end is `via` or
    the region already keeps its books in the reporting currency)."""
    return via is not None and via != currency and via != reporting and currency != reporting


def group_rows(
    regions: Iterable[Mapping[str, Any]],
    reporting: str,
    rates: RateBook,
    on: date,
    year: int,
    *,
    via: str | None = None,
    total: bool = True,
) -> list[dict[str, Any]]:
    """The regions' rows (region, year, currency and GROUP_AMOUNTS in the region's currency) in
    the reporting currency, in region code order, then the total row (region `*`, no rate)."""
    rows: list[dict[str, Any]] = []
    sums = dict.fromkeys(GROUP_AMOUNTS, Fraction(0))
    for region in sorted(regions, key=lambda row: row["region"]):
        try:
            rate = reporting_rate(rates, region["currency"], reporting, on, via)
        except LedgerError as error:
            raise LedgerError(
                f"region {region['region']}: {error}; the group view needs a rate for every "
                f"region (record one with `ledger fx set`, or choose another --rate-date)"
            ) from None
        converted = {name: Fraction(region[name]) * rate for name in GROUP_AMOUNTS}
        for name, amount in converted.items():
            sums[name] += amount
        rows.append(
            {
                "region": region["region"],
                "year": region["year"],
                "currency": reporting,
                "rate": rate,
                **converted,
                "via": via if goes_via(region["currency"], reporting, via) else None,
            }
        )
    if total:
        rows.append(
            {
                "region": TOTAL,
                "year": year,
                "currency": reporting,
                "rate": None,
                **sums,
                "via": via if any(row["via"] for row in rows) else None,
            }
        )
    return rows
