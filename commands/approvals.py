"""Four eyes: `ledger approve` lets one exact version of one event through the
block-mode policies that refuse it; `ledger approval list` shows every approval."""

from __future__ import annotations

import re

import click

from commands.options import DATE, UUID, limits_only
from commands.output import PLAIN, TEXT, output_options, render
from commands.recording import say_recorded

APPROVAL_COLUMNS = [
    ("approval", PLAIN),
    ("event_id", PLAIN),
    ("digest", PLAIN),
    ("approved_by", TEXT),
    ("recorded_at", PLAIN),
    ("reason", TEXT),
    ("used_seq", PLAIN),
]


def _digest(_ctx, _param, value: str) -> str:
    if not re.fullmatch("[0-9a-f]{64}", value):
        raise click.BadParameter(
            "not a digest (64 lower-case hex characters, as the refusal names it)"
        )
    return value


@click.command("approve")
@click.argument("approved_id", metavar="EVENT_ID", type=UUID)
@click.option(
    "--digest",
    required=True,
    metavar="HEX",
    callback=_digest,
    help="The digest the refusal named: the exact version of the event approved.",
)
@click.option(
    "--reason", required=True, metavar="TEXT", help="Why the event may go through (required)."
)
@click.option("--approval", metavar="ID", help="The approval's id [default: made from EVENT_ID].")
@click.option(
    "--effective", type=DATE, metavar="DATE", help="The approval's date [default: today]."
)
@click.option(
    "--event-id",
    type=UUID,
    help="The approval's own idempotency key [default: made from its approval id].",
)
@click.pass_obj
def approve(obj, approved_id, digest, reason, approval, effective, event_id):
    """Approve the event EVENT_ID that a block-mode policy refused, in the exact version the
    refusal's digest names. Someone other than the approver then records the same event again
    with `--event-id EVENT_ID`, and it goes through. The reason is required; an event has at most
    one approval, recorded before the event itself.

    \b
    Example:
      ledger --actor bob approve 7c1e5b52-8d3f-4f0a-9a35-2f7c9e0b1d44 \\
        --approval A-1 --reason "price increase agreed" \\
        --digest 85a64f6b4cea8d2bc15e8997ab80b45a80b47194a68962c1d7e61c7e45b83ab4
    """
    result = obj.ledger.approve(
        approved_id,
        digest,
        reason=reason,
        approval=approval,
        actor=obj.actor_name(),
        effective=effective,
        envelope_id=event_id,
    )
    say_recorded(result, f"approval.granted for {approved_id}")


@click.group("approval")
def approval():
    """Approvals: who let which refused event through, and whether it has been recorded since.

    \b
    Example:
      ledger approval list
    """


@approval.command("list")
@limits_only
@output_options
@click.pass_obj
def approval_list(obj, as_of, known_at, upto_seq, fmt, output):
    """Every approval in seq order, whatever --as-of (an approval is a permission, not a dated
    figure; --known-at and --upto-seq apply), with the seq of the approved event once the log
    holds it (`used_seq`).

    \b
    Example:
      ledger approval list
      ledger approval list --upto-seq 57 --format json
    """
    ledger = obj.ledger
    knowledge = obj.knowledge(known_at, upto_seq)
    render(ledger.approvals(knowledge=knowledge), APPROVAL_COLUMNS, fmt, output)


COMMANDS = [approve, approval]
