"""Supplier invoices: `invoice record`, `invoice void` and `invoice list`."""

from __future__ import annotations

import click

from commands.options import DATE, DECIMAL, INTEGER, knowledge_options, recording_options
from commands.output import AMOUNT, PLAIN, output_options, render
from commands.recording import record_event

INVOICE_COLUMNS = [
    ("invoice", PLAIN),
    ("kind", PLAIN),
    ("document", PLAIN),
    ("region", PLAIN),
    ("supplier", PLAIN),
    ("amount", AMOUNT),
    ("currency", PLAIN),
    ("paid", AMOUNT),
    ("status", PLAIN),
    ("effective", PLAIN),
    ("seq", PLAIN),
]


@click.group()
def invoice():
    """Suppliers' invoices for an order or a lease: record, void, list.

    \b
    Example:
      ledger invoice record INV-1 --supplier huawei --order PO-1 --quantity 8 \\
          --amount 248000 --currency CNY --effective 2025-04-20
      ledger invoice list --as-of 2025-06-30 --region CN
    """


@invoice.command("record")
@click.argument("invoice_id", metavar="INVOICE")
@click.option("--supplier", required=True, metavar="S", help="The order's supplier or the lessor.")
@click.option("--order", "order_id", metavar="O", help="The order billed (with --quantity).")
@click.option("--quantity", type=INTEGER, metavar="Q", help="Units billed (orders only).")
@click.option("--lease", "lease_id", metavar="L", help="The lease billed.")
@click.option("--amount", required=True, type=DECIMAL, metavar="A", help="In --currency.")
@click.option("--currency", required=True, metavar="C", help="The document's currency.")
@click.option("--reference", help="The supplier's invoice number.")
@click.option("--due", type=DATE, metavar="DATE", help="When the invoice falls due.")
@recording_options
@click.pass_context
def invoicerecord_event(
    ctx,
    invoice_id,
    supplier,
    order_id,
    quantity,
    lease_id,
    amount,
    currency,
    reference,
    due,
    effective,
    reason,
    event_id,
):
    """Record a supplier's invoice for an order (with the quantity billed) or a lease.

    \b
    Example:
      ledger invoice record INV-1 --supplier huawei --order PO-1 --quantity 8 \\
        --amount 248000 --currency CNY --effective 2025-04-20
      ledger invoice record INV-9 --supplier dcprov --lease L-1 --amount 50000 \\
        --currency USD
    """
    if (order_id is None) == (lease_id is None):
        raise click.UsageError("give --order O --quantity Q, or --lease L")
    if order_id is not None and quantity is None:
        raise click.UsageError("--order needs --quantity Q (the units billed)")
    if lease_id is not None and quantity is not None:
        raise click.UsageError("--quantity is for an order; an invoice for a lease has none")
    record_event(
        ctx,
        "invoice.received",
        {
            "invoice": invoice_id,
            "supplier": supplier,
            "order": order_id,
            "quantity": quantity,
            "lease": lease_id,
            "amount": amount,
            "currency": currency,
            "reference": reference,
            "due": due,
        },
        effective,
        reason,
        event_id,
    )


@invoice.command("void")
@click.argument("invoice_id", metavar="INVOICE")
@recording_options
@click.pass_context
def invoice_void(ctx, invoice_id, effective, reason, event_id):
    """Void an invoice that has no payment: from the effective date on it no longer counts.

    \b
    Example:
      ledger invoice void INV-3 --effective 2025-05-01 --reason "billed twice"
    """
    record_event(ctx, "invoice.voided", {"invoice": invoice_id}, effective, reason, event_id)


@invoice.command("list")
@knowledge_options
@output_options
@click.pass_obj
def invoice_list(obj, as_of, known_at, upto_seq, region, fmt, output):
    """Every invoice received by the as-of date, oldest first (by effective date, then seq),
    with what is paid of it and its status then (voided, paid, part-paid or unpaid), in the
    invoice's currency.

    \b
    Example:
      ledger invoice list --as-of 2025-06-30 --region CN
      ledger invoice list --upto-seq 40 --format json
    """
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    render(
        ledger.invoices(as_of=as_of, region=region, knowledge=knowledge),
        INVOICE_COLUMNS,
        fmt,
        output,
    )


COMMANDS = [invoice]
