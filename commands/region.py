"""Regions: `region open`, `region update` and `region list`."""

from __future__ import annotations

import click

from commands.options import (
    knowledge_options,
    recording_options,
)
from commands.output import PLAIN, TEXT, output_options, render
from commands.recording import record_event

REGION_COLUMNS = [
    ("region", PLAIN),
    ("name", TEXT),
    ("country", PLAIN),
    ("currency", PLAIN),
    ("opened", PLAIN),
]


@click.group()
def region():
    """Regions: each has a country and a budget currency.

    \b
    Example:
      ledger region open CN --name China --country CN --currency CNY \\
        --effective 2025-01-01
    """


@region.command("open")
@click.argument("region_code", metavar="REGION")
@click.option("--name", required=True, help="Display name.")
@click.option("--country", required=True, metavar="CC", help="ISO 3166 country code, e.g. CN.")
@click.option("--currency", required=True, metavar="CUR", help="Budget currency, e.g. CNY.")
@recording_options
@click.pass_context
def region_open(ctx, region_code, name, country, currency, effective, reason, event_id):
    """Open a region.

    \b
    Example:
      ledger region open CN --name China --country CN --currency CNY \\
        --effective 2025-01-01
    """
    record_event(
        ctx,
        "region.opened",
        {"region": region_code, "name": name, "country": country, "currency": currency},
        effective,
        reason,
        event_id,
    )


@region.command("update")
@click.argument("region_code", metavar="REGION")
@click.option("--name", help="The corrected display name.")
@click.option("--country", metavar="CC", help="The corrected ISO 3166 country code.")
@click.option("--currency", hidden=True, help="Refused: a region's currency never changes.")
@recording_options
@click.pass_context
def region_update(ctx, region_code, name, country, currency, effective, reason, event_id):
    """Correct a region's name or country from the effective date on. Only the fields given
    change; a region's currency never changes (every amount of it is booked in it).

    \b
    Example:
      ledger region update MY --name "Malaysia (Johor)" --effective 2025-01-01
    """
    if currency is not None:
        raise click.UsageError(
            "--currency: a region's currency never changes (its amounts are booked in it); "
            "open a new region for another currency",
            ctx,
        )
    if name is None and country is None:
        raise click.UsageError("give --name, --country or both", ctx)
    record_event(
        ctx,
        "region.updated",
        {"region": region_code, "name": name, "country": country},
        effective,
        reason,
        event_id,
    )


@region.command("list")
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


COMMANDS = [region]
