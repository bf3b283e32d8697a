"""The money after the promise (SPEC §4.7, §4.5 three-way match): what was received, invoiced and
paid of an order or lease as of a date, and whether an order's invoices match it.

Pure functions over rows already read, in the shapes the write side's CurrentLog and the reads
share: a receipt is (quantity, effective, …), a payment (amount, effective, …), an invoice a
mapping with invoice, quantity, amount, effective; voids map an invoice to its void's date. Every
function takes the as-of date and ignores what is dated after it, so the same call answers a
report (rows already limited to the as-of date) and block mode at entry (the whole log, asked
as of the payment's date). The spend query, the commitments columns, the three-way-match rows of
compliance, block mode at a payment, the diffs and the invoice list all come here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any, NamedTuple

from ledger.money import EXACT, as_decimal, canonical_decimal, money
from ledger.semantics.leases import payments_due

OVER_RECEIPT = "over-receipt"
NOT_RECEIVED = "billed for goods not received"
ABOVE_PRICE = "billed above the order's price"


def _day(value: Any) -> date:
    return value if type(value) is date else date.fromisoformat(value)


def received_quantity(receipts: Iterable[tuple], as_of: date) -> int:
    """r: the quantities of an order's receipts with effective ≤ as_of."""
    return sum(receipt[0] for receipt in receipts if _day(receipt[1]) <= as_of)


def counted_invoices(
    invoices: Iterable[Mapping[str, Any]], voided: Mapping[str, Any], as_of: date
) -> list[Mapping[str, Any]]:
    """The invoices with effective ≤ as_of that no void with effective ≤ as_of voids."""
    counted = []
    for invoice in invoices:
        if _day(invoice["effective"]) > as_of:
            continue
        void = voided.get(invoice["invoice"])
        if void is not None and _day(void) <= as_of:
            continue
        counted.append(invoice)
    return counted


def paid_amount(payments: Iterable[tuple], as_of: date) -> Decimal:
    """The amounts of an invoice's payments with effective ≤ as_of, exact."""
    paid = Decimal(0)
    for payment in payments:
        if _day(payment[1]) <= as_of:
            paid = EXACT.add(paid, as_decimal(payment[0]))
    return paid


class Billed(NamedTuple):
    """What the counted invoices of a document come to as of a date, in the document's currency."""

    quantity: int  # iq (0 for a lease)
    amount: Decimal  # ia
    paid: Decimal
    invoices: int  # how many invoices count


def billed(
    invoices: Iterable[Mapping[str, Any]],
    voided: Mapping[str, Any],
    payments: Mapping[str, Iterable[tuple]],
    as_of: date,
) -> Billed:
    """iq, ia and paid of a document's counted invoices as of as_of (SPEC §4.7)."""
    quantity, count = 0, 0
    amount = paid = Decimal(0)
    for invoice in counted_invoices(invoices, voided, as_of):
        count += 1
        quantity += invoice.get("quantity") or 0
        amount = EXACT.add(amount, as_decimal(invoice["amount"]))
        code = invoice["invoice"]
        if code in payments:
            paid = EXACT.add(paid, paid_amount(payments[code], as_of))
    return Billed(quantity, amount, paid, count)


def billed_per_year(
    invoices: Iterable[Mapping[str, Any]],
    voided: Mapping[str, Any],
    payments: Mapping[str, Iterable[tuple]],
    as_of: date,
) -> dict[int, Billed]:
    """billed() per year of each invoice's own effective date: how a lease's invoices (and their
    payments) are charged (SPEC §4.7)."""
    per_year: dict[int, list] = defaultdict(list)
    for invoice in invoices:
        per_year[_day(invoice["effective"]).year].append(invoice)
    found = {}
    for year, group in per_year.items():
        totals = billed(group, voided, payments, as_of)
        if totals.invoices:
            found[year] = totals
    return found


def order_received_value(received: int, unit_price: Decimal) -> Decimal:
    """An order's received value in its own currency: r × p, p its unit price as of the date."""
    return EXACT.multiply(unit_price, received)


def lease_received_per_year(
    start: date,
    months: int,
    monthly_payment: Decimal | str,
    as_of: date,
    terminated: date | None = None,
    fee: Decimal | str = Decimal(0),
) -> dict[int, Decimal]:
    """A lease's received layer as of as_of per budget year, in the lease's currency: the
    scheduled payments due on or before as_of (after a termination by as_of, only those it
    keeps, those due on or before it) plus the fee when terminated by as_of, each charged to its
    year as in SPEC §4.3."""
    monthly_payment = as_decimal(monthly_payment)
    # The termination date when it falls by as_of, else None.
    terminated_by = terminated if terminated is not None and terminated <= as_of else None
    until = as_of if terminated_by is None else terminated_by
    received: dict[int, Decimal] = {}
    with localcontext(EXACT):
        last_due = (start.year * 12 + start.month - 1 + months - 1) // 12
        for year in range(start.year, min(until.year, last_due) + 1):
            count = payments_due(start, months, year, until)
            if count:
                received[year] = count * monthly_payment
        if terminated_by is not None:
            received[terminated_by.year] = received.get(
                terminated_by.year, Decimal(0)
            ) + as_decimal(fee)
    return received


def is_matched(cancelled: bool, received: int, counted: int) -> bool:
    """Three-way match looks at an order that is not cancelled and has a receipt or a counted
    invoice as of the date."""
    return not cancelled and (received > 0 or counted > 0)


def match_failures(
    quantity: int,
    unit_price: Decimal,
    received: int,
    invoiced_quantity: int,
    invoiced_amount: Decimal,
    tolerance: Decimal | str | None,
) -> list[str]:
    """The tests of the three-way match an order fails (SPEC §4.5), in the order's currency:
    r > q (over-receipt), iq > r (billed for goods not received), ia > iq × p × (1 + t) (billed
    above the order's price). Empty: the order matches. Exact: no rounding anywhere."""
    failures = []
    if received > quantity:
        failures.append(OVER_RECEIPT)
    if invoiced_quantity > received:
        failures.append(NOT_RECEIVED)
    if as_decimal(invoiced_amount) > price_limit(invoiced_quantity, unit_price, tolerance):
        failures.append(ABOVE_PRICE)
    return failures


def price_limit(
    invoiced_quantity: int, unit_price: Decimal, tolerance: Decimal | str | None
) -> Decimal:
    """iq × p × (1 + t): the most the invoiced quantity may be billed."""
    with localcontext(EXACT):
        return invoiced_quantity * as_decimal(unit_price) * (1 + as_decimal(tolerance or 0))


def match_detail(
    failures: Iterable[str],
    order: Any,
    received: int,
    totals: Billed,
    tolerance: Decimal | str | None,
    currency: str,
) -> str:
    """What each failed test measured, for a person (`order` an OrderState as of the date)."""
    parts = []
    for failure in failures:
        if failure == OVER_RECEIPT:
            parts.append(f"{failure}: {received:,} received of {order.quantity:,} ordered")
        elif failure == NOT_RECEIVED:
            parts.append(f"{failure}: {totals.quantity:,} invoiced, {received:,} received")
        elif failure == ABOVE_PRICE:
            limit = price_limit(totals.quantity, order.unit_price, tolerance)
            share = canonical_decimal(as_decimal(tolerance or 0))
            parts.append(
                f"{failure}: invoiced {money(totals.amount, currency)} > {totals.quantity:,} × "
                f"{money(order.unit_price, currency)} × (1 + {share}) = {money(limit, currency)}"
            )
    return "; ".join(parts)


def invoice_status(amount: Decimal, paid: Decimal, voided: bool) -> str:
    """`voided`, `paid` (paid = amount), `part-paid` or `unpaid` (SPEC §5, `invoice list`)."""
    if voided:
        return "voided"
    if paid == amount:
        return "paid"
    return "part-paid" if paid > 0 else "unpaid"


def payment_room(amount: Decimal, payments: Iterable[tuple]) -> Decimal:
    """What an invoice may still be paid: its amount less every payment of it in the log,
    whatever their dates (SPEC §3.1)."""
    with localcontext(EXACT):
        return as_decimal(amount) - sum((as_decimal(p[0]) for p in payments), Decimal(0))


def open_amount(committed: Fraction, invoiced: Fraction) -> Fraction:
    """What is still to be billed: committed − invoiced (negative when billed beyond it)."""
    return committed - invoiced


def payable_amount(invoiced: Fraction, paid: Fraction) -> Fraction:
    """What is billed and not paid yet: invoiced − paid."""
    return invoiced - paid
