"""Suppliers: `supplier register`, `supplier update` and `supplier list`."""

from __future__ import annotations

import click

from commands.options import (
    limits_only,
    recording_options,
)
from commands.output import PLAIN, TEXT, output_options, render
from commands.recording import record_event

SUPPLIER_COLUMNS = [("supplier", PLAIN), ("name", TEXT), ("country", PLAIN), ("registered", PLAIN)]


@click.group()
def supplier():
    """Suppliers (and lessors): domestic in a region when their country is the region's.

    \b
    Example:
      ledger supplier register huawei --name Huawei --country CN \\
        --effective 2025-01-01
    """


@supplier.command("register")
@click.argument("supplier_code", metavar="SUPPLIER")
@click.option("--name", required=True, help="Display name.")
@click.option("--country", required=True, metavar="CC", help="ISO 3166 country code.")
@recording_options
@click.pass_context
def supplier_register(ctx, supplier_code, name, country, effective, reason, event_id):
    """Register a supplier.

    \b
    Example:
      ledger supplier register huawei --name "Huawei" --country CN \\
        --effective 2025-01-01
    """
    record_event(
        ctx,
        "supplier.registered",
        {"supplier": supplier_code, "name": name, "country": country},
        effective,
        reason,
        event_id,
    )


@supplier.command("update")
@click.argument("supplier_code", metavar="SUPPLIER")
@click.option("--name", help="The corrected display name.")
@click.option("--country", metavar="CC", help="The corrected ISO 3166 country code.")
@recording_options
@click.pass_context
def supplier_update(ctx, supplier_code, name, country, effective, reason, event_id):
    """Correct a supplier's name or country from the effective date on (back-date it to fix a
    registration). Only the fields given change.

    \b
    Example:
      ledger supplier update dcprov --country SG --effective 2025-01-01 \\
        --reason "registered in Singapore"
    """
    if name is None and country is None:
        raise click.UsageError("give --name, --country or both", ctx)
    record_event(
        ctx,
        "supplier.updated",
        {"supplier": supplier_code, "name": name, "country": country},
        effective,
        reason,
        event_id,
    )


@supplier.command("list")
@limits_only
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


COMMANDS = [supplier]
