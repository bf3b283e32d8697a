"""Point-in-time queries over the read models: budget, commitments, supplier shares (SPEC §4).

SQL selects the rows an (as_of, upto_seq) pair can see, through the indexes of schema.py; Python
does the arithmetic, exactly, with Fractions. Amounts are never summed in SQL: SQLite keeps them
as decimal text. The building blocks (booked_rate, budget_amount, committed, supplier_shares,
region_rows) are shared with the compliance report.

Knowledge: a row counts when its `seq` ≤ upto_seq (None: everything) and, as a fact, when its
`effective` ≤ as_of. Lease payments belong to their lease's seq.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from datetime import date
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext
from fractions import Fraction
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, exists, func, select

from ledger import schema
from ledger.dates import as_date, payments_due
from ledger.errors import LedgerError

Rate = Callable[[str, str, date], Fraction]


def _known(table, as_of: date, upto_seq: int | None) -> list:
    """Rows of `table` that hold at as_of and were known within the limit."""
    conditions = [table.c.effective <= as_of]
    if upto_seq is not None:
        conditions.append(table.c.seq <= upto_seq)
    return conditions


# -- currency -------------------------------------------------------------------------------------


def booked_rate(
    connection: Connection, currency: str, region_currency: str, on: date, upto_seq: int | None
) -> Fraction | None:
    """The rate converting `currency` to `region_currency` in force on `on` (SPEC §4.1).

    1 when the currencies are equal; else the `fx.rate_set` with the latest (effective, seq)
    among the pairs (currency, region_currency) and (region_currency, currency) with
    effective ≤ on and seq ≤ upto_seq, inverted for the reverse pair; None when there is none.
    """
    if currency == region_currency:
        return Fraction(1)
    latest = _known_rates(connection, currency, region_currency, on, upto_seq, per_direction=1)
    return latest[0][1] if latest else None


def _known_rates(
    connection: Connection,
    currency: str,
    region_currency: str,
    on: date,
    upto_seq: int | None,
    per_direction: int | None = None,
) -> list[tuple[tuple[date, int], Fraction]]:
    """((effective, seq), rate converting currency to region_currency) of the known rates of
    both directions with effective ≤ on, the latest first; `per_direction` limits each."""
    rates = schema.fx_rates
    found = []
    # One indexed query per direction: an OR across both would not use the index.
    for base, quote, inverse in (
        (currency, region_currency, False),
        (region_currency, currency, True),
    ):
        rows = connection.execute(
            select(rates.c.rate, rates.c.effective, rates.c.seq)
            .where(rates.c.base == base, rates.c.quote == quote, *_known(rates, on, upto_seq))
            .order_by(rates.c.effective.desc(), rates.c.seq.desc())
            .limit(per_direction)
        )
        for row in rows:
            rate = Fraction(row.rate)
            found.append(((row.effective, row.seq), 1 / rate if inverse else rate))
    return sorted(found, key=itemgetter(0), reverse=True)


class _RateBook:
    """booked_rate for the documents of one query (all dated ≤ as_of): each pair's known rates
    are read once, then looked up by date."""

    def __init__(self, connection: Connection, as_of: date, upto_seq: int | None):
        self.connection, self.as_of, self.upto_seq = connection, as_of, upto_seq
        self.histories: dict[tuple[str, str], tuple[list, list]] = {}
        self.bookings: dict[tuple[str, str, date], tuple[str, str, int]] = {}

    def _history(self, currency: str, region_currency: str) -> tuple[list, list]:
        """The pair's known rates, oldest first: keys (effective, seq) and rates as read
        ((Decimal, inverse) pairs, made Fractions by rate() only when used)."""
        pair = (currency, region_currency)
        if pair not in self.histories:
            found = []
            sqlite = _is_sqlite(self.connection)
            for base, quote, inverse in (
                (currency, region_currency, False),
                (region_currency, currency, True),
            ):
                for rate, effective, seq in _driver_rows(
                    self.connection,
                    "SELECT rate, effective, seq FROM fx_rates WHERE base = ? AND quote = ? "
                    "AND effective <= ?" + ("" if self.upto_seq is None else " AND seq <= ?"),
                    [
                        base,
                        quote,
                        self.as_of.isoformat() if sqlite else self.as_of,
                        *([] if self.upto_seq is None else [self.upto_seq]),
                    ],
                ):
                    found.append(((as_date(effective), seq), (rate, inverse)))
            found.sort(key=itemgetter(0))
            self.histories[pair] = ([key for key, _ in found], [rate for _, rate in found])
        return self.histories[pair]

    def __call__(self, currency: str, region_currency: str, on: date) -> Fraction:
        return self.rate(self.booking(currency, region_currency, on))

    def booking(self, currency: str, region_currency: str, on: date) -> tuple[str, str, int]:
        """Which rate converts `currency` on `on`: a small key that sums can be grouped by
        (hashing Fractions is slow), turned into the rate by rate()."""
        if currency == region_currency:
            return (currency, region_currency, 0)
        asked = (currency, region_currency, on)
        booking = self.bookings.get(asked)
        if booking is None:
            keys, _ = self._history(currency, region_currency)
            index = bisect_right(keys, on, key=itemgetter(0))
            if index == 0:
                raise LedgerError(
                    f"no {currency}/{region_currency} rate is in force on {on.isoformat()}"
                )
            booking = self.bookings[asked] = (currency, region_currency, index)
        return booking

    def rate(self, booking: tuple[str, str, int]) -> Fraction:
        currency, region_currency, index = booking
        if currency == region_currency:
            return Fraction(1)
        rates = self._history(currency, region_currency)[1]
        rate = rates[index - 1]
        if isinstance(rate, tuple):
            value, inverse = rate
            rate = rates[index - 1] = 1 / Fraction(value) if inverse else Fraction(value)
        return rate


def _rates(connection: Connection, as_of: date, upto_seq: int | None) -> _RateBook:
    return _RateBook(connection, as_of, upto_seq)


# -- regions and budgets --------------------------------------------------------------------------


def region_rows(
    connection: Connection, as_of: date, upto_seq: int | None, region: str | None = None
) -> list[Row]:
    """Regions opened by as_of (effective ≤ as_of, seq ≤ upto_seq), sorted by code; only
    `region` when given (an unknown one gives none). Rows have region, name, country, currency,
    effective, seq."""
    regions = schema.regions
    query = select(regions).where(*_known(regions, as_of, upto_seq)).order_by(regions.c.region)
    if region is not None:
        query = query.where(regions.c.region == region)
    return list(connection.execute(query))


def budget_amount(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> Decimal | None:
    """The amount of the latest `budget.revised` for (region, year) by (effective, seq) with
    effective ≤ as_of and seq ≤ upto_seq; None when no budget is recorded."""
    budgets = schema.budgets
    return connection.execute(
        select(budgets.c.amount)
        .where(
            budgets.c.region == region, budgets.c.year == year, *_known(budgets, as_of, upto_seq)
        )
        .order_by(budgets.c.effective.desc(), budgets.c.seq.desc())
        .limit(1)
    ).scalar()


# -- orders ---------------------------------------------------------------------------------------


def _orders(as_of: date, upto_seq: int | None) -> Select:
    """Orders placed by as_of, each with its state as of as_of (SPEC §4.2): quantity and
    unit_price overridden field by field by the latest amendment naming the field, and whether
    a cancellation or an amendment exists. Add conditions on `schema.orders` to narrow it."""
    orders, changes, regions, suppliers = (
        schema.orders,
        schema.order_changes,
        schema.regions,
        schema.suppliers,
    )

    def changes_of_order(*conditions):
        # Served by the (order_id, effective, seq) index.
        return [
            changes.c.order_id == orders.c.order_id,
            *_known(changes, as_of, upto_seq),
            *conditions,
        ]

    def latest(column):
        return (
            select(column)
            .where(*changes_of_order(column.is_not(None)))
            .order_by(changes.c.effective.desc(), changes.c.seq.desc())
            .limit(1)
            .scalar_subquery()
        )

    def any_change(kind: str):
        return exists().where(*changes_of_order(changes.c.kind == kind))

    return (
        select(
            orders.c.order_id,
            orders.c.region,
            orders.c.supplier,
            orders.c.sku,
            orders.c.currency,
            orders.c.effective,
            func.coalesce(latest(changes.c.quantity), orders.c.quantity).label("quantity"),
            func.coalesce(latest(changes.c.unit_price), orders.c.unit_price).label("unit_price"),
            any_change("cancelled").label("cancelled"),
            any_change("amended").label("amended"),
            regions.c.currency.label("region_currency"),
            regions.c.country.label("region_country"),
            suppliers.c.country.label("supplier_country"),
        )
        .join_from(orders, regions, regions.c.region == orders.c.region)
        .join(suppliers, suppliers.c.supplier == orders.c.supplier)
        .where(*_known(orders, as_of, upto_seq))
    )


# Sums of quantity × unit_price as Decimals: far more digits than any ledger amount needs, and
# traps, so that an inexact result would raise instead of being rounded. Summing in C-speed
# Decimals per booking, then converting once, keeps large reports fast and still exact.
EXACT = Context(prec=200, traps=[Inexact, InvalidOperation, Overflow])


def _order_values(
    orders: Iterable[Row], rate: Rate, by: Callable[[Row], Any]
) -> dict[Any, Fraction]:
    """The values of orders (SPEC §4.2) summed per `by(order)`: quantity × unit_price at the
    booked rate of the placement date, 0 once cancelled. Keys with only cancelled orders are
    absent."""
    subtotals: dict[tuple, Decimal] = defaultdict(Decimal)
    with localcontext(EXACT):
        for order in orders:
            if not order.cancelled:
                booking = (by(order), order.currency, order.region_currency, order.effective)
                subtotals[booking] += order.quantity * order.unit_price
    values: dict[Any, Fraction] = defaultdict(Fraction)
    for (key, currency, region_currency, on), subtotal in subtotals.items():
        values[key] += Fraction(subtotal) * rate(currency, region_currency, on)
    return values


def _order_status(order: Row) -> str:
    if order.cancelled:
        return "cancelled"
    return "amended" if order.amended else "open"


# -- leases ---------------------------------------------------------------------------------------


def _payments_due(lease: Row, year: int | None) -> int:
    """How many of the lease's payments count (in `year`, or in all years when None): all that
    are scheduled, less those due after a termination known by the as-of date (a payment due
    on the termination date stays)."""
    if lease.terminated is None:
        return lease.payments if year is not None else lease.months
    return payments_due(as_date(lease.start), lease.months, year, as_date(lease.terminated))


def _signed_leases(as_of: date, upto_seq: int | None) -> Select:
    """Leases signed by as_of, with their termination when one is known by as_of."""
    leases, terminations, regions = schema.leases, schema.lease_terminations, schema.regions
    return (
        select(
            leases,
            regions.c.currency.label("region_currency"),
            terminations.c.effective.label("terminated"),
            terminations.c.fee,
        )
        .join_from(leases, regions, regions.c.region == leases.c.region)
        .outerjoin(
            terminations,
            and_(terminations.c.lease == leases.c.lease, *_known(terminations, as_of, upto_seq)),
        )
        .where(*_known(leases, as_of, upto_seq))
    )


def _lease_charges(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    rate: _RateBook,
    region_currency: str,
) -> Fraction:
    """Lease payments due in `year` and termination fees charged to `year`, in the region's
    currency at each lease's booked rate (SPEC §4.3). Payments are summed as Decimals per
    booked rate, then converted once per rate."""
    leases, terminations, regions = schema.leases, schema.lease_terminations, schema.regions
    sqlite = _is_sqlite(connection)
    known = "" if upto_seq is None else " AND {}.seq <= ?"
    limit = [] if upto_seq is None else [upto_seq]
    day = as_of.isoformat() if sqlite else as_of
    due = _driver_rows(
        connection,
        "SELECT l.currency, l.effective, l.start, l.months, l.monthly_payment, y.payments, t.effective "
        "FROM lease_years y JOIN leases l ON l.lease = y.lease "
        "LEFT JOIN lease_terminations t ON t.lease = l.lease AND t.effective <= ?"
        + known.format("t")
        + " WHERE y.region = ? AND y.year = ? AND l.effective <= ?"
        + known.format("l"),
        [day, *limit, region, year, day, *limit],
    )
    per_booking: dict[tuple, Decimal] = defaultdict(Decimal)
    with localcontext(EXACT):
        for currency, signed, start, months, monthly_payment, payments, terminated in due:
            if terminated is not None:
                payments = payments_due(as_date(start), months, year, as_date(terminated))
            if payments:
                booking = rate.booking(currency, region_currency, as_date(signed))
                per_booking[booking] += payments * _decimal(monthly_payment)
    total = sum(
        (Fraction(value) * rate.rate(booking) for booking, value in per_booking.items()),
        Fraction(0),
    )
    fees = connection.execute(
        select(
            leases.c.currency,
            leases.c.effective,
            regions.c.currency.label("region_currency"),
            terminations.c.fee,
        )
        .join_from(terminations, leases, leases.c.lease == terminations.c.lease)
        .join(regions, regions.c.region == leases.c.region)
        .where(
            terminations.c.year == year,
            leases.c.region == region,
            *_known(terminations, as_of, upto_seq),
            *_known(leases, as_of, upto_seq),
        )
    )
    for fee in fees:
        total += Fraction(fee.fee) * rate(fee.currency, fee.region_currency, fee.effective)
    return total


# -- orders of one region and year, from the buckets ------------------------------------------------
#
# These run for every report on every region, over the largest tables, so they go straight
# through the driver and read plain tuples.


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _driver_rows(connection: Connection, sql: str, parameters: list) -> list[tuple]:
    """Rows of a statement written with ? markers, run by the driver as is."""
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    return connection.exec_driver_sql(sql, tuple(parameters)).all()


def _placed_sums(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    region_currency: str,
) -> dict[tuple, list]:
    """The region's orders charged to `year` that were placed by as_of and known within the
    limit, as placed (before any change), summed into [value, units, orders] per (supplier,
    currency, day), the day being one whose booked rate holds for the whole sum.

    Buckets give everything in blocks below the limit's block, except the region-currency
    orders of the as-of month (their buckets span the whole month); single orders give those
    and the orders in the limit's block."""
    sums: dict[tuple, list] = {}

    def add(key, value, units, count):
        found = sums.get(key)
        if found is None:
            sums[key] = [value, units, count]
        else:
            found[0] += value
            found[1] += units
            found[2] += count

    sqlite = _is_sqlite(connection)

    def day(value: date) -> object:
        return value.isoformat() if sqlite else value

    as_of_month = as_of.replace(day=1)
    below_block = [] if upto_seq is None else [upto_seq // schema.BUCKET_SEQS * schema.BUCKET_SEQS]
    with localcontext(EXACT):
        buckets = _driver_rows(
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
            add((supplier, currency, as_date(effective)), _decimal(value), _decimal(units), count)
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
            for supplier, currency, effective, quantity, unit_price in _driver_rows(
                connection, sql, [region, year, *parameters]
            ):
                add(
                    (supplier, currency, as_date(effective)),
                    quantity * _decimal(unit_price),
                    Decimal(quantity),
                    1,
                )
    return sums


def _is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def _changed_orders(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> dict[tuple, list]:
    """What the changes known by as_of make of the region's orders charged to `year`: per
    (supplier, currency, placement day), [value, units] as they are now less as placed
    (SPEC §4.2: each field overridden by the latest amendment naming it; 0 once cancelled)."""
    parameters = [region, year, as_of.isoformat() if _is_sqlite(connection) else as_of]
    if upto_seq is not None:
        parameters.append(upto_seq)
    rows = _driver_rows(
        connection,
        "SELECT c.order_id, c.kind, c.quantity, c.unit_price, o.supplier, o.currency, o.effective, "
        "o.quantity, o.unit_price FROM order_changes c JOIN orders o ON o.order_id = c.order_id "
        "WHERE c.region = ? AND c.year = ? AND c.effective <= ?"
        + ("" if upto_seq is None else " AND c.seq <= ?")
        + " ORDER BY c.order_id, c.effective, c.seq",
        parameters,
    )
    adjustments: dict[tuple, list] = {}
    with localcontext(EXACT):
        for _, changes in groupby(rows, key=itemgetter(0)):
            changes = list(changes)
            _, _, _, _, supplier, currency, placed, placed_quantity, placed_price = changes[0]
            placed_price = _decimal(placed_price)
            quantity, unit_price, cancelled = placed_quantity, placed_price, False
            for _, kind, new_quantity, new_price, *_ in changes:
                if kind == "cancelled":
                    cancelled = True
                else:
                    quantity = quantity if new_quantity is None else new_quantity
                    unit_price = unit_price if new_price is None else _decimal(new_price)
            now_value, now_units = (0, 0) if cancelled else (quantity * unit_price, quantity)
            found = adjustments.setdefault(
                (supplier, currency, as_date(placed)), [Decimal(0), Decimal(0)]
            )
            found[0] += now_value - placed_quantity * placed_price
            found[1] += now_units - placed_quantity
    return adjustments


def _region_orders(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    region_currency: str,
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


# -- the building blocks of the reports ------------------------------------------------------------


def committed(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> Fraction:
    """committed(region, year) as of as_of (SPEC §4.4), exact, in the region's currency: the
    values of the region's orders charged to the year, plus its lease payments due in the year
    and termination fees charged to it."""
    return region_totals(connection, region, year, as_of, upto_seq, shares=False)[0]


def supplier_shares(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> list[dict[str, Any]]:
    """Per supplier with at least one order of `region` charged to `year` placed by as_of,
    sorted by supplier: supplier, country, domestic (its country is the region's), value
    (Fraction, in the region's currency; cancelled orders count 0) and units (int, the
    quantities of orders not cancelled). Leases do not count (SPEC §4.4)."""
    return region_totals(connection, region, year, as_of, upto_seq, committed=False)[1]


def region_totals(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    *,
    committed: bool = True,
    shares: bool = True,
) -> tuple[Fraction | None, list[dict[str, Any]]]:
    """(committed, supplier_shares) of one region and year as of as_of from ONE reading of its
    orders (the compliance report needs both); committed is None when not asked for or the
    region is unknown, the shares empty when not asked for."""
    rate = _rates(connection, as_of, upto_seq)
    regions, suppliers = schema.regions, schema.suppliers
    home = connection.execute(
        select(regions.c.currency, regions.c.country).where(regions.c.region == region)
    ).first()
    region_currency = None if home is None else home.currency
    orders = _region_orders(connection, region, year, as_of, upto_seq, region_currency)
    total = None
    if committed:
        # Decimals summed per booked rate first: one exact Fraction product per rate, not per row.
        per_rate: dict[tuple, Decimal] = defaultdict(Decimal)
        with localcontext(EXACT):
            for (_, currency, day), (value, _, _) in orders.items():
                if value:
                    per_rate[rate.booking(currency, region_currency, day)] += value
        total = sum(
            (Fraction(value) * rate.rate(booking) for booking, value in per_rate.items()),
            Fraction(0),
        )
        total += _lease_charges(connection, region, year, as_of, upto_seq, rate, region_currency)
    if not shares or home is None:
        return total, []
    countries = dict(connection.execute(select(suppliers.c.supplier, suppliers.c.country)).all())
    found: dict[str, dict[str, Any]] = {}
    # Per supplier, Decimals summed per booked rate first: one Fraction product per rate.
    per_supplier_rate: dict[tuple, Decimal] = defaultdict(Decimal)
    with localcontext(EXACT):
        for (supplier, currency, day), (value, units, _) in orders.items():
            share = found.get(supplier)
            if share is None:
                share = found[supplier] = {
                    "supplier": supplier,
                    "country": countries[supplier],
                    "domestic": countries[supplier] == home.country,
                    "value": Fraction(0),
                    "units": 0,
                }
            if value:
                per_supplier_rate[supplier, rate.booking(currency, home.currency, day)] += value
            share["units"] += int(units)
    for (supplier, booking), value in per_supplier_rate.items():
        found[supplier]["value"] += Fraction(value) * rate.rate(booking)
    return total, [found[supplier] for supplier in sorted(found)]


# -- the reports ----------------------------------------------------------------------------------


def budget_rows(
    connection: Connection, *, as_of: date, year: int, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """One row per region opened by as_of: budget (0 when none is recorded), committed,
    remaining = budget − committed, utilization = committed / budget (None when the budget
    is 0)."""
    rows = []
    for opened in region_rows(connection, as_of, upto_seq, region):
        budget = budget_amount(connection, opened.region, year, as_of, upto_seq)
        spent = committed(connection, opened.region, year, as_of, upto_seq)
        rows.append(budget_row(opened, year, budget, spent))
    return rows


def budget_row(opened: Row, year: int, budget: Decimal | None, spent: Fraction) -> dict[str, Any]:
    """The budget report's row of one region (`opened`, a regions row) from its budget (None:
    none recorded, which counts 0) and committed."""
    budget = budget or Decimal(0)
    return {
        "region": opened.region,
        "year": year,
        "currency": opened.currency,
        "budget": budget,
        "committed": spent,
        "remaining": Fraction(budget) - spent,
        "utilization": spent / Fraction(budget) if budget else None,
    }


def commitment_rows(
    connection: Connection,
    *,
    as_of: date,
    region: str | None,
    upto_seq: int | None,
    ids: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """One row per order placed and per lease signed by as_of, sorted by region, kind and id:
    its status at as_of and `committed`, its total over all years in the region's currency.
    With `ids`, only the orders and leases of those ids."""
    rate = _rates(connection, as_of, upto_seq)
    if ids is not None and not ids:
        return []
    rows = [
        *_order_commitments(connection, as_of, region, upto_seq, rate, ids),
        *_lease_commitments(connection, as_of, region, upto_seq, rate, ids),
    ]
    return sorted(rows, key=lambda row: (row["region"], row["kind"], row["id"]))


def _order_commitments(
    connection: Connection,
    as_of: date,
    region: str | None,
    upto_seq: int | None,
    rate: Rate,
    ids: Collection[str] | None = None,
) -> Iterable[dict[str, Any]]:
    query = _orders(as_of, upto_seq)
    if region is not None:
        query = query.where(schema.orders.c.region == region)
    if ids is not None:
        query = query.where(schema.orders.c.order_id.in_(list(ids)))
    placed = connection.execute(query).all()
    values = _order_values(placed, rate, by=attrgetter("order_id"))
    for order in placed:
        yield {
            "kind": "order",
            "id": order.order_id,
            "region": order.region,
            "counterparty": order.supplier,
            "sku": order.sku,
            "quantity": order.quantity,
            "status": _order_status(order),
            "committed": values.get(order.order_id, Fraction(0)),
            "currency": order.region_currency,
        }


def _lease_commitments(
    connection: Connection,
    as_of: date,
    region: str | None,
    upto_seq: int | None,
    rate: Rate,
    ids: Collection[str] | None = None,
) -> Iterable[dict[str, Any]]:
    signed = _signed_leases(as_of, upto_seq)
    if region is not None:
        signed = signed.where(schema.leases.c.region == region)
    if ids is not None:
        signed = signed.where(schema.leases.c.lease.in_(list(ids)))
    for lease in connection.execute(signed):
        booked = rate(lease.currency, lease.region_currency, lease.effective)
        fee = Fraction(0) if lease.terminated is None else Fraction(lease.fee) * booked
        payments = _payments_due(lease, None) * Fraction(lease.monthly_payment) * booked
        yield {
            "kind": "lease",
            "id": lease.lease,
            "region": lease.region,
            "counterparty": lease.lessor,
            "sku": lease.sku,
            "quantity": lease.units,
            "status": "open" if lease.terminated is None else "terminated",
            "committed": payments + fee,
            "currency": lease.region_currency,
        }


def share_rows(
    connection: Connection,
    *,
    as_of: date,
    year: int,
    region: str | None,
    basis: str,
    upto_seq: int | None,
) -> list[dict[str, Any]]:
    """Supplier shares per region opened by as_of for `year` on the `basis` (value or units):
    share = the supplier's value (or units) / the region's total; 0 when the total is 0. Sorted
    by region, then the basis measure descending, then supplier."""
    if basis not in ("value", "units"):
        raise LedgerError(f"basis: {basis!r} is not value or units")
    rows = []
    for opened in region_rows(connection, as_of, upto_seq, region):
        shares = supplier_shares(connection, opened.region, year, as_of, upto_seq)
        rows.extend(share_rows_of(opened.region, shares, basis))
    return rows


def share_rows_of(region: str, shares: list[dict[str, Any]], basis: str) -> list[dict[str, Any]]:
    """The share report's rows of one region from its supplier_shares: each supplier's share
    of the total on `basis`, sorted by the measure descending, then supplier."""
    total = sum((Fraction(share[basis]) for share in shares), Fraction(0))
    shares = sorted(shares, key=lambda share: (-share[basis], share["supplier"]))
    return [
        {
            "region": region,
            **share,
            "share": Fraction(share[basis]) / total if total else Fraction(0),
        }
        for share in shares
    ]


def compliance_rows(connection: Connection, **kwargs) -> list[dict[str, Any]]:
    """The compliance report (SPEC §4.5), written in ledger.projections.compliance."""
    from ledger.projections.compliance import compliance_rows as rows

    return rows(connection, **kwargs)
