"""`list` subcommands of the region, supplier, fx and budget groups: the master data (SPEC §5)."""

from __future__ import annotations

from decimal import Decimal

import click

from commands.options import IntegerType, knowledge_options
from commands.output import AMOUNT, PLAIN, TEXT, output_options, render

REGION_COLUMNS = [
    ("region", PLAIN),
    ("name", TEXT),
    ("country", PLAIN),
    ("currency", PLAIN),
    ("opened", PLAIN),
]
SUPPLIER_COLUMNS = [("supplier", PLAIN), ("name", TEXT), ("country", PLAIN), ("registered", PLAIN)]
FX_COLUMNS = [
    ("base", PLAIN),
    ("quote", PLAIN),
    ("rate", PLAIN),
    ("effective", PLAIN),
    ("seq", PLAIN),
]
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


def _limits_only(function):
    """knowledge_options without --region: for lists where a region filter means nothing."""
    function = knowledge_options(function)
    function.__click_params__ = [p for p in function.__click_params__ if p.name != "region"]
    return function


@click.command("list")
@knowledge_options
@output_options
@click.pass_obj
def region_list(obj, as_of, known_at, upto_seq, region, fmt, output):
    """Regions opened by the as-of date, by code, with the date each was opened.

    \b
    Example:
      ledger region list
      ledger region list --as-of 2025-06-30 --known-at 2025-07-01 --format json
    """
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    render(
        ledger.regions(as_of=as_of, region=region, knowledge=knowledge), REGION_COLUMNS, fmt, output
    )


@click.command("list")
@_limits_only
@output_options
@click.pass_obj
def supplier_list(obj, as_of, known_at, upto_seq, fmt, output):
    """Suppliers and lessors registered by the as-of date, by code.

    \b
    Example:
      ledger supplier list
      ledger supplier list --as-of 2025-03-31 --excel -o suppliers.csv
    """
    ledger = obj.ledger
    knowledge = obj.knowledge(known_at, upto_seq)
    render(ledger.suppliers(as_of=as_of, knowledge=knowledge), SUPPLIER_COLUMNS, fmt, output)


def _currency(_ctx, _param, value: str | None) -> str | None:
    """A mistyped code would list nothing, which reads as "no rates": refuse it instead."""
    from ledger.fields import iso_codes

    if value is not None and value not in iso_codes()[0]:
        raise click.BadParameter(f"{value!r} is not an ISO 4217 currency code (e.g. USD)")
    return value


@click.command("list")
@click.option(
    "--base", metavar="X", callback=_currency, help="Only rates set with this base currency."
)
@click.option(
    "--quote", metavar="Y", callback=_currency, help="Only rates set with this quote currency."
)
@_limits_only
@output_options
@click.pass_obj
def fx_list(obj, base, quote, as_of, known_at, upto_seq, fmt, output):
    """Every rate set with an effective date on or before the as-of date, oldest first (by
    effective date, then seq), each as recorded: 1 BASE = RATE QUOTE. --base and --quote match
    the direction the rate was set in; a USD CNY rate is not listed under --base CNY.

    \b
    Example:
      ledger fx list --base USD --quote CNY
      ledger fx list --as-of 2025-06-30 --upto-seq 40
    """
    from ledger.money import canonical_decimal

    ledger = obj.ledger
    knowledge = obj.knowledge(known_at, upto_seq)
    rows = ledger.fx_rates(as_of=as_of, base=base, quote=quote, knowledge=knowledge)
    # The rate exactly as recorded: plain notation, never rounded to two places.
    render(
        ({**row, "rate": canonical_decimal(row["rate"])} for row in rows), FX_COLUMNS, fmt, output
    )


@click.command("list")
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


@click.command("transfers")
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


def attach(
    *, region: click.Group, supplier: click.Group, fx: click.Group, budget: click.Group
) -> None:
    """Add the `list` subcommands to the recording groups of commands/record.py."""
    region.add_command(region_list)
    supplier.add_command(supplier_list)
    fx.add_command(fx_list)
    budget.add_command(budget_list)
    budget.add_command(transfer_list)
