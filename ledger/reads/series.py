"""Budget, committed and supplier shares of one region and year at many as-of dates, in one sweep.

The point queries (reads.budget.budget_rows, reads.shares.share_rows) answer one as-of date each. A report
asks the same question at hundreds of dates; this module reads the region's rows once (orders,
changes, leases, terminations, budgets and transfers, all within the knowledge limit and dated by the last
date) and turns every document into signed steps: +value on the day an order is placed, the
difference its state makes on the day of each change (SPEC §4.2), a lease's payments from its
signing and their reduction from its termination (§4.3), as lease_charges holds them. Each step lands on the first asked date
on or after its day; running sums over the dates then give, at every date, exactly what the
point query gives (Fractions; the tests compare both on random streams).

Booked rates never depend on the as-of date (a document's rate is the one in force on its own
day, which is ≤ every date that counts it), so one rate book serves all dates.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Row, select

from ledger import schema
from ledger.dates import as_date
from ledger.money import EXACT, as_decimal
from ledger.reads.budget import budget_row
from ledger.reads.masterdata import updates_of
from ledger.reads.rates import rate_book
from ledger.reads.regions import transfers_of
from ledger.reads.shares import share_rows_of
from ledger.semantics.budgets import Revision, budget_steps
from ledger.semantics.masterdata import master_as_of
from ledger.semantics.orders import as_placed, states_after
from ledger.semantics.rates import Placement, RateBook
from ledger.sql import day_parameter, driver_rows


@dataclass(frozen=True)
class SeriesPoint:
    """The answers at one as-of date, shaped as the point queries give them for the region:
    `budget` as query_budget's rows and `shares` as supplier_shares (value and units per
    supplier, sorted by supplier); both empty while the region is not open."""

    as_of: date
    budget: list[dict[str, Any]]
    shares: list[dict[str, Any]]

    def share_rows(self, basis: str) -> list[dict[str, Any]]:
        """query_shares' rows of the region at this date on `basis` (value or units)."""
        region = self.budget[0]["region"] if self.budget else ""
        return share_rows_of(region, [dict(share) for share in self.shares], basis)


def region_series(
    connection: Connection, region: str, year: int, dates: list[date], upto_seq: int | None
) -> list[SeriesPoint]:
    """One SeriesPoint per distinct date of `dates`, in date order."""
    dates = sorted(set(dates))
    if not dates:
        return []
    sweep = _Sweep(connection, region, year, dates, upto_seq)
    return sweep.points()


class _Sweep:
    def __init__(
        self,
        connection: Connection,
        region: str,
        year: int,
        dates: list[date],
        upto_seq: int | None,
    ):
        self.connection, self.region, self.year = connection, region, year
        self.dates, self.upto_seq = dates, upto_seq
        self.last = dates[-1]

    def _day(self, value: date) -> object:
        return day_parameter(self.connection, value)

    def _bin(self, day: date | str) -> int:
        """The index of the first asked date on or after `day` (len(dates): none)."""
        return bisect_left(self.dates, as_date(day))

    def _within_limit(self, alias: str = "") -> tuple[str, list]:
        if self.upto_seq is None:
            return "", []
        return f" AND {alias}seq <= ?", [self.upto_seq]

    # -- reading the region's rows once ---------------------------------------------------------

    def opened(self) -> Row[*tuple[Any, ...]] | None:
        regions = schema.regions
        query = select(regions).where(regions.c.region == self.region)
        if self.upto_seq is not None:
            query = query.where(regions.c.seq <= self.upto_seq)
        return self.connection.execute(query).first()

    def budgets(self, currency: str, rate: RateBook) -> list[tuple[date, Fraction]]:
        """(effective, budget after it) for each budget revision and transfer of the region and
        year dated by the last date, in (effective, seq) order (SPEC §4.4: a transfer is a step
        in the budget line)."""
        budgets = schema.budgets
        query = (
            select(budgets.c.effective, budgets.c.seq, budgets.c.amount)
            .where(
                budgets.c.region == self.region,
                budgets.c.year == self.year,
                budgets.c.effective <= self.last,
            )
            .order_by(budgets.c.effective, budgets.c.seq)
        )
        if self.upto_seq is not None:
            query = query.where(budgets.c.seq <= self.upto_seq)
        revisions = [Revision(*row) for row in self.connection.execute(query)]
        transfers = transfers_of(self.connection, self.region, self.year, self.last, self.upto_seq)
        steps = budget_steps(self.region, currency, revisions, transfers, rate)
        return [(effective, budget.amount) for effective, _, budget in steps]

    def order_steps(self) -> tuple[dict[tuple, list], dict[str, int]]:
        """[value, units] steps per (bin, supplier, currency, placement day), in the document
        currency, and the first bin at which each supplier appears in the shares."""
        steps: dict[tuple, list] = {}
        appears: dict[str, int] = {}

        def add(
            index: int, supplier: str, currency: str, placed: Any, value: Any, units: Any
        ) -> None:
            if index >= len(self.dates):
                return
            if appears.get(supplier, index + 1) > index:
                appears[supplier] = index
            key = (index, supplier, currency, placed)
            found = steps.get(key)
            if found is None:
                steps[key] = [value, units]
            else:
                found[0] += value
                found[1] += units

        within, limit = self._within_limit()
        # The placements, the bulk of the rows: summed per (supplier, currency, day) as read
        # (SQLite's days are ISO text, binned as text), then binned once per distinct day.
        placed_sums: dict[tuple, list] = {}
        with localcontext(EXACT):
            for supplier, currency, placed, quantity, unit_price in driver_rows(
                self.connection,
                "SELECT supplier, currency, effective, quantity, unit_price FROM orders "
                "WHERE region = ? AND year = ? AND effective <= ?" + within,
                [self.region, self.year, self._day(self.last), *limit],
            ):
                value = quantity * (
                    unit_price if type(unit_price) is Decimal else Decimal(unit_price)
                )
                found = placed_sums.get((supplier, currency, placed))
                if found is None:
                    placed_sums[supplier, currency, placed] = [value, quantity]
                else:
                    found[0] += value
                    found[1] += quantity
            for (supplier, currency, placed), (value, quantity) in placed_sums.items():
                placed = as_date(placed)
                add(self._bin(placed), supplier, currency, placed, value, Decimal(quantity))
            within, limit = self._within_limit("c.")
            rows = driver_rows(
                self.connection,
                "SELECT c.order_id, c.kind, c.quantity, c.unit_price, c.effective, o.supplier, "
                "o.currency, o.effective, o.quantity, o.unit_price FROM order_changes c "
                "JOIN orders o ON o.order_id = c.order_id "
                "WHERE c.region = ? AND c.year = ? AND c.effective <= ?"
                + within
                + " ORDER BY c.order_id, c.effective, c.seq",
                [self.region, self.year, self._day(self.last), *limit],
            )
            for _, group in groupby(rows, key=itemgetter(0)):
                changes = list(group)
                _, _, _, _, _, supplier, currency, day, quantity, unit_price = changes[0]
                day = as_date(day)
                # Each change's step is the state after it less the state before (SPEC §4.2).
                before = as_placed(quantity, unit_price)
                after_each = states_after(before, (change[1:4] for change in changes))
                for change, after in zip(changes, after_each, strict=True):
                    add(
                        self._bin(change[4]),
                        supplier,
                        currency,
                        day,
                        after.value - before.value,
                        Decimal(after.units - before.units),
                    )
                    before = after
        return steps, appears

    def lease_steps(self) -> dict[tuple, Decimal]:
        """Steps of lease payments due in the year and termination fees charged to it, per
        (bin, currency, signing day), in the document currency: each lease_charges row (a
        signing's payments, a termination's change) on the first date that sees it."""
        steps: dict[tuple, Decimal] = defaultdict(Decimal)
        within, limit = self._within_limit()
        with localcontext(EXACT):
            for currency, signed, effective, amount in driver_rows(
                self.connection,
                "SELECT currency, signed, effective, amount FROM lease_charges "
                "WHERE region = ? AND year = ? AND effective <= ?" + within,
                [self.region, self.year, self._day(self.last), *limit],
            ):
                index = self._bin(effective)
                if index < len(self.dates):
                    steps[index, currency, as_date(signed)] += as_decimal(amount)
        return {key: value for key, value in steps.items() if value}

    def master_data(
        self, opened: Row[*tuple[Any, ...]]
    ) -> Callable[[date], tuple[dict[str, str], str]]:
        """A function of a date giving (supplier → country, the region's country) as of it
        (SPEC §4.4, master data as of D); recomputed only across the updates' dates."""
        suppliers = schema.suppliers
        query = select(suppliers.c.supplier, suppliers.c.country)
        if self.upto_seq is not None:
            query = query.where(suppliers.c.seq <= self.upto_seq)
        registered = dict(self.connection.execute(query).all())
        by_supplier = updates_of(
            self.connection, schema.supplier_updates, "supplier", self.last, self.upto_seq
        )
        of_region = updates_of(
            self.connection, schema.region_updates, "region", self.last, self.upto_seq, self.region
        ).get(self.region, [])
        days = sorted({as_date(u.effective) for u in (*of_region, *chain(*by_supplier.values()))})
        found: dict[int, tuple[dict[str, str], str]] = {}

        def at(day: date) -> tuple[dict[str, str], str]:
            key = bisect_right(days, day)
            if key not in found:
                countries = {
                    supplier: master_as_of("", country, by_supplier.get(supplier, ()), day)[1]
                    for supplier, country in registered.items()
                }
                home = master_as_of("", opened.country, of_region, day)[1]
                found[key] = (countries, home)
            return found[key]

        return at

    # -- the sweep ------------------------------------------------------------------------------

    def points(self) -> list[SeriesPoint]:
        opened = self.opened()
        if opened is None:
            return [SeriesPoint(day, [], []) for day in self.dates]
        home = opened.currency
        rate = rate_book(self.connection, self.last, self.upto_seq)
        master = self.master_data(opened)
        order_steps, appears = self.order_steps()
        lease_steps = self.lease_steps()

        # Per bin, Decimals summed per booked rate first: one Fraction product per rate.
        per_bin: dict[int, dict[tuple, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        units_per_bin: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        bookings: dict[tuple, tuple] = {}
        with localcontext(EXACT):
            for (index, supplier, currency, placed), (value, step_units) in order_steps.items():
                if value:
                    booking = bookings.get((currency, placed))
                    if booking is None:
                        booking = bookings[currency, placed] = rate.booked(
                            Placement(currency, home, placed)
                        )
                    per_bin[index][supplier, booking] += value
                if step_units:
                    units_per_bin[index][supplier] += step_units
            for (index, currency, signed), value in lease_steps.items():
                per_bin[index][None, rate.booked(Placement(currency, home, signed))] += value

        budgets = self.budgets(home, rate)
        budget_index, budget = 0, Fraction(0)
        values: dict[str, Fraction] = defaultdict(Fraction)
        units: dict[str, int] = defaultdict(int)
        leases = Fraction(0)
        opened_on = as_date(opened.effective)
        points = []
        for index, day in enumerate(self.dates):
            for (supplier, booking), value in per_bin.get(index, {}).items():
                amount = Fraction(value) * rate.rate(booking)
                if supplier is None:
                    leases += amount
                else:
                    values[supplier] += amount
            for supplier, count in units_per_bin.get(index, {}).items():
                units[supplier] += int(count)
            while budget_index < len(budgets) and budgets[budget_index][0] <= day:
                budget = budgets[budget_index][1]
                budget_index += 1
            if opened_on > day:
                points.append(SeriesPoint(day, [], []))
                continue
            present = sorted(supplier for supplier, first in appears.items() if first <= index)
            countries, home_country = master(day)
            shares = [
                {
                    "supplier": supplier,
                    "country": countries[supplier],
                    "domestic": countries[supplier] == home_country,
                    "value": values[supplier],
                    "units": units[supplier],
                }
                for supplier in present
            ]
            spent = sum((values[supplier] for supplier in present), leases)
            points.append(SeriesPoint(day, [budget_row(opened, self.year, budget, spent)], shares))
        return points
