"""The spend layers (received, invoiced, paid) of a region and year summed per booked rate, for `query spend` and
`query group`: the same figures as adding up ledger.reads.spend's rows per document, read as sums.

Invoiced and paid are sums of amounts the as-of date and the limit can see (an invoice counts
unless a void it can see voids it, a payment when its invoice counts), so the database adds them
per booking (currency and placement or signing day): exactly, as NUMERIC on PostgreSQL, and on
SQLite, which keeps amounts as decimal text, as the list of texts Python adds as Decimals. What
an order received is r × p, p its unit price as of the date: one row per received order, its
price folded from its changes (ledger.semantics.orders) only when it has some. What a lease
received is the part of its lease_charges already due (ledger.semantics.leases.due_in_months).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, localcontext
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Connection

from ledger.money import EXACT, as_decimal
from ledger.semantics.leases import due_in_months
from ledger.semantics.orders import as_placed, order_state
from ledger.sql import day_parameter, driver_rows, is_sqlite

# (region, document currency, placement or signing day as read) → [received, invoiced, paid]
LayerSums = dict[tuple, list[Decimal]]


def layer_sums(
    connection: Connection, *, as_of: date, year: int, region: str, upto_seq: int | None
) -> LayerSums:
    """The three layers of the orders and leases of `region` charged to `year` as of as_of
    within the limit, in the documents' currencies, per booking key."""
    sums: LayerSums = {}
    reader = _Reader(connection, as_of, upto_seq, region, year)
    with localcontext(EXACT):
        for layer, rows in (
            (0, reader.received_orders()),
            (0, reader.received_leases()),
            *((1, rows) for rows in reader.billed("invoices")),
            *((2, rows) for rows in reader.billed("payments")),
        ):
            for where, currency, day, amount in rows:
                if not amount:
                    continue
                key = (where, currency, day)
                found = sums.get(key)
                if found is None:
                    found = sums[key] = [Decimal(0), Decimal(0), Decimal(0)]
                found[layer] += amount
    return sums


class _Reader:
    def __init__(
        self,
        connection: Connection,
        as_of: date,
        upto_seq: int | None,
        region: str,
        year: int,
    ):
        self.connection, self.as_of, self.upto_seq = connection, as_of, upto_seq
        self.region, self.year = region, year
        self.sqlite = is_sqlite(connection)
        self.day = day_parameter(connection, as_of)

    def seen(self, alias: str) -> tuple[str, list]:
        """The row of `alias` is dated by as_of and within the limit."""
        if self.upto_seq is None:
            return f"{alias}.effective <= ?", [self.day]
        return f"{alias}.effective <= ? AND {alias}.seq <= ?", [self.day, self.upto_seq]

    def of_year(self, alias: str) -> tuple[str, list]:
        """The row of `alias` is of the region and charged to the year."""
        return f"{alias}.region = ? AND {alias}.year = ?", [self.region, self.year]

    def counted(self, alias: str) -> tuple[str, list]:
        """The invoice `alias` is seen and no void seen voids it."""
        seen, parameters = self.seen(alias)
        void, void_parameters = self.seen("v")
        return (
            f"{seen} AND NOT EXISTS (SELECT 1 FROM invoice_voids v "
            f"WHERE v.invoice = {alias}.invoice AND {void})",
            [*parameters, *void_parameters],
        )

    def where(self, *parts: tuple[str, list]) -> tuple[str, list]:
        return " AND ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps]

    def amount_sum(self, column: str) -> str:
        return f"group_concat({column})" if self.sqlite else f"SUM({column})"

    def amount(self, value: object) -> Decimal:
        """A sum read back: Decimal from PostgreSQL, the amounts' texts joined by SQLite."""
        if value is None:
            return Decimal(0)
        if isinstance(value, str):
            return sum(map(Decimal, value.split(",")), Decimal(0))
        return as_decimal(value)  # type: ignore[arg-type]

    # -- received ---------------------------------------------------------------------------------

    def received_orders(self) -> Iterator[tuple]:
        """(region, currency, placement day, r × p) per order with a receipt seen."""
        condition, parameters = self.where(self.of_year("r"), self.seen("r"), self.seen("o"))
        received = driver_rows(
            self.connection,
            "SELECT o.order_id, o.region, o.currency, o.effective, o.quantity, o.unit_price, "
            "SUM(r.quantity) FROM receipts r JOIN orders o ON o.order_id = r.order_id "
            f"WHERE {condition} GROUP BY o.order_id, o.region, o.currency, o.effective, "
            "o.quantity, o.unit_price",
            parameters,
        )
        prices = self._prices_as_of()
        for order_id, where, currency, placed, quantity, unit_price, count in received:
            state = prices.get(order_id)
            price = as_decimal(unit_price) if state is None else state(quantity, unit_price)
            yield where, currency, placed, EXACT.multiply(price, count)

    def _prices_as_of(self) -> dict:
        """Per received order with a change seen, a function of its placement giving its unit
        price as of the date (its changes folded in (effective, seq) order)."""
        changed: dict = {}
        condition, parameters = self.where(self.of_year("c"), self.seen("c"))
        received, received_parameters = self.where(self.of_year("r"), self.seen("r"))
        rows = driver_rows(
            self.connection,
            "SELECT c.order_id, c.kind, c.quantity, c.unit_price FROM order_changes c "
            f"WHERE {condition} AND c.order_id IN (SELECT r.order_id FROM receipts r "
            f"WHERE {received}) ORDER BY c.order_id, c.effective, c.seq",
            [*parameters, *received_parameters],
        )
        for order_id, changes in groupby(rows, key=itemgetter(0)):
            folded = [change[1:] for change in changes]

            def price(quantity: int, unit_price: Decimal | str, folded: list = folded) -> Decimal:
                return order_state(as_placed(quantity, unit_price), folded).unit_price

            changed[order_id] = price
        return changed

    def received_leases(self) -> Iterator[tuple]:
        """(region, currency, signing day, what is due) per lease_charges row seen: the
        payments of its months due by the as-of date, and the fee (a termination seen is dated
        by then)."""
        condition, parameters = self.where(self.of_year("c"), self.seen("c"))
        for where, currency, signed, monthly, first, last, due_day, fee in driver_rows(
            self.connection,
            "SELECT c.region, c.currency, c.signed, c.monthly, c.first_month, c.last_month, "
            f"c.due_day, c.fee FROM lease_charges c WHERE {condition}",
            parameters,
        ):
            due = as_decimal(fee)
            if first is not None:
                count = due_in_months(first, last, due_day, self.year, self.as_of)
                if count:
                    due = due + count * as_decimal(monthly)
            yield where, currency, signed, due

    # -- invoiced and paid -----------------------------------------------------------------------

    def billed(self, layer: str) -> Iterator[list[tuple]]:
        """The counted invoices (`invoices`) or their payments seen (`payments`) of the orders,
        then of the leases: (region, currency, booking day, sum) per booking key."""
        for kind, documents, key in (("order", "orders", "order_id"), ("lease", "leases", "lease")):
            if layer == "invoices":
                condition, parameters = self.where(
                    self.of_year("i"), self.counted("i"), self.seen("d")
                )
                source, amount = "invoices i", "i.amount"
            else:
                condition, parameters = self.where(
                    self.of_year("p"), self.seen("p"), self.counted("i"), self.seen("d")
                )
                source, amount = "payments p JOIN invoices i ON i.invoice = p.invoice", "p.amount"
            yield self._sums(
                f"SELECT d.region, d.currency, d.effective, {self.amount_sum(amount)} "
                f"FROM {source} JOIN {documents} d ON d.{key} = i.document "
                f"WHERE i.kind = '{kind}' AND {condition} "
                "GROUP BY d.region, d.currency, d.effective",
                parameters,
            )

    def _sums(self, sql: str, parameters: list) -> list[tuple]:
        return [
            (where, currency, day, self.amount(total))
            for where, currency, day, total in driver_rows(self.connection, sql, parameters)
        ]
