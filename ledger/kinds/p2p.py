"""Procure to pay: goods received against an order, invoices received (for an order or a lease)
and voided, payments made, and the block-mode policies that hold a payment back (three-way
match, lease review)."""

from __future__ import annotations

from datetime import date
from operator import itemgetter

from ledger import schema
from ledger.errors import BlockedError, ValidationError
from ledger.events import GoodsReceived, InvoiceReceived, InvoiceVoided, PaymentMade
from ledger.kinds.base import (
    Held,
    Kind,
    Log,
    Subject,
    TableRows,
    blocked_by,
    invoice_as_of,
    known,
    lease_as_of,
    never_held,
    order_placed_never_cancelled,
)
from ledger.money import money
from ledger.semantics.orders import as_placed, order_state
from ledger.semantics.periods import region_of_billed_document, region_of_invoice, region_of_order
from ledger.semantics.policies import PolicyState
from ledger.semantics.spend import (
    billed,
    match_detail,
    match_failures,
    payment_room,
    received_quantity,
)

# -- goods.received -------------------------------------------------------------------------------


def check_receipt(current: Log, payload: GoodsReceived, on: date, reason: str | None) -> None:
    if current.has_receipt(payload.receipt):
        raise ValidationError(f"{payload.receipt!r} is already recorded", "receipt")
    order_placed_never_cancelled(current, payload.order, on, "goods")


def receipt_rows(
    seq: int, effective: date, actor: str, payload: GoodsReceived, current: Log
) -> TableRows:
    order = known(current.order(payload.order), "order", payload.order)
    row = {
        "receipt": payload.receipt,
        "order_id": payload.order,
        "region": order["region"],
        "year": order["year"],
        "quantity": payload.quantity,
        "reference": payload.reference,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.receipts, row)]


# -- invoice.received and invoice.voided ----------------------------------------------------------


def check_invoice(current: Log, payload: InvoiceReceived, on: date, reason: str | None) -> None:
    """A new invoice, from its document's supplier or lessor, in its document's currency, for an
    order placed and never cancelled or a lease signed by its date."""
    if current.invoice(payload.invoice) is not None:
        raise ValidationError(f"{payload.invoice!r} is already received", "invoice")
    if payload.order is not None:
        document = order_placed_never_cancelled(current, payload.order, on, "invoices")
        counterparty, noun = document["supplier"], f"order {payload.order!r}"
    else:
        document = lease_as_of(current, payload.document, on)
        counterparty, noun = document["lessor"], f"lease {payload.lease!r}"
    if payload.supplier != counterparty:
        role = "supplier" if payload.order is not None else "lessor"
        raise ValidationError(
            f"{payload.supplier!r} is not the {role} of {noun} ({counterparty})", "supplier"
        )
    if payload.currency != document["currency"]:
        raise ValidationError(
            f"{payload.currency} is not the currency of {noun} ({document['currency']}); "
            "an invoice is in its document's currency",
            "currency",
        )


def invoice_rows(
    seq: int, effective: date, actor: str, payload: InvoiceReceived, current: Log
) -> TableRows:
    if payload.order is not None:
        document = known(current.order(payload.order), "order", payload.order)
        year = document["year"]
    else:
        document = known(current.lease(payload.document), "lease", payload.document)
        year = effective.year  # a lease's invoice is charged to its own year
    row = {
        "invoice": payload.invoice,
        "kind": payload.kind,
        "document": payload.document,
        "region": document["region"],
        "year": year,
        "supplier": payload.supplier,
        "currency": payload.currency,
        "amount": payload.amount,
        "quantity": payload.quantity,
        "reference": payload.reference,
        "due": payload.due,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.invoices, row)]


def check_void(current: Log, payload: InvoiceVoided, on: date, reason: str | None) -> None:
    """A received invoice, not voided yet, without payments."""
    invoice = payload.invoice
    invoice_as_of(current, invoice, on)
    if current.voided_on(invoice) is not None:
        raise ValidationError(f"invoice {invoice!r} is already voided", "invoice")
    if current.invoice_payments(invoice):
        raise ValidationError(
            f"invoice {invoice!r} has payments; a paid invoice cannot be voided", "invoice"
        )


def void_rows(
    seq: int, effective: date, actor: str, payload: InvoiceVoided, current: Log
) -> TableRows:
    invoice = known(current.invoice(payload.invoice), "invoice", payload.invoice)
    row = {
        "invoice": payload.invoice,
        "region": invoice["region"],
        "year": invoice["year"],
        "effective": effective,
        "seq": seq,
    }
    return [(schema.invoice_voids, row)]


# -- payment.made ---------------------------------------------------------------------------------


def check_payment(current: Log, payload: PaymentMade, on: date, reason: str | None) -> None:
    """A new payment of an invoice received and not voided, within what is still to pay."""
    if current.has_payment(payload.payment):
        raise ValidationError(f"{payload.payment!r} is already recorded", "payment")
    invoice = invoice_as_of(current, payload.invoice, on)
    voided = current.voided_on(payload.invoice)
    if voided is not None:
        raise ValidationError(
            f"invoice {payload.invoice!r} is voided (from {voided.isoformat()})", "invoice"
        )
    room = payment_room(invoice["amount"], current.invoice_payments(payload.invoice))
    if payload.amount > room:
        currency = invoice["currency"]
        raise ValidationError(
            f"{money(payload.amount, currency)} would bring the payments of invoice "
            f"{payload.invoice} above its amount {money(invoice['amount'], currency)} "
            f"(still to pay: {money(room, currency)})",
            "amount",
        )


def payment_held(current: Log, payload: PaymentMade) -> Held:
    # The payment, not the invoice, is held back: the invoice is a fact, the payment our own
    # decision.
    return Held(
        region=known(current.invoice(payload.invoice), "invoice", payload.invoice)["region"],
        document=f"payment {payload.payment}",
        field="invoice",
        judges={"three_way_match": three_way_match, "lease_review": lease_review},
    )


def three_way_match(current: Log, payload: PaymentMade, on: date, state: PolicyState) -> None:
    """Refuse a payment of an invoice whose order is a three-way-match exception as of the
    payment's date: the whole log, read as of that date."""
    invoice = known(current.invoice(payload.invoice), "invoice", payload.invoice)
    if invoice["kind"] != "order":
        return
    order_id = invoice["document"]
    order = known(current.order(order_id), "order", order_id)
    changes = sorted(
        (change for change in current.order_changes(order_id) if change[3] <= on),
        key=itemgetter(3, 4),
    )
    now = order_state(as_placed(order["quantity"], order["unit_price"]), changes)
    received = received_quantity(current.order_receipts(order_id), on)
    invoices = current.invoices_of("order", order_id)
    voided = {
        row["invoice"]: day
        for row in invoices
        if (day := current.voided_on(row["invoice"])) is not None
    }
    totals = billed(invoices, voided, {}, on)  # payments do not enter the match
    failures = match_failures(
        now.quantity, now.unit_price, received, totals.quantity, totals.amount, state.tolerance
    )
    if failures:
        detail = match_detail(failures, now, received, totals, state.tolerance, order["currency"])
        raise BlockedError(
            f"{blocked_by(state)}: "
            f"payment {payload.payment} of invoice {payload.invoice} is held back, order "
            f"{order_id} is an exception ({detail})",
            "invoice",
        )


def lease_review(current: Log, payload: PaymentMade, on: date, state: PolicyState) -> None:
    """Refuse a payment of an invoice of a lease the policy holds (signed on or after its
    effective date, not terminated by the payment's date) whose latest review with effective ≤
    the payment's date is not an approval."""
    invoice = known(current.invoice(payload.invoice), "invoice", payload.invoice)
    if invoice["kind"] != "lease":
        return
    lease_id = invoice["document"]
    lease = known(current.lease(lease_id), "lease", lease_id)
    if lease["effective"] < state.since:
        return
    terminated = current.terminated_on(lease_id)
    if terminated is not None and terminated <= on:
        return
    reviews = sorted(
        (review for review in current.lease_reviews(lease_id) if review[1] <= on),
        key=itemgetter(1, 2),
    )
    if reviews and reviews[-1][0] == "approved":
        return
    why = (
        f"its latest review (seq {reviews[-1][2]}, {reviews[-1][1].isoformat()}) is {reviews[-1][0]}"
        if reviews
        else f"it has no review by {on.isoformat()}"
    )
    raise BlockedError(
        f"{blocked_by(state)}: "
        f"payment {payload.payment} of invoice {payload.invoice} is held back, lease "
        f"{lease_id} is not cleared ({why}); record an approved `ledger lease review` first",
        "invoice",
    )


def payment_rows(
    seq: int, effective: date, actor: str, payload: PaymentMade, current: Log
) -> TableRows:
    invoice = known(current.invoice(payload.invoice), "invoice", payload.invoice)
    row = {
        "payment": payload.payment,
        "invoice": payload.invoice,
        "region": invoice["region"],
        "year": invoice["year"],
        "amount": payload.amount,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.payments, row)]


KINDS = (
    Kind(
        model=GoodsReceived,
        subject=Subject("{receipt}", ids=("receipt", "order")),
        touches=region_of_order,
        check=check_receipt,
        block=never_held,
        rows=receipt_rows,
        prefetch=("receipt", "order"),
    ),
    Kind(
        model=InvoiceReceived,
        subject=Subject("{invoice}", ids=("invoice", "order", "lease")),
        touches=region_of_billed_document,
        check=check_invoice,
        block=never_held,
        rows=invoice_rows,
        prefetch=("invoice", "order", "lease"),
    ),
    Kind(
        model=InvoiceVoided,
        subject=Subject("{invoice}", ids=("invoice",)),
        touches=region_of_invoice,
        check=check_void,
        block=never_held,
        rows=void_rows,
        prefetch=("invoice",),
    ),
    Kind(
        model=PaymentMade,
        subject=Subject("{payment}", ids=("payment", "invoice")),
        touches=region_of_invoice,
        check=check_payment,
        block=payment_held,
        rows=payment_rows,
        prefetch=("payment", "invoice"),
    ),
)
