"""Exchange rates: `fx set` and `fx list`."""

from __future__ import annotations

import click

from commands.options import (
    DECIMAL,
    limits_only,
    recording_options,
)
from commands.output import PLAIN, output_options, render
from commands.recording import NumberArguments, record_event

FX_COLUMNS = [
    ("base", PLAIN),
    ("quote", PLAIN),
    ("rate", PLAIN),
    ("effective", PLAIN),
    ("seq", PLAIN),
]


@click.group()
def fx():
    """Exchange rates: 1 BASE = RATE QUOTE from the effective date.

    \b
    Example:
      ledger fx set USD CNY 7.2 --effective 2025-01-01
    """


@fx.command(
    "set",
    cls=NumberArguments,
    numbers="RATE must be positive (for the inverse rate, swap BASE and QUOTE)",
)
@click.argument("base")
@click.argument("quote")
@click.argument("rate", type=DECIMAL)
@recording_options
@click.pass_context
def fx_set(ctx, base, quote, rate, effective, reason, event_id):
    """Set a rate: 1 BASE = RATE QUOTE from the effective date on.

    \b
    Example:
      ledger fx set USD CNY 7.2 --effective 2025-01-01
    """
    record_event(
        ctx,
        "fx.rate_set",
        {"base": base, "quote": quote, "rate": rate},
        effective,
        reason,
        event_id,
    )


def _currency(_ctx, _param, value: str | None) -> str | None:
    """A mistyped code would list nothing, which reads as "no rates": refuse it instead."""
    from ledger.fields import iso_codes

    if value is not None and value not in iso_codes()[0]:
        raise click.BadParameter(f"{value!r} is not an ISO 4217 currency code (e.g. USD)")
    return value


@fx.command("list")
@click.option(
    "--base", metavar="X", callback=_currency, help="Only rates set with this base currency."
)
@click.option(
    "--quote", metavar="Y", callback=_currency, help="Only rates set with this quote currency."
)
@limits_only
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


COMMANDS = [fx]
