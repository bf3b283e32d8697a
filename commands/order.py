"""Purchase orders: `order place`, `order amend` and `order cancel`."""

from __future__ import annotations

import click

from commands.options import (
    DECIMAL,
    INTEGER,
    recording_options,
)
from commands.recording import record_event


@click.group()
def order():
    """Purchase orders: place, amend, cancel.

    \b
    Example:
      ledger order place PO-1 --region CN --supplier huawei --sku ascend-910b \\
          --quantity 10 --unit-price 30000 --currency CNY --effective 2025-01-10
      ledger order amend PO-1 --quantity 8 --effective 2025-03-01
    """


@order.command("place")
@click.argument("order_id", metavar="ORDER")
@click.option("--region", required=True, metavar="R")
@click.option("--supplier", required=True, metavar="S")
@click.option("--sku", required=True, metavar="K")
@click.option("--quantity", required=True, type=INTEGER, metavar="Q")
@click.option("--unit-price", required=True, type=DECIMAL, metavar="P")
@click.option("--currency", required=True, metavar="C")
@click.option("--purpose", type=click.Choice(["training", "inference", "other"]))
@recording_options
@click.pass_context
def order_place(
    ctx,
    order_id,
    region,
    supplier,
    sku,
    quantity,
    unit_price,
    currency,
    purpose,
    effective,
    reason,
    event_id,
):
    """Place a purchase order.

    \b
    Example:
      ledger order place PO-1 --region CN --supplier huawei --sku ascend-910b \\
        --quantity 10 --unit-price 30000 --currency CNY --effective 2025-01-10
    """
    record_event(
        ctx,
        "order.placed",
        {
            "order": order_id,
            "region": region,
            "supplier": supplier,
            "sku": sku,
            "quantity": quantity,
            "unit_price": unit_price,
            "currency": currency,
            "purpose": purpose,
        },
        effective,
        reason,
        event_id,
    )


@order.command("amend")
@click.argument("order_id", metavar="ORDER")
@click.option("--quantity", type=INTEGER, metavar="Q")
@click.option("--unit-price", type=DECIMAL, metavar="P")
@recording_options
@click.pass_context
def order_amend(ctx, order_id, quantity, unit_price, effective, reason, event_id):
    """Change an order's quantity and/or unit price from the effective date on.

    \b
    Example:
      ledger order amend PO-2 --quantity 5 --effective 2025-03-01
    """
    if quantity is None and unit_price is None:
        raise click.UsageError("give --quantity, --unit-price or both")
    record_event(
        ctx,
        "order.amended",
        {"order": order_id, "quantity": quantity, "unit_price": unit_price},
        effective,
        reason,
        event_id,
    )


@order.command("cancel")
@click.argument("order_id", metavar="ORDER")
@recording_options
@click.pass_context
def order_cancel(ctx, order_id, effective, reason, event_id):
    """Cancel an order: its value is 0 from the effective date on.

    \b
    Example:
      ledger order cancel PO-2 --effective 2025-04-01 \\
        --reason "export licence withdrawn"
    """
    record_event(ctx, "order.cancelled", {"order": order_id}, effective, reason, event_id)


COMMANDS = [order]
