"""The three-way match of a region's orders as of a date, for compliance: how many
orders it looks at, and the facts of those that fail it.

An order is looked at when it is not cancelled and has a receipt or a counted invoice as of the
date; it fails when r > q, iq > r or ia > iq × p × (1 + t) (ledger.semantics.spend). A ledger
has tens of thousands of such orders and few failures, so the database sums each order's
receipts and counted invoices and sets aside, in the same statement, the orders that surely
pass: no change seen (so q and p are as placed, and it is not cancelled), r ≤ q, iq ≤ r, and
ia within the price limit — exactly on PostgreSQL (NUMERIC), on SQLite (amounts as text) by
floating point with a margin far wider than its error, so that an order near the limit is
always looked at again. Python then decides the others exactly, with the same rules as every
other path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Connection

from ledger.dates import as_date
from ledger.money import as_decimal
from ledger.reads.spend import OrderFacts
from ledger.semantics.orders import as_placed, order_state
from ledger.semantics.spend import is_matched, match_failures
from ledger.sql import day_parameter, driver_rows, is_sqlite

# Statements hold at most this many ids in an IN list (SQLite allows 32,766 parameters).
ID_BATCH = 5000
# On SQLite, an order passes the price test in SQL only when ia < limit × (1 − MARGIN), with the
# limit within the range where floating point keeps ~16 significant digits: the error of a sum of
# n amounts is below n × 2⁻⁵³ of it, so an order within the margin of its limit is re-checked.
MARGIN = 1e-9
FLOAT_RANGE = (1e-250, 1e300)


def three_way_match(
    connection: Connection,
    *,
    as_of: date,
    upto_seq: int | None,
    region: str,
    tolerance: Decimal | str | None,
) -> tuple[int, list[tuple[OrderFacts, list[str]]]]:
    """(how many orders of `region` three-way match looks at as of as_of, the facts and the
    failed tests of each that fails it, sorted by order id)."""
    sqlite = is_sqlite(connection)
    day = day_parameter(connection, as_of)
    limit = [] if upto_seq is None else [upto_seq]

    def seen(alias: str) -> str:
        return f"{alias}.effective <= ?" + ("" if upto_seq is None else f" AND {alias}.seq <= ?")

    amount_sum = "group_concat(amount)" if sqlite else "SUM(amount)"
    approximate = "CAST(i.amount AS REAL)" if sqlite else "i.amount"
    price = "CAST(o.unit_price AS REAL)" if sqlite else "o.unit_price"
    above = (
        "(approximate >= price_limit * ? OR price_limit < ? OR price_limit > ?)"
        if sqlite
        else "approximate > price_limit"
    )
    above_parameters = [1 - MARGIN, *FLOAT_RANGE] if sqlite else []
    factor = 1 + (float(tolerance or 0) if sqlite else as_decimal(tolerance or 0))
    # Each receipt and counted invoice seen is a row of `parts`; their sums per order are the
    # order's r, iq, ia and count of invoices (the orders looked at, before cancellations).
    rows = driver_rows(
        connection,
        "WITH parts AS (SELECT r.order_id, r.quantity AS received, 0 AS invoiced_quantity, "
        "0 AS counted, NULL AS amount, 0 AS approximate FROM receipts r "
        f"WHERE r.region = ? AND {seen('r')} "
        "UNION ALL SELECT i.document, 0, COALESCE(i.quantity, 0), 1, i.amount, "
        f"{approximate} FROM invoices i WHERE i.kind = 'order' AND i.region = ? "
        f"AND {seen('i')} AND NOT EXISTS (SELECT 1 FROM invoice_voids v "
        f"WHERE v.invoice = i.invoice AND {seen('v')})), "
        "sums AS (SELECT order_id, SUM(received) AS received, "
        "SUM(invoiced_quantity) AS invoiced_quantity, SUM(counted) AS counted, "
        f"{amount_sum} AS amount, SUM(approximate) AS approximate FROM parts GROUP BY order_id), "
        "facts AS (SELECT o.order_id, o.year, o.currency, o.effective, o.quantity, o.unit_price, "
        "s.received, s.invoiced_quantity, s.counted, s.amount, s.approximate, "
        f"s.invoiced_quantity * {price} * ? AS price_limit, "
        "CASE WHEN EXISTS (SELECT 1 FROM order_changes c WHERE c.order_id = o.order_id "
        f"AND {seen('c')}) THEN 1 ELSE 0 END AS changed "
        f"FROM sums s JOIN orders o ON o.order_id = s.order_id AND {seen('o')}), "
        "b AS (SELECT facts.*, CASE WHEN changed = 1 OR received > quantity "
        f"OR invoiced_quantity > received OR (counted > 0 AND {above}) THEN 1 ELSE 0 END "
        "AS again FROM facts) "
        "SELECT order_id, year, currency, effective, quantity, unit_price, received, "
        "invoiced_quantity, counted, amount, changed FROM b WHERE again = 1 "
        "UNION ALL SELECT NULL, COUNT(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
        "FROM b WHERE again = 0",
        [
            region,
            day,
            *limit,
            region,
            day,
            *limit,
            day,
            *limit,
            factor,
            day,
            *limit,
            day,
            *limit,
            *above_parameters,
        ],
    )
    passed = 0
    again = []
    for row in rows:
        if row[0] is None:
            passed = int(row[1])
        else:
            again.append(row)
    changes = _changes(connection, [row[0] for row in again if row[10]], seen("c"), [day, *limit])
    currency = _region_currency(connection, region)
    looked, failed = passed, []
    for order_id, year, document_currency, placed, quantity, unit_price, *rest in sorted(
        again, key=itemgetter(0)
    ):
        received, invoiced_quantity, counted = int(rest[0]), int(rest[1]), int(rest[2])
        amount = rest[3]
        state = order_state(as_placed(quantity, unit_price), changes.get(order_id, ()))
        if not is_matched(state.cancelled, received, counted):
            continue
        looked += 1
        invoiced = _exact_sum(amount, sqlite)
        failures = match_failures(
            state.quantity, state.unit_price, received, invoiced_quantity, invoiced, tolerance
        )
        if failures:
            facts = OrderFacts(
                order=order_id,
                region=region,
                year=year,
                currency=document_currency,
                region_currency=currency or "",
                placed=as_date(placed),
                state=state,
                received=received,
                invoiced_quantity=invoiced_quantity,
                invoiced=invoiced,
                paid=Decimal(0),
                invoices=counted,
            )
            failed.append((facts, failures))
    return looked, failed


def _exact_sum(value: object, sqlite: bool) -> Decimal:
    """The invoiced amount as summed by the database: Decimal on PostgreSQL; on SQLite the
    amounts' texts, added here as Decimals."""
    if value is None:
        return Decimal(0)
    if sqlite and isinstance(value, str):
        return sum(map(Decimal, value.split(",")), Decimal(0))
    return as_decimal(value)  # type: ignore[arg-type]


def _changes(
    connection: Connection, orders: Iterable[str], seen: str, parameters: list
) -> dict[str, list[tuple]]:
    """The changes seen of these orders, each order's in (effective, seq) order."""
    orders = list(orders)
    found: dict[str, list[tuple]] = {}
    for start in range(0, len(orders), ID_BATCH):
        part = orders[start : start + ID_BATCH]
        rows = driver_rows(
            connection,
            "SELECT c.order_id, c.kind, c.quantity, c.unit_price FROM order_changes c "
            f"WHERE c.order_id IN ({', '.join('?' * len(part))}) AND {seen} "
            "ORDER BY c.order_id, c.effective, c.seq",
            [*part, *parameters],
        )
        for order_id, changes in groupby(rows, key=itemgetter(0)):
            found[order_id] = [change[1:] for change in changes]
    return found


def _region_currency(connection: Connection, region: str) -> str | None:
    rows = driver_rows(connection, "SELECT currency FROM regions WHERE region = ?", [region])
    return rows[0][0] if rows else None
