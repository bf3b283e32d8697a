"""The spend layers of some regions at many days of one budget year, in one sweep: received,
invoiced and paid charged to the year, each point the exact sum `query spend` gives at its day.

Every order and lease of the regions is read once as of the last day, with its changes,
receipts, invoices, voids, payments and termination; it is then valued again only on the days
something of it takes effect (reads.timeline.spend_change_days), with the very rules of
ledger.semantics.spend, in the region's currency at the document's booked rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, select

from ledger import schema
from ledger.dates import as_date
from ledger.reads.rates import rate_book
from ledger.reads.spend import LAYERS, spend_history
from ledger.reads.timeline import spend_change_days
from ledger.semantics.orders import as_placed, order_state
from ledger.semantics.spend import (
    billed,
    billed_per_year,
    lease_received_per_year,
    order_received_value,
    received_quantity,
)
from ledger.sql import visible


def spend_series(
    connection: Connection,
    *,
    regions: list[str],
    year: int,
    as_of: date,
    upto_seq: int | None,
    region: str | None = None,
    days: Iterable[date] = (),
) -> dict[str, list[tuple[date, dict[str, Fraction]]]]:
    """Per region of `regions`, (day, received, invoiced and paid charged to `year`) at the
    start of the year, at every later day before as_of on which a layer can change, and at each
    of `days` in that range, in date order. `region` narrows the rows read as the report's
    region does (None: every region)."""
    if not regions:
        return {}
    start = min(date(year, 1, 1), as_of)
    changed = spend_change_days(
        connection, regions=regions, start=start, end=as_of, upto_seq=upto_seq
    )
    values: dict[tuple[str, str], tuple[str, list[Fraction]]] = {}
    totals = {code: [Fraction(0)] * len(LAYERS) for code in regions}
    series: dict[str, list[tuple[date, dict[str, Fraction]]]] = {code: [] for code in regions}
    sweep = SpendSweep(connection, regions, year, as_of, upto_seq, region)
    everything = {("order", c) for c in sweep.order_rows} | {("lease", c) for c in sweep.lease_rows}
    for day in sorted(d for d in {start, *changed, *days} if start <= d < as_of):
        for key in everything if day == start else changed.get(day, set()):
            if key in values:
                where, old = values.pop(key)
                totals[where] = [t - o for t, o in zip(totals[where], old, strict=True)]
            kind, code = key
            found = sweep.value(kind, code, day)
            if found is not None and found[0] in totals:
                where, new = values[key] = found
                totals[where] = [t + n for t, n in zip(totals[where], new, strict=True)]
        for code in regions:
            series[code].append((day, dict(zip(LAYERS, totals[code], strict=True))))
    return series


class SpendSweep:
    """Every order and lease of some regions with what can change its spend layers in a budget
    year, read once as of the last day, then valued at any earlier day."""

    def __init__(
        self,
        connection: Connection,
        regions: list[str],
        year: int,
        as_of: date,
        upto_seq: int | None,
        region: str | None = None,
    ):
        self.year = year
        # A document's booked rate is the one in force on the day it was placed or signed, so
        # the rates known as of the last day give every earlier day's bookings too.
        self.rate = rate_book(connection, as_of, upto_seq)
        orders, changes, leases, terminations, regions_table = (
            schema.orders,
            schema.order_changes,
            schema.leases,
            schema.lease_terminations,
            schema.regions,
        )
        self.currency = {
            code: money
            for code, money in connection.execute(
                select(regions_table.c.region, regions_table.c.currency)
            )
        }
        self.orders = spend_history(
            connection, as_of, upto_seq, kind="order", region=region, year=year
        )
        self.leases = spend_history(connection, as_of, upto_seq, kind="lease", region=region)
        wanted = set(self.orders.receipts) | set(self.orders.invoices)
        self.order_rows: dict[str, Any] = {}
        for row in connection.execute(
            select(orders).where(
                orders.c.region.in_(regions),
                orders.c.year == year,
                *visible(orders, as_of, upto_seq),
            )
        ):
            if row.order_id in wanted:
                self.order_rows[row.order_id] = row
        self.changes: dict[str, list] = {}
        for row in connection.execute(
            select(changes)
            .where(changes.c.region.in_(regions), *visible(changes, as_of, upto_seq))
            .order_by(changes.c.order_id, changes.c.effective, changes.c.seq)
        ):
            if row.order_id in self.order_rows:
                self.changes.setdefault(row.order_id, []).append(row)
        self.lease_rows = {
            row.lease: row
            for row in connection.execute(
                select(leases).where(
                    leases.c.region.in_(regions), *visible(leases, as_of, upto_seq)
                )
            )
        }
        self.terminations = {
            row.lease: row
            for row in connection.execute(
                select(terminations).where(*visible(terminations, as_of, upto_seq))
            )
            if row.lease in self.lease_rows
        }

    def value(self, kind: str, code: str, day: date) -> tuple[str, list[Fraction]] | None:
        """The document's region and its received, invoiced and paid charged to the year as of
        `day`, in the region's currency (None before it was placed or signed)."""
        amounts: list[Decimal | int]
        if kind == "order":
            row = self.order_rows.get(code)
            if row is None or as_date(row.effective) > day:
                return None
            later = self.orders
            changes = [
                (c.kind, c.quantity, c.unit_price)
                for c in self.changes.get(code, ())
                if as_date(c.effective) <= day
            ]
            state = order_state(as_placed(row.quantity, row.unit_price), changes)
            totals = billed(later.invoices.get(code, ()), later.voided, later.payments, day)
            units = received_quantity(later.receipts.get(code, ()), day)
            amounts = [order_received_value(units, state.unit_price), totals.amount, totals.paid]
        else:
            row = self.lease_rows.get(code)
            if row is None or as_date(row.effective) > day:
                return None
            later = self.leases
            ended = self.terminations.get(code)
            terminated, fee = None, Decimal(0)
            if ended is not None and as_date(ended.effective) <= day:
                terminated, fee = as_date(ended.effective), ended.fee or Decimal(0)
            received = lease_received_per_year(
                as_date(row.start), row.months, row.monthly_payment, day, terminated, fee
            ).get(self.year, Decimal(0))
            invoices = [
                i for i in later.invoices.get(code, ()) if as_date(i["effective"]).year == self.year
            ]
            in_year = billed_per_year(invoices, later.voided, later.payments, day).get(self.year)
            amounts = [received, in_year.amount if in_year else 0, in_year.paid if in_year else 0]
        placed = as_date(row.effective)
        booked = self.rate.rate(self.rate.booking(row.currency, self.currency[row.region], placed))
        return row.region, [Fraction(a) * booked if a else Fraction(0) for a in amounts]
