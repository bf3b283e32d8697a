"""Recording commands: one event each, printing the new event's seq on stdout."""

from __future__ import annotations

import re
import sys

import click

from commands.options import DATE, DECIMAL, INTEGER, SHARE, recording_options

NEGATIVE = re.compile(r"-[0-9.][0-9.,_eE+-]*")


class NumberArguments(click.Command):
    """A command with number arguments: `-7` there is a negative number, not an unknown option.
    Say what the argument must be (and how a value starting with '-' is passed where one is
    allowed) instead of click's `No such option: -7`."""

    def __init__(self, *args, numbers: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers = numbers

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            if not NEGATIVE.fullmatch(error.option_name):
                raise
            raise click.UsageError(
                f"{error.option_name}: {self.numbers}; it is not an option (where a value may start "
                f"with '-', pass it after `--`: `-- {error.option_name}`)",
                ctx,
            ) from None


def _record(ctx: click.Context, type: str, payload: dict, effective, reason, event_id) -> None:
    obj = ctx.obj
    result = obj.ledger.record(
        type,
        {key: value for key, value in payload.items() if value is not None},
        effective=effective,
        actor=obj.actor_name(),
        reason=reason,
        event_id=event_id,
    )
    if result.already_recorded:
        click.echo(f"already recorded as seq {result.seq} (event_id {result.event_id})", err=True)
    if sys.stdout.isatty():
        click.echo(f"recorded seq {result.seq}: {type} {_subject(type, payload)}")
    else:
        click.echo(result.seq)


def _subject(type: str, payload: dict) -> str:
    """What the event is about, for people (PO-1, USD/CNY, CN 2025): its type's subject."""
    from ledger.kinds import subject

    return subject(type, payload)


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
    _record(
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
    _record(
        ctx,
        "region.updated",
        {"region": region_code, "name": name, "country": country},
        effective,
        reason,
        event_id,
    )


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
    _record(
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
    _record(
        ctx,
        "supplier.updated",
        {"supplier": supplier_code, "name": name, "country": country},
        effective,
        reason,
        event_id,
    )


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
    _record(
        ctx,
        "fx.rate_set",
        {"base": base, "quote": quote, "rate": rate},
        effective,
        reason,
        event_id,
    )


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
    _record(
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
    _record(
        ctx,
        "budget.transferred",
        {"from_region": from_region, "to_region": to_region, "year": year, "amount": amount},
        effective,
        reason,
        event_id,
    )


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
    _record(
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
    _record(
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
    _record(ctx, "order.cancelled", {"order": order_id}, effective, reason, event_id)


@click.group()
def lease():
    """Capacity leases: sign, review, terminate.

    \b
    Example:
      ledger lease sign L-1 --region MY --lessor dcprov --sku h20 --units 100 \\
          --start 2025-11-15 --months 3 --monthly-payment 50000 --currency USD
      ledger lease review L-1 --owner "DC Provider" --operator "DC Provider" \\
        --outcome approved
    """


@lease.command("sign")
@click.argument("lease_id", metavar="LEASE")
@click.option("--region", required=True, metavar="R")
@click.option("--lessor", required=True, metavar="S", help="A registered supplier.")
@click.option("--sku", required=True, metavar="K")
@click.option("--units", required=True, type=INTEGER, metavar="U")
@click.option(
    "--start", required=True, type=DATE, metavar="DATE", help="Due date of the first payment."
)
@click.option("--months", required=True, type=INTEGER, metavar="M")
@click.option("--monthly-payment", required=True, type=DECIMAL, metavar="P")
@click.option("--currency", required=True, metavar="C")
@recording_options
@click.pass_context
def lease_sign(
    ctx,
    lease_id,
    region,
    lessor,
    sku,
    units,
    start,
    months,
    monthly_payment,
    currency,
    effective,
    reason,
    event_id,
):
    """Sign a lease of MONTHS monthly payments from START.

    \b
    Example:
      ledger lease sign L-1 --region MY --lessor dcprov --sku h20 --units 100 \\
        --start 2025-11-15 --months 3 --monthly-payment 50000 --currency USD \\
        --effective 2025-10-01
    """
    _record(
        ctx,
        "lease.signed",
        {
            "lease": lease_id,
            "region": region,
            "lessor": lessor,
            "sku": sku,
            "units": units,
            "start": start,
            "months": months,
            "monthly_payment": monthly_payment,
            "currency": currency,
        },
        effective,
        reason,
        event_id,
    )


@lease.command("terminate")
@click.argument("lease_id", metavar="LEASE")
@click.option(
    "--fee", type=DECIMAL, metavar="F", help="Termination fee in the lease currency [default: 0]."
)
@recording_options
@click.pass_context
def lease_terminate(ctx, lease_id, fee, effective, reason, event_id):
    """Terminate a lease: payments due after the effective date are dropped, the fee added.

    \b
    Example:
      ledger lease terminate L-1 --fee 10000 --effective 2025-12-01
    """
    _record(ctx, "lease.terminated", {"lease": lease_id, "fee": fee}, effective, reason, event_id)


@lease.command("review")
@click.argument("lease_id", metavar="LEASE")
@click.option("--owner", required=True, help="Who owns the chips.")
@click.option("--operator", required=True, help="Who operates them.")
@click.option("--outcome", required=True, type=click.Choice(["approved", "rejected"]))
@click.option("--reference", help="Evidence reference, e.g. a ticket or document id.")
@recording_options
@click.pass_context
def lease_review(ctx, lease_id, owner, operator, outcome, reference, effective, reason, event_id):
    """Record the export-control review of a lease's owner and operator (the actor is the reviewer).

    \b
    Example:
      ledger lease review L-1 --owner "DC Prov Sdn Bhd" --operator "DC Prov Ops" \\
        --outcome approved --reference KYC-2025-017
    """
    _record(
        ctx,
        "lease.reviewed",
        {
            "lease": lease_id,
            "owner": owner,
            "operator": operator,
            "outcome": outcome,
            "reference": reference,
        },
        effective,
        reason,
        event_id,
    )


@click.group()
def policy():
    """Policies: domestic-share guidelines, restrictions, budget caps, lease reviews, three-way
    match.

    \b
    Example:
      ledger policy set min_domestic_share --region CN --threshold 0.3 \\
        --effective 2025-01-01
      ledger policy list --region CN
    """


@policy.command("set")
@click.argument(
    "policy_kind",
    metavar="POLICY",
    type=click.Choice(
        [
            "min_domestic_share",
            "restricted_supplier",
            "restricted_sku",
            "budget_cap",
            "lease_review",
            "three_way_match",
        ]
    ),
)
@click.option("--region", required=True, metavar="R")
@click.option(
    "--threshold",
    type=SHARE,
    metavar="X",
    help="min_domestic_share: 0 to 1, or a percentage (0.3 or 30%).",
)
@click.option(
    "--basis", type=click.Choice(["value", "units"]), help="min_domestic_share [default: value]."
)
@click.option("--supplier", metavar="S", help="restricted_supplier: the supplier.")
@click.option("--sku", metavar="K", help="restricted_sku: the sku.")
@click.option(
    "--tolerance",
    type=SHARE,
    metavar="X",
    help="three_way_match: how far above the order's price an invoice may go, 0 to 1 "
    "(0.01 or 1%) [default: 0].",
)
@click.option("--mode", type=click.Choice(["warn", "block"]), default="warn", show_default=True)
@click.option("--disable", is_flag=True, help="Switch the policy off from the effective date.")
@recording_options
@click.pass_context
def policy_set(
    ctx,
    policy_kind,
    region,
    threshold,
    basis,
    supplier,
    sku,
    tolerance,
    mode,
    disable,
    effective,
    reason,
    event_id,
):
    """Set (or with --disable switch off) a policy of a region from the effective date on.

    \b
    Example:
      ledger policy set min_domestic_share --region CN --threshold 0.3 \\
        --effective 2025-01-01
      ledger policy set restricted_sku --region CN --sku h20 --mode block
      ledger policy set three_way_match --region CN --tolerance 0.01 --mode block
    """
    _record(
        ctx,
        "policy.changed",
        {
            "policy": policy_kind,
            "region": region,
            "mode": mode,
            "enabled": not disable,
            "threshold": threshold,
            "basis": basis,
            "supplier": supplier,
            "sku": sku,
            "tolerance": tolerance,
        },
        effective,
        reason,
        event_id,
    )


COMMANDS = [region, supplier, fx, budget, order, lease, policy]

# The groups also hold the master-data lists (`ledger region list`, …), defined in commands/lists.py.
from commands import lists  # noqa: E402

lists.attach(region=region, supplier=supplier, fx=fx, budget=budget)
