"""Capacity leases: `lease sign`, `lease terminate` and `lease review`."""

from __future__ import annotations

import click

from commands.options import (
    DATE,
    DECIMAL,
    INTEGER,
    recording_options,
)
from commands.recording import record_event


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
    record_event(
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
    record_event(
        ctx, "lease.terminated", {"lease": lease_id, "fee": fee}, effective, reason, event_id
    )


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
    record_event(
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


COMMANDS = [lease]
