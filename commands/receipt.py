"""Goods received against an order: `receipt record`."""

from __future__ import annotations

import click

from commands.options import INTEGER, recording_options
from commands.recording import record_event


@click.group()
def receipt():
    """Goods received against an order.

    \b
    Example:
      ledger receipt record R-1 --order PO-1 --quantity 6 --effective 2025-04-10
    """


@receipt.command("record")
@click.argument("receipt_id", metavar="RECEIPT")
@click.option("--order", "order_id", required=True, metavar="O", help="The order received.")
@click.option("--quantity", required=True, type=INTEGER, metavar="Q", help="Units received.")
@click.option("--reference", help="A delivery note or other evidence.")
@recording_options
@click.pass_context
def receiptrecord_event(
    ctx, receipt_id, order_id, quantity, reference, effective, reason, event_id
):
    """Record that QUANTITY units of an order arrived (more than ordered is accepted, and
    three-way match flags it).

    \b
    Example:
      ledger receipt record R-1 --order PO-1 --quantity 6 --reference DN-4711 \\
        --effective 2025-04-10
    """
    record_event(
        ctx,
        "goods.received",
        {"receipt": receipt_id, "order": order_id, "quantity": quantity, "reference": reference},
        effective,
        reason,
        event_id,
    )


COMMANDS = [receipt]
