"""Policies: `policy set` and `policy list`."""

from __future__ import annotations

import click

from commands.options import (
    SHARE,
    knowledge_options,
    recording_options,
)
from commands.output import BOOL, PLAIN, output_options, render
from commands.recording import record_event

POLICY_COLUMNS = [
    ("policy", PLAIN),
    ("region", PLAIN),
    ("subject", PLAIN),
    ("mode", PLAIN),
    ("enabled", BOOL),
    ("threshold", PLAIN),
    ("basis", PLAIN),
    ("since", PLAIN),
    ("changed", PLAIN),
    ("seq", PLAIN),
    ("tolerance", PLAIN),
]


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
    record_event(
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


@policy.command("list")
@knowledge_options
@output_options
@click.pass_obj
def policy_list(obj, as_of, known_at, upto_seq, region, fmt, output):
    """Every policy set by the as-of date, enabled or not, with its settings then.

    `since` is the policy's effective date (enabled without a break; empty while it is
    switched off); `changed` and `seq` name the change that gave the current settings.

    \b
    Example:
      ledger policy list --as-of 2025-09-01 --region CN
    """
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    rows = ledger.policies(as_of=as_of, region=region, knowledge=knowledge)
    render(rows, POLICY_COLUMNS, fmt, output)


COMMANDS = [policy]
