"""The spend layers read back (SPEC §4.7): received, invoiced and paid of each order and lease, per
region and year (`query spend`), per document (the commitments columns), the three-way match of
each order (compliance) and the invoice list.

The SQL here fetches, under the as-of date and the knowledge limit, the receipts, invoices, voids
and payments a report needs and the documents they belong to; every rule applied to them is in
ledger.semantics.spend (and orders, leases, rates).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, Connection, ScalarSelect, Select, Table, and_, select, union

from ledger import schema
from ledger.dates import as_date
from ledger.money import EXACT, as_decimal
from ledger.reads.budget import budget_rows
from ledger.reads.layer_sums import layer_sums
from ledger.reads.rates import rate_book
from ledger.semantics.orders import OrderState, as_placed, order_state
from ledger.semantics.rates import Placement, RateBook
from ledger.semantics.spend import (
    billed,
    billed_per_year,
    invoice_status,
    is_matched,
    lease_received_per_year,
    open_amount,
    order_received_value,
    paid_amount,
    payable_amount,
    received_quantity,
)
from ledger.sql import visible

LAYERS = ("received", "invoiced", "paid")


@dataclass
class SpendHistory:
    """What followed some documents within the limit: receipts per order, invoices per
    document, voids and payments per invoice."""

    receipts: dict[str, list[tuple]] = field(default_factory=dict)
    invoices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    voided: dict[str, date] = field(default_factory=dict)
    payments: dict[str, list[tuple]] = field(default_factory=dict)


def _filters(table: Table, region: str | None, year: int | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if region is not None:
        conditions.append(table.c.region == region)
    if year is not None:
        conditions.append(table.c.year == year)
    return conditions


def spend_history(
    connection: Connection,
    as_of: date,
    upto_seq: int | None,
    *,
    kind: str,
    region: str | None = None,
    year: int | None = None,
    ids: Collection[str] | None = None,
    payments: bool = True,
) -> SpendHistory:
    """The receipts (orders only), invoices, voids and payments (unless `payments` is false) of
    the documents of one kind of a region and year (either may be None: all), or of the
    documents `ids`."""
    with_payments = payments
    receipts, invoices, voids, payment_table = (
        schema.receipts,
        schema.invoices,
        schema.invoice_voids,
        schema.payments,
    )
    later = SpendHistory()
    if kind == "order":
        query = select(
            receipts.c.order_id, receipts.c.quantity, receipts.c.effective, receipts.c.seq
        ).where(*visible(receipts, as_of, upto_seq))
        query = (
            query.where(receipts.c.order_id.in_(list(ids)))
            if ids is not None
            else query.where(*_filters(receipts, region, year))
        )
        for order_id, quantity, effective, seq in connection.execute(query):
            later.receipts.setdefault(order_id, []).append((quantity, as_date(effective), seq))
    query = select(invoices).where(invoices.c.kind == kind, *visible(invoices, as_of, upto_seq))
    query = (
        query.where(invoices.c.document.in_(list(ids)))
        if ids is not None
        else query.where(*_filters(invoices, region, year))
    )
    codes = []
    for row in connection.execute(query.order_by(invoices.c.effective, invoices.c.seq)):
        invoice = dict(row._mapping)
        invoice["effective"] = as_date(invoice["effective"])
        invoice["amount"] = as_decimal(invoice["amount"])
        later.invoices.setdefault(invoice["document"], []).append(invoice)
        codes.append(invoice["invoice"])
    if not codes:
        return later
    void_query = select(voids.c.invoice, voids.c.effective).where(*visible(voids, as_of, upto_seq))
    payment_query = select(
        payment_table.c.invoice,
        payment_table.c.amount,
        payment_table.c.effective,
        payment_table.c.seq,
    ).where(*visible(payment_table, as_of, upto_seq))
    if ids is not None:
        void_query = void_query.where(voids.c.invoice.in_(codes))
        payment_query = payment_query.where(payment_table.c.invoice.in_(codes))
    else:
        void_query = void_query.where(*_filters(voids, region, year))
        payment_query = payment_query.where(*_filters(payment_table, region, year))
    wanted = set(codes)
    for invoice, effective in connection.execute(void_query):
        if invoice in wanted:
            later.voided[invoice] = as_date(effective)
    if not with_payments:
        return later
    for invoice, amount, effective, seq in connection.execute(payment_query):
        if invoice in wanted:
            later.payments.setdefault(invoice, []).append(
                (as_decimal(amount), as_date(effective), seq)
            )
    return later


@dataclass(frozen=True)
class OrderFacts:
    """One order as of a date with what its receipts and counted invoices come to, in its own
    currency."""

    order: str
    region: str
    year: int
    currency: str
    region_currency: str
    placed: date
    state: OrderState
    received: int
    invoiced_quantity: int
    invoiced: Decimal
    paid: Decimal
    invoices: int  # how many count

    @property
    def effective(self) -> date:
        """The day the order was placed: the day that books it (ledger.semantics.rates)."""
        return self.placed


def order_facts(
    connection: Connection,
    *,
    as_of: date,
    upto_seq: int | None,
    region: str | None = None,
    year: int | None = None,
    ids: Collection[str] | None = None,
    payments: bool = True,
) -> list[OrderFacts]:
    """The orders (of a region and year, or `ids`) with a receipt or an invoice within the
    limit, sorted by id (`paid` 0 unless `payments`)."""
    later = spend_history(
        connection,
        as_of,
        upto_seq,
        kind="order",
        region=region,
        year=year,
        ids=ids,
        payments=payments,
    )
    if not later.receipts and not later.invoices:
        return []
    orders, changes, regions = schema.orders, schema.order_changes, schema.regions
    wanted: list[str] | ScalarSelect[Any]
    if ids is not None:
        wanted = list(ids)
    else:
        # The orders with a receipt or an invoice, as a subquery: there may be more of them than
        # a statement may have parameters.
        receipts, invoices = schema.receipts, schema.invoices
        wanted = union(
            select(receipts.c.order_id).where(
                *visible(receipts, as_of, upto_seq), *_filters(receipts, region, year)
            ),
            select(invoices.c.document).where(
                invoices.c.kind == "order",
                *visible(invoices, as_of, upto_seq),
                *_filters(invoices, region, year),
            ),
        ).scalar_subquery()
    changed: dict[str, list] = {}
    for order_id, kind, quantity, unit_price in connection.execute(
        select(changes.c.order_id, changes.c.kind, changes.c.quantity, changes.c.unit_price)
        .where(changes.c.order_id.in_(wanted), *visible(changes, as_of, upto_seq))
        .order_by(changes.c.order_id, changes.c.effective, changes.c.seq)
    ):
        changed.setdefault(order_id, []).append((kind, quantity, unit_price))
    found = []
    for order in connection.execute(
        select(orders, regions.c.currency.label("region_currency"))
        .join_from(orders, regions, regions.c.region == orders.c.region)
        .where(orders.c.order_id.in_(wanted), *visible(orders, as_of, upto_seq))
        .order_by(orders.c.order_id)
    ):
        state = order_state(
            as_placed(order.quantity, order.unit_price), changed.get(order.order_id, ())
        )
        totals = billed(later.invoices.get(order.order_id, ()), later.voided, later.payments, as_of)
        found.append(
            OrderFacts(
                order=order.order_id,
                region=order.region,
                year=order.year,
                currency=order.currency,
                region_currency=order.region_currency,
                placed=as_date(order.effective),
                state=state,
                received=received_quantity(later.receipts.get(order.order_id, ()), as_of),
                invoiced_quantity=totals.quantity,
                invoiced=totals.amount,
                paid=totals.paid,
                invoices=totals.invoices,
            )
        )
    return found


def document_amounts(
    connection: Connection,
    *,
    as_of: date,
    upto_seq: int | None,
    region: str | None = None,
    year: int | None = None,
    ids: Collection[str] | None = None,
    rate: RateBook,
) -> Iterator[tuple]:
    """Per document and budget year it charges, (kind, id, region, year, booking, received,
    invoiced, paid): the three layers as of as_of in the document's own currency (exact
    Decimals), and the booking (ledger.semantics.rates) that converts them to the region's.
    Only documents with some layer appear; `year` keeps that year's rows, `ids` those
    documents. Callers convert once per booking rather than once per document."""
    for facts in order_facts(
        connection, as_of=as_of, upto_seq=upto_seq, region=region, year=year, ids=ids
    ):
        yield (
            "order",
            facts.order,
            facts.region,
            facts.year,
            rate.booked(facts),
            order_received_value(facts.received, facts.state.unit_price),
            facts.invoiced,
            facts.paid,
        )
    yield from _lease_amounts(connection, as_of, upto_seq, region, year, ids, rate)


def document_layers(
    connection: Connection,
    *,
    as_of: date,
    upto_seq: int | None,
    region: str | None = None,
    year: int | None = None,
    ids: Collection[str] | None = None,
    rate: RateBook | None = None,
) -> list[dict[str, Any]]:
    """document_amounts as rows with kind, id, region, year and the three layers in the
    region's currency at the document's booked rate (exact Fractions)."""
    rate = rate or rate_book(connection, as_of, upto_seq)
    rows = []
    for kind, code, where, charged, booking, *amounts in document_amounts(
        connection, as_of=as_of, upto_seq=upto_seq, region=region, year=year, ids=ids, rate=rate
    ):
        booked = rate.rate(booking)
        row = {"kind": kind, "id": code, "region": where, "year": charged}
        for layer, amount in zip(LAYERS, amounts, strict=True):
            row[layer] = Fraction(amount) * booked if amount else Fraction(0)
        rows.append(row)
    return rows


def leases_as_of(
    as_of: date, upto_seq: int | None, region: str | None, ids: Collection[str] | None
) -> Select[Any]:
    """The leases signed by as_of (within the limit), with their region's currency and their
    termination (date and fee) if one is known by then: the leases `ids`, else those of
    `region`, else all."""
    leases, terminations, regions = schema.leases, schema.lease_terminations, schema.regions
    signed = (
        select(
            leases,
            regions.c.currency.label("region_currency"),
            terminations.c.effective.label("terminated"),
            terminations.c.fee,
        )
        .join_from(leases, regions, regions.c.region == leases.c.region)
        .outerjoin(
            terminations,
            and_(terminations.c.lease == leases.c.lease, *visible(terminations, as_of, upto_seq)),
        )
        .where(*visible(leases, as_of, upto_seq))
    )
    if ids is not None:
        return signed.where(leases.c.lease.in_(list(ids)))
    if region is not None:
        return signed.where(leases.c.region == region)
    return signed


def _lease_amounts(
    connection: Connection,
    as_of: date,
    upto_seq: int | None,
    region: str | None,
    year: int | None,
    ids: Collection[str] | None,
    rate: RateBook,
) -> Iterator[tuple]:
    signed = list(connection.execute(leases_as_of(as_of, upto_seq, region, ids)))
    if not signed:
        return
    later = spend_history(
        connection,
        as_of,
        upto_seq,
        kind="lease",
        region=region if ids is None else None,
        year=year if ids is None else None,
        ids=ids,
    )
    zero = Decimal(0)
    for lease in signed:
        start = as_date(lease.start)
        terminated = None if lease.terminated is None else as_date(lease.terminated)
        invoices = later.invoices.get(lease.lease, ())
        if year is not None and not invoices:
            # Nothing of the lease can fall in `year` unless a payment is due in it by the as-of
            # date or its termination is charged to it.
            last_due = (start.year * 12 + start.month - 2 + lease.months) // 12
            if not (start.year <= year <= min(last_due, as_of.year)) and not (
                terminated is not None and terminated.year == year
            ):
                continue
        booking = rate.booked(lease)
        layers: dict[int, list[Decimal]] = {}
        for charged, amount in lease_received_per_year(
            start, lease.months, lease.monthly_payment, as_of, terminated, lease.fee or zero
        ).items():
            layers[charged] = [amount, zero, zero]
        for charged, totals in billed_per_year(
            invoices, later.voided, later.payments, as_of
        ).items():
            received = layers.get(charged, [zero])[0]
            layers[charged] = [received, totals.amount, totals.paid]
        for charged, amounts in sorted(layers.items()):
            if year is None or charged == year:
                yield ("lease", lease.lease, lease.region, charged, booking, *amounts)


def spend_rows(
    connection: Connection, *, as_of: date, year: int, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """`query spend`: one row per region opened by as_of, for `year`, with region, year,
    currency, budget, committed, received, invoiced, paid, open (committed − invoiced), payable
    (invoiced − paid) and remaining (budget − committed); amounts exact, in the region's
    currency. Budget, committed and remaining are those of the budget report; the layers are
    summed per booking (ledger.reads.layer_sums), then converted once per booking."""
    rate = rate_book(connection, as_of, upto_seq)
    rows = []
    for budget in budget_rows(
        connection, as_of=as_of, year=year, region=region, upto_seq=upto_seq, rate=rate
    ):
        where, home = budget["region"], budget["currency"]
        per_booking: dict[tuple, list[Decimal]] = {}
        for (_, currency, day), amounts in layer_sums(
            connection, as_of=as_of, year=year, region=where, upto_seq=upto_seq
        ).items():
            booking = rate.booked(Placement(currency, home, day))
            sums = per_booking.get(booking)
            if sums is None:
                per_booking[booking] = list(amounts)
            else:
                for index, amount in enumerate(amounts):
                    sums[index] = EXACT.add(sums[index], amount)
        layers = dict.fromkeys(LAYERS, Fraction(0))
        for booking, sums in per_booking.items():
            booked = rate.rate(booking)
            for layer, amount in zip(LAYERS, sums, strict=True):
                if amount:
                    layers[layer] += Fraction(amount) * booked
        committed = Fraction(budget["committed"])
        rows.append(
            {
                "region": where,
                "year": year,
                "currency": home,
                "budget": budget["budget"],
                "committed": budget["committed"],
                **layers,
                "open": open_amount(committed, layers["invoiced"]),
                "payable": payable_amount(layers["invoiced"], layers["paid"]),
                "remaining": budget["remaining"],
            }
        )
    return rows


def document_totals(
    connection: Connection,
    *,
    as_of: date,
    upto_seq: int | None,
    region: str | None = None,
    ids: Collection[str] | None = None,
    rate: RateBook | None = None,
) -> dict[tuple[str, str], dict[str, Fraction]]:
    """(kind, id) → received, invoiced and paid over all years (the commitments columns), in
    the region's currency: a document's years summed in its own currency, then converted once."""
    rate = rate or rate_book(connection, as_of, upto_seq)
    sums: dict[tuple[str, str], tuple[Any, list[Decimal]]] = {}
    for kind, code, _, _, booking, *amounts in document_amounts(
        connection, as_of=as_of, upto_seq=upto_seq, region=region, ids=ids, rate=rate
    ):
        found = sums.get((kind, code))
        if found is None:
            sums[kind, code] = (booking, list(amounts))
        else:
            for index, amount in enumerate(amounts):
                found[1][index] = EXACT.add(found[1][index], amount)
    totals = {}
    for key, (booking, amounts) in sums.items():
        booked = rate.rate(booking)
        totals[key] = {
            layer: Fraction(amount) * booked if amount else Fraction(0)
            for layer, amount in zip(LAYERS, amounts, strict=True)
        }
    return totals


def matched_orders(
    connection: Connection, *, as_of: date, upto_seq: int | None, region: str
) -> list[OrderFacts]:
    """The orders of `region` three-way match looks at as of as_of: not cancelled, with a
    receipt or a counted invoice (the tests themselves: ledger.semantics.spend.match_failures,
    with the policy's tolerance)."""
    return [
        facts
        for facts in order_facts(
            connection, as_of=as_of, upto_seq=upto_seq, region=region, payments=False
        )
        if is_matched(facts.state.cancelled, facts.received, facts.invoices)
    ]


def invoice_rows(
    connection: Connection, *, as_of: date, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """`invoice list`: every invoice received by as_of in (effective, seq) order, with its paid
    amount and status as of as_of, in the invoice's currency."""
    invoices, voids, payments = schema.invoices, schema.invoice_voids, schema.payments
    query = select(invoices).where(*visible(invoices, as_of, upto_seq))
    void_query = select(voids.c.invoice, voids.c.effective).where(*visible(voids, as_of, upto_seq))
    payment_query = select(
        payments.c.invoice, payments.c.amount, payments.c.effective, payments.c.seq
    ).where(*visible(payments, as_of, upto_seq))
    if region is not None:
        query = query.where(invoices.c.region == region)
        void_query = void_query.where(voids.c.region == region)
        payment_query = payment_query.where(payments.c.region == region)
    voided = dict(connection.execute(void_query).all())
    paid: dict[str, list[tuple]] = {}
    for invoice, amount, effective, seq in connection.execute(payment_query):
        paid.setdefault(invoice, []).append((amount, as_date(effective), seq))
    rows = []
    for invoice in connection.execute(query.order_by(invoices.c.effective, invoices.c.seq)):
        amount = as_decimal(invoice.amount)
        settled = paid_amount(paid.get(invoice.invoice, ()), as_of)
        rows.append(
            {
                "invoice": invoice.invoice,
                "kind": invoice.kind,
                "document": invoice.document,
                "region": invoice.region,
                "supplier": invoice.supplier,
                "amount": amount,
                "currency": invoice.currency,
                "paid": settled,
                "status": invoice_status(amount, settled, invoice.invoice in voided),
                "effective": as_date(invoice.effective),
                "seq": invoice.seq,
            }
        )
    return rows


__all__ = [
    "LAYERS",
    "OrderFacts",
    "SpendHistory",
    "document_amounts",
    "document_layers",
    "document_totals",
    "invoice_rows",
    "matched_orders",
    "order_facts",
    "spend_history",
    "spend_rows",
]
