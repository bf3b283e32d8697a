"""Budgets: `budget revise`, `budget transfer`, `budget list` and `budget transfers`."""

from __future__ import annotations

from decimal import Decimal

import click

from commands.options import (
    DECIMAL,
    INTEGER,
    IntegerType,
    knowledge_options,
    recording_options,
)
from commands.output import AMOUNT, PLAIN, TEXT, output_options, render
from commands.recording import NumberArguments, record_event

BUDGET_COLUMNS = [
    ("region", PLAIN),
    ("year", PLAIN),
    ("amount", AMOUNT),
    ("currency", PLAIN),
    ("effective", PLAIN),
    ("seq", PLAIN),
    ("reason", TEXT),
]

TRANSFER_COLUMNS = [
    ("from_region", PLAIN),
    ("to_region", PLAIN),
    ("year", PLAIN),
    ("amount", AMOUNT),
    ("currency", PLAIN),
    ("received", AMOUNT),
    ("to_currency", PLAIN),
    ("rate", PLAIN),
    ("effective", PLAIN),
    ("seq", PLAIN),
    ("reason", TEXT),
]


@click.group()
def budget():
    """Yearly budgets per region.

    \b
    Example:
      ledger budget revise CN 2025 40000000000 --effective 2025-01-01
    """


@budget.command("revise", cls=NumberArguments, numbers="YEAR and AMOUNT must not be negative")
@click.argument("region_code", metavar="REGION")
@click.argument("year", type=INTEGER)
@click.argument("amount", type=DECIMAL)
@click.option("--currency", metavar="CUR", help="Must be the region's currency if given.")
@recording_options
@click.pass_context
def budget_revise(ctx, region_code, year, amount, currency, effective, reason, event_id):
    """Set the budget of REGION for YEAR to AMOUNT (in the region's currency).

    \b
    Example:
      ledger budget revise CN 2025 40000000000 --effective 2025-01-01
    """
    record_event(
        ctx,
        "budget.revised",
        {"region": region_code, "year": year, "amount": amount, "currency": currency},
        effective,
        reason,
        event_id,
    )


@budget.command("transfer", cls=NumberArguments, numbers="YEAR and AMOUNT must be positive")
@click.argument("from_region", metavar="FROM_REGION")
@click.argument("to_region", metavar="TO_REGION")
@click.argument("year", type=INTEGER)
@click.argument("amount", type=DECIMAL)
@recording_options
@click.pass_context
def budget_transfer(ctx, from_region, to_region, year, amount, effective, reason, event_id):
    """Move AMOUNT (in FROM_REGION's currency) of YEAR's budget from FROM_REGION to TO_REGION.
    The receiving region gains it converted at the rate in force on the effective date. Both
    regions need a budget for YEAR, and FROM_REGION's may not go below zero.

    \b
    Example:
      ledger budget transfer CN MY 2025 70000 --effective 2025-06-15 \\
        --reason "leased capacity"
    """
    record_event(
        ctx,
        "budget.transferred",
        {"from_region": from_region, "to_region": to_region, "year": year, "amount": amount},
        effective,
        reason,
        event_id,
    )


@budget.command("list")
@click.option(
    "--year", type=IntegerType(1, 9999), metavar="Y", help="Only this budget year [default: all]."
)
@knowledge_options
@output_options
@click.pass_obj
def budget_list(obj, year, as_of, known_at, upto_seq, region, fmt, output):
    """Every budget revision with an effective date on or before the as-of date, oldest first
    (by effective date, then seq), with its reason: how each budget came to be.

    \b
    Example:
      ledger budget list --year 2025
      ledger budget list --region CN --as-of 2025-06-30 --known-at 2025-07-01
    """
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    render(
        ledger.budgets(as_of=as_of, year=year, region=region, knowledge=knowledge),
        BUDGET_COLUMNS,
        fmt,
        output,
    )


@budget.command("transfers")
@click.option(
    "--year", type=IntegerType(1, 9999), metavar="Y", help="Only this budget year [default: all]."
)
@knowledge_options
@output_options
@click.pass_obj
def transfer_list(obj, year, as_of, known_at, upto_seq, region, fmt, output):
    """Every budget transfer with an effective date on or before the as-of date, oldest first
    (by effective date, then seq): the amount the sending region gave (in its currency), what
    the receiving region gained (at the rate in force on the transfer's date, as known within
    the knowledge limit), the rate, and the reason. --region lists transfers from or to it.

    \b
    Example:
      ledger budget transfers --year 2025
      ledger budget transfers --region MY --as-of 2025-06-30 --upto-seq 40
    """
    from ledger.money import round_half_up

    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    rows = ledger.budget_transfers(as_of=as_of, year=year, region=region, knowledge=knowledge)
    # The rate for display, six decimals as the group view shows rates (the amounts are exact).
    six = Decimal("0.000001")
    render(
        ({**row, "rate": str(round_half_up(row["rate"], six))} for row in rows),
        TRANSFER_COLUMNS,
        fmt,
        output,
    )


COMMANDS = [budget]
