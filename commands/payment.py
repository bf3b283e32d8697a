"""Payments of invoices: `payment record`."""

from __future__ import annotations

import click

from commands.options import DECIMAL, recording_options
from commands.recording import record_event


@click.group()
def payment():
    """Payments of invoices.

    \b
    Example:
      ledger payment record P-1 --invoice INV-1 --amount 248000 \\
        --effective 2025-05-06
    """


@payment.command("record")
@click.argument("payment_id", metavar="PAYMENT")
@click.option("--invoice", "invoice_id", required=True, metavar="I", help="The invoice paid.")
@click.option(
    "--amount", required=True, type=DECIMAL, metavar="A", help="In the invoice's currency."
)
@recording_options
@click.pass_context
def paymentrecord_event(ctx, payment_id, invoice_id, amount, effective, reason, event_id):
    """Record a payment of an invoice (all payments of it together at most its amount).

    \b
    Example:
      ledger payment record P-1 --invoice INV-1 --amount 248000 \\
        --effective 2025-05-06
    """
    record_event(
        ctx,
        "payment.made",
        {"payment": payment_id, "invoice": invoice_id, "amount": amount},
        effective,
        reason,
        event_id,
    )


COMMANDS = [payment]
