"""Committed and supplier shares of one region and year as of a date (SPEC §4.4), the totals the
budget and share reports and compliance are made of.

Orders are read from the order buckets (sums of orders as placed, per block of seqs) plus single
orders where a bucket would say too much, then corrected by the orders' changes, each order's
changes folded by ledger.semantics.orders. Lease payments and fees come from lease_charges (what
each signing and termination charges to each year, summed when it was recorded). These run for
every report on every region, over the largest tables, so they go straight through the driver.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, select

from ledger import schema
from ledger.dates import as_date
from ledger.money import EXACT, as_decimal
from ledger.reads.masterdata import region_country, suppliers_as_of
from ledger.reads.rates import rate_book
from ledger.semantics.orders import as_placed, order_state
from ledger.semantics.rates import Placement, RateBook
from ledger.sql import day_parameter, driver_rows


def committed(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    rate: RateBook | None = None,
) -> Fraction:
    """committed(region, year) as of as_of (SPEC §4.4), exact, in the region's currency: the
    values of the region's orders charged to the year, plus its lease payments due in the year
    and termination fees charged to it."""
    total = region_totals(connection, region, year, as_of, upto_seq, rate, shares=False)[0]
    assert total is not None  # asked for: None only when not asked for
    return total


def supplier_shares(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    rate: RateBook | None = None,
) -> list[dict[str, Any]]:
    """Per supplier with at least one order of `region` charged to `year` placed by as_of,
    sorted by supplier: supplier, country, domestic (its country is the region's), value
    (Fraction, in the region's currency; cancelled orders count 0) and units (int, the
    quantities of orders not cancelled). Leases do not count (SPEC §4.4)."""
    return region_totals(connection, region, year, as_of, upto_seq, rate, committed=False)[1]


def region_totals(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    rate: RateBook | None = None,
    *,
    committed: bool = True,
    shares: bool = True,
) -> tuple[Fraction | None, list[dict[str, Any]]]:
    """(committed, supplier_shares) of one region and year as of as_of from ONE reading of its
    orders (the compliance report needs both); committed is None when not asked for or the
    region is unknown, the shares empty when not asked for. `rate`: a rate book for the same
    as_of and limit, shared by the regions of one report."""
    rate = rate or rate_book(connection, as_of, upto_seq)
    regions = schema.regions
    home = connection.execute(
        select(regions.c.currency, regions.c.country).where(regions.c.region == region)
    ).first()
    region_currency = None if home is None else home.currency
    orders = _region_orders(connection, region, year, as_of, upto_seq, region_currency)
    total = None
    if committed:
        # Decimals summed per booked rate first: one exact Fraction product per rate, not per row.
        per_rate: dict[tuple, Decimal] = defaultdict(Decimal)
        if orders:
            # Orders are entered only for a known region: a region with orders has a currency.
            assert region_currency is not None
            with localcontext(EXACT):
                for (_, currency, day), (value, _, _) in orders.items():
                    if value:
                        per_rate[rate.booked(Placement(currency, region_currency, day))] += value
        total = sum(
            (Fraction(value) * rate.rate(booking) for booking, value in per_rate.items()),
            Fraction(0),
        )
        total += _lease_charges(connection, region, year, as_of, upto_seq, rate, region_currency)
    if not shares or home is None:
        return total, []
    # Master data as of the date (SPEC §4.4): a back-dated country correction counts from then.
    countries = {
        code: country for code, (_, country) in suppliers_as_of(connection, as_of, upto_seq).items()
    }
    home_country = region_country(connection, region, as_of, upto_seq) or home.country
    found: dict[str, dict[str, Any]] = {}
    # Per supplier, Decimals summed per booked rate first: one Fraction product per rate.
    per_supplier_rate: dict[tuple, Decimal] = defaultdict(Decimal)
    with localcontext(EXACT):
        for (supplier, currency, day), (value, units, _) in orders.items():
            share = found.get(supplier)
            if share is None:
                share = found[supplier] = {
                    "supplier": supplier,
                    "country": countries.get(supplier),
                    "domestic": countries.get(supplier) == home_country,
                    "value": Fraction(0),
                    "units": 0,
                }
            if value:
                booking = rate.booked(Placement(currency, home.currency, day))
                per_supplier_rate[supplier, booking] += value
            share["units"] += int(units)
    for (supplier, booking), value in per_supplier_rate.items():
        found[supplier]["value"] += Fraction(value) * rate.rate(booking)
    return total, [found[supplier] for supplier in sorted(found)]


# -- orders of one region and year ------------------------------------------------------------------


def _region_orders(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    region_currency: str | None,
) -> dict[tuple, list]:
    """[value, units, orders] of the region's orders charged to `year` as of as_of, per
    (supplier, currency, day), in the document currency; the booked rate of `day` holds for
    the whole value."""
    sums = _placed_sums(connection, region, year, as_of, upto_seq, region_currency)
    with localcontext(EXACT):
        for key, (value, units) in _changed_orders(
            connection, region, year, as_of, upto_seq
        ).items():
            found = sums.setdefault(key, [Decimal(0), Decimal(0), 0])
            found[0] += value
            found[1] += units
    return sums


def _placed_sums(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    region_currency: str | None,
) -> dict[tuple, list]:
    """The region's orders charged to `year` that were placed by as_of and known within the
    limit, as placed (before any change), summed into [value, units, orders] per (supplier,
    currency, day), the day being one whose booked rate holds for the whole sum.

    Buckets give everything in blocks below the limit's block, except the region-currency
    orders of the as-of month (their buckets span the whole month); single orders give those
    and the orders in the limit's block."""
    sums: dict[tuple, list] = {}

    def add(key: tuple, value: Any, units: Any, count: Any) -> None:
        found = sums.get(key)
        if found is None:
            sums[key] = [value, units, count]
        else:
            found[0] += value
            found[1] += units
            found[2] += count

    def day(value: date) -> object:
        return day_parameter(connection, value)

    as_of_month = as_of.replace(day=1)
    below_block = [] if upto_seq is None else [upto_seq // schema.BUCKET_SEQS * schema.BUCKET_SEQS]
    with localcontext(EXACT):
        buckets = driver_rows(
            connection,
            "SELECT supplier, currency, effective, value, units, orders FROM order_buckets "
            "WHERE region = ? AND year = ? AND effective <= ? "
            "AND (currency <> ? OR effective < ?)" + (" AND block < ?" if below_block else ""),
            [
                region,
                year,
                day(as_of),
                region_currency,
                day(as_of_month),
                *[start // schema.BUCKET_SEQS for start in below_block],
            ],
        )
        for supplier, currency, effective, value, units, count in buckets:
            add(
                (supplier, currency, as_date(effective)),
                as_decimal(value),
                as_decimal(units),
                count,
            )
        single = (
            "SELECT supplier, currency, effective, quantity, unit_price FROM orders "
            "WHERE region = ? AND year = ? AND "
        )
        queries = [
            (
                single
                + "currency = ? AND effective >= ? AND effective <= ?"
                + (" AND seq < ?" if below_block else ""),
                [region_currency, day(as_of_month), day(as_of), *below_block],
            )
        ]
        if upto_seq is not None:
            queries.append(
                (
                    single + "seq >= ? AND seq <= ? AND effective <= ?",
                    [*below_block, upto_seq, day(as_of)],
                )
            )
        for sql, parameters in queries:
            for supplier, currency, effective, quantity, unit_price in driver_rows(
                connection, sql, [region, year, *parameters]
            ):
                add(
                    (supplier, currency, as_date(effective)),
                    quantity * as_decimal(unit_price),
                    Decimal(quantity),
                    1,
                )
    return sums


def _changed_orders(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> dict[tuple, list]:
    """What the changes known by as_of make of the region's orders charged to `year`: per
    (supplier, currency, placement day), [value, units] as they are now less as placed.

    An order whose changes arrived in date order within the limit has its visible changes as a
    prefix in seq order, so their signed deltas add up to that difference. An order whose
    changes stopped arriving in date order within the limit (orders_replayed, seq ≤ upto_seq)
    is folded change by change instead."""
    limit = "" if upto_seq is None else " AND seq <= ?"
    known = [] if upto_seq is None else [upto_seq]
    as_of_day = day_parameter(connection, as_of)
    replayed = (
        "SELECT order_id FROM orders_replayed WHERE region = ? AND year = ?" + limit,
        [region, year, *known],
    )
    # Keyed by the day as read (SQLite's ISO text): made a date once per key below.
    adjustments: dict[tuple, list] = {}
    with localcontext(EXACT):
        for supplier, currency, day, value, units in driver_rows(
            connection,
            "SELECT supplier, currency, placed, value_delta, units_delta FROM order_changes "
            "WHERE region = ? AND year = ? AND effective <= ?"
            + limit
            + " AND order_id NOT IN ("
            + replayed[0]
            + ")",
            [region, year, as_of_day, *known, *replayed[1]],
        ):
            found = adjustments.get((supplier, currency, day))
            if found is None:
                found = adjustments[supplier, currency, day] = [Decimal(0), 0]
            found[0] += as_decimal(value)
            found[1] += units
        rows = driver_rows(
            connection,
            "SELECT c.kind, c.quantity, c.unit_price, c.order_id, c.supplier, c.currency, "
            "c.placed, o.quantity, o.unit_price FROM order_changes c "
            "JOIN orders o ON o.order_id = c.order_id "
            "WHERE c.region = ? AND c.year = ? AND c.effective <= ?"
            + limit.replace("seq", "c.seq")
            + " AND c.order_id IN ("
            + replayed[0]
            + ") ORDER BY c.order_id, c.effective, c.seq",
            [region, year, as_of_day, *known, *replayed[1]],
        )
        for _, group in groupby(rows, key=itemgetter(3)):
            changes = list(group)
            _, _, _, _, supplier, currency, day, quantity, unit_price = changes[0]
            placed = as_placed(quantity, unit_price)
            now = order_state(placed, changes)
            found = adjustments.get((supplier, currency, day))
            if found is None:
                found = adjustments[supplier, currency, day] = [Decimal(0), 0]
            found[0] += now.value - placed.value
            found[1] += now.units - quantity
    return {
        (supplier, currency, as_date(day)): [value, Decimal(units)]
        for (supplier, currency, day), (value, units) in adjustments.items()
    }


# -- leases -----------------------------------------------------------------------------------------


def _lease_charges(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    rate: RateBook,
    region_currency: str | None,
) -> Fraction:
    """Lease payments due in `year` and termination fees charged to `year`, in the region's
    currency at each lease's booked rate: the lease_charges amounts the as-of date
    and the limit can see, summed as Decimals per booking, then converted once per booking."""
    per_booking: dict[tuple, Decimal] = {}
    sums = lease_sums(connection, region, year, as_of, upto_seq)
    if not sums:
        return Fraction(0)
    # Leases are entered only for a known region: a region with leases has a currency.
    assert region_currency is not None
    for (currency, signed), amount in sums.items():
        if not amount:
            continue
        booking = rate.booked(Placement(currency, region_currency, signed))
        per_booking[booking] = EXACT.add(per_booking.get(booking, Decimal(0)), amount)
    return sum(
        (Fraction(value) * rate.rate(booking) for booking, value in per_booking.items()),
        Fraction(0),
    )


def lease_sums(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> dict[tuple, Decimal]:
    """What the region's leases charge to `year` as of as_of within the limit, in their own
    currency, per (currency, signing day as read): the key of the booked rate."""
    sums: dict[tuple, Decimal] = {}
    with localcontext(EXACT):
        for currency, signed, amount in driver_rows(
            connection,
            "SELECT currency, signed, amount FROM lease_charges "
            "WHERE region = ? AND year = ? AND effective <= ?"
            + ("" if upto_seq is None else " AND seq <= ?"),
            [
                region,
                year,
                day_parameter(connection, as_of),
                *([] if upto_seq is None else [upto_seq]),
            ],
        ):
            key = (currency, signed)
            found = sums.get(key)
            sums[key] = as_decimal(amount) if found is None else found + as_decimal(amount)
    return sums
