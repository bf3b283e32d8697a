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
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext
from fractions import Fraction
from functools import cache
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, exists, func, literal, select

from ledger import schema
from ledger.dates import payment_dates
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
    for base, quote, inverse in ((currency, region_currency, False), (region_currency, currency, True)):
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


def _rates(connection: Connection, as_of: date, upto_seq: int | None) -> Rate:
    """booked_rate for the documents of one query (all dated ≤ as_of): each pair's known rates
    are read once, then looked up by date."""

    @cache
    def history(currency: str, region_currency: str) -> tuple[list, list[Fraction]]:
        oldest_first = _known_rates(connection, currency, region_currency, as_of, upto_seq)[::-1]
        return [key for key, _ in oldest_first], [rate for _, rate in oldest_first]

    def rate(currency: str, region_currency: str, on: date) -> Fraction:
        if currency == region_currency:
            return Fraction(1)
        keys, rates = history(currency, region_currency)
        index = bisect_right(keys, on, key=itemgetter(0))
        if index == 0:
            raise LedgerError(f"no {currency}/{region_currency} rate is in force on {on.isoformat()}")
        return rates[index - 1]

    return rate


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
        .where(budgets.c.region == region, budgets.c.year == year, *_known(budgets, as_of, upto_seq))
        .order_by(budgets.c.effective.desc(), budgets.c.seq.desc())
        .limit(1)
    ).scalar()


# -- orders ---------------------------------------------------------------------------------------


def _orders(as_of: date, upto_seq: int | None) -> Select:
    """Orders placed by as_of, each with its state as of as_of (SPEC §4.2): quantity and
    unit_price overridden field by field by the latest amendment naming the field, and whether
    a cancellation or an amendment exists. Add conditions on `schema.orders` to narrow it."""
    orders, changes, regions, suppliers = (
        schema.orders, schema.order_changes, schema.regions, schema.suppliers
    )

    def changes_of_order(*conditions):
        # Served by the (order_id, effective, seq) index.
        return [changes.c.order_id == orders.c.order_id, *_known(changes, as_of, upto_seq), *conditions]

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


def _order_values(orders: Iterable[Row], rate: Rate, by: Callable[[Row], Any]) -> dict[Any, Fraction]:
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
    terminated = _as_date(lease.terminated)
    return sum(1 for due in payment_dates(_as_date(lease.start), lease.months)
               if due <= terminated and (year is None or due.year == year))


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _signed_leases(as_of: date, upto_seq: int | None) -> Select:
    """Leases signed by as_of, with their termination when one is known by as_of."""
    leases, terminations, regions = schema.leases, schema.lease_terminations, schema.regions
    return (
        select(leases, regions.c.currency.label("region_currency"),
               terminations.c.effective.label("terminated"), terminations.c.fee)
        .join_from(leases, regions, regions.c.region == leases.c.region)
        .outerjoin(
            terminations,
            and_(terminations.c.lease == leases.c.lease, *_known(terminations, as_of, upto_seq)),
        )
        .where(*_known(leases, as_of, upto_seq))
    )


def _lease_charges(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None, rate: Rate
) -> Fraction:
    """Lease payments due in `year` and termination fees charged to `year`, in the region's
    currency at each lease's booked rate (SPEC §4.3)."""
    leases, years, terminations, regions = (
        schema.leases, schema.lease_years, schema.lease_terminations, schema.regions
    )
    due = connection.execute(
        _signed_leases(as_of, upto_seq)
        .add_columns(years.c.payments)
        .join(years, and_(years.c.lease == leases.c.lease, years.c.year == year))
        .where(years.c.region == region)
    )
    total = Fraction(0)
    for lease in due:
        booked = rate(lease.currency, lease.region_currency, lease.effective)
        total += _payments_due(lease, year) * Fraction(lease.monthly_payment) * booked
    fees = connection.execute(
        select(leases.c.currency, leases.c.effective, regions.c.currency.label("region_currency"),
               terminations.c.fee)
        .join_from(terminations, leases, leases.c.lease == terminations.c.lease)
        .join(regions, regions.c.region == leases.c.region)
        .where(terminations.c.year == year, leases.c.region == region,
               *_known(terminations, as_of, upto_seq), *_known(leases, as_of, upto_seq))
    )
    for fee in fees:
        total += Fraction(fee.fee) * rate(fee.currency, fee.region_currency, fee.effective)
    return total


# -- orders of one region and year, from the buckets ------------------------------------------------


def _placed_sums(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> dict[tuple[str, str, date], list]:
    """The region's orders charged to `year` that were placed by as_of and known within the limit,
    as placed (before any change), summed per (supplier, currency, placement date) into
    [value, units, orders]. Whole buckets below the limit's block, single orders within it."""
    buckets, orders = schema.order_buckets, schema.orders
    sums: dict[tuple[str, str, date], list] = {}

    def add(key, value, units, count):
        found = sums.get(key)
        if found is None:
            sums[key] = [value, units, count]
        else:
            found[0] += value
            found[1] += units
            found[2] += count

    query = select(buckets.c.supplier, buckets.c.currency, buckets.c.effective, buckets.c.value,
                   buckets.c.units, buckets.c.orders).where(
        buckets.c.region == region, buckets.c.year == year, buckets.c.effective <= as_of)
    if upto_seq is not None:
        first_of_block = upto_seq // schema.BUCKET_SEQS * schema.BUCKET_SEQS
        query = query.where(buckets.c.block < upto_seq // schema.BUCKET_SEQS)
    with localcontext(EXACT):
        for supplier, currency, effective, value, units, count in connection.execute(query):
            add((supplier, currency, effective), value, units, count)
        if upto_seq is not None:
            recent = connection.execute(
                select(orders.c.supplier, orders.c.currency, orders.c.effective, orders.c.quantity,
                       orders.c.unit_price)
                .where(orders.c.region == region, orders.c.year == year,
                       orders.c.seq >= first_of_block, orders.c.seq <= upto_seq,
                       orders.c.effective <= as_of)
            )
            for supplier, currency, effective, quantity, unit_price in recent:
                add((supplier, currency, effective), quantity * unit_price, Decimal(quantity), 1)
    return sums


def _changed_orders(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> dict[tuple[str, str, date], list]:
    """What the changes known by as_of make of the region's orders charged to `year`: per
    (supplier, currency, placement date), [value, units] as they are now less as placed
    (SPEC §4.2: each field overridden by the latest amendment naming it; 0 once cancelled)."""
    changes, orders = schema.order_changes, schema.orders
    rows = connection.execute(
        select(changes.c.order_id, changes.c.kind, changes.c.quantity, changes.c.unit_price,
               orders.c.supplier, orders.c.currency, orders.c.effective.label("placed"),
               orders.c.quantity.label("placed_quantity"), orders.c.unit_price.label("placed_price"))
        .join_from(changes, orders, orders.c.order_id == changes.c.order_id)
        .where(changes.c.region == region, changes.c.year == year,
               *_known(changes, as_of, upto_seq), *_known(orders, as_of, upto_seq))
        .order_by(changes.c.order_id, changes.c.effective, changes.c.seq)
    )
    adjustments: dict[tuple[str, str, date], list] = {}
    with localcontext(EXACT):
        for _, order_changes in groupby(rows, key=itemgetter(0)):
            order_changes = list(order_changes)
            first = order_changes[0]
            quantity, unit_price, cancelled = first.placed_quantity, first.placed_price, False
            for change in order_changes:
                if change.kind == "cancelled":
                    cancelled = True
                else:
                    quantity = quantity if change.quantity is None else change.quantity
                    unit_price = unit_price if change.unit_price is None else change.unit_price
            now_value, now_units = (0, 0) if cancelled else (quantity * unit_price, quantity)
            key = (first.supplier, first.currency, first.placed)
            found = adjustments.setdefault(key, [Decimal(0), Decimal(0)])
            found[0] += now_value - first.placed_quantity * first.placed_price
            found[1] += now_units - first.placed_quantity
    return adjustments


def _region_orders(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> dict[tuple[str, str, date], list]:
    """[value, units, orders] of the region's orders charged to `year` as of as_of, per
    (supplier, currency, placement date), in the document currency."""
    sums = _placed_sums(connection, region, year, as_of, upto_seq)
    with localcontext(EXACT):
        for key, (value, units) in _changed_orders(connection, region, year, as_of, upto_seq).items():
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
    rate = _rates(connection, as_of, upto_seq)
    region_currency = _region_currency(connection, region)
    total = Fraction(0)
    for (_, currency, placed), (value, _, _) in _region_orders(connection, region, year, as_of, upto_seq).items():
        if value:
            total += Fraction(value) * rate(currency, region_currency, placed)
    return total + _lease_charges(connection, region, year, as_of, upto_seq, rate)


def _region_currency(connection: Connection, region: str) -> str | None:
    return connection.execute(
        select(schema.regions.c.currency).where(schema.regions.c.region == region)
    ).scalar()


def supplier_shares(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> list[dict[str, Any]]:
    """Per supplier with at least one order of `region` charged to `year` placed by as_of,
    sorted by supplier: supplier, country, domestic (its country is the region's), value
    (Fraction, in the region's currency; cancelled orders count 0) and units (int, the
    quantities of orders not cancelled). Leases do not count (SPEC §4.4)."""
    rate = _rates(connection, as_of, upto_seq)
    regions, suppliers = schema.regions, schema.suppliers
    home = connection.execute(
        select(regions.c.currency, regions.c.country).where(regions.c.region == region)
    ).first()
    if home is None:
        return []
    countries = dict(connection.execute(select(suppliers.c.supplier, suppliers.c.country)).all())
    shares: dict[str, dict[str, Any]] = {}
    for (supplier, currency, placed), (value, units, _) in sorted(
        _region_orders(connection, region, year, as_of, upto_seq).items()
    ):
        share = shares.get(supplier)
        if share is None:
            share = shares[supplier] = {
                "supplier": supplier,
                "country": countries[supplier],
                "domestic": countries[supplier] == home.country,
                "value": Fraction(0),
                "units": 0,
            }
        if value:
            share["value"] += Fraction(value) * rate(currency, home.currency, placed)
        share["units"] += int(units)
    return [shares[supplier] for supplier in sorted(shares)]


# -- the reports ----------------------------------------------------------------------------------


def budget_rows(
    connection: Connection, *, as_of: date, year: int, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """One row per region opened by as_of: budget (0 when none is recorded), committed,
    remaining = budget − committed, utilization = committed / budget (None when the budget
    is 0)."""
    rows = []
    for opened in region_rows(connection, as_of, upto_seq, region):
        budget = budget_amount(connection, opened.region, year, as_of, upto_seq) or Decimal(0)
        spent = committed(connection, opened.region, year, as_of, upto_seq)
        rows.append({
            "region": opened.region,
            "year": year,
            "currency": opened.currency,
            "budget": budget,
            "committed": spent,
            "remaining": Fraction(budget) - spent,
            "utilization": spent / Fraction(budget) if budget else None,
        })
    return rows


def commitment_rows(
    connection: Connection, *, as_of: date, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """One row per order placed and per lease signed by as_of, sorted by region, kind and id:
    its status at as_of and `committed`, its total over all years in the region's currency."""
    rate = _rates(connection, as_of, upto_seq)
    rows = [*_order_commitments(connection, as_of, region, upto_seq, rate),
            *_lease_commitments(connection, as_of, region, upto_seq, rate)]
    return sorted(rows, key=lambda row: (row["region"], row["kind"], row["id"]))


def _order_commitments(
    connection: Connection, as_of: date, region: str | None, upto_seq: int | None, rate: Rate
) -> Iterable[dict[str, Any]]:
    query = _orders(as_of, upto_seq)
    if region is not None:
        query = query.where(schema.orders.c.region == region)
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
    connection: Connection, as_of: date, region: str | None, upto_seq: int | None, rate: Rate
) -> Iterable[dict[str, Any]]:
    signed = _signed_leases(as_of, upto_seq)
    if region is not None:
        signed = signed.where(schema.leases.c.region == region)
    for lease in connection.execute(signed.add_columns(literal(None).label("payments"))):
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
        total = sum((Fraction(share[basis]) for share in shares), Fraction(0))
        shares.sort(key=lambda share: (-share[basis], share["supplier"]))
        for share in shares:
            rows.append({
                "region": opened.region,
                **share,
                "share": Fraction(share[basis]) / total if total else Fraction(0),
            })
    return rows


def compliance_rows(connection: Connection, **kwargs) -> list[dict[str, Any]]:
    """The compliance report (SPEC §4.5), written in ledger.projections.compliance."""
    from ledger.projections.compliance import compliance_rows as rows

    return rows(connection, **kwargs)
