"""Closing the books: `period close`, `period reopen` and `period list`."""

from __future__ import annotations

import click

from commands.options import DATE, UUID, knowledge_options, recording_options
from commands.output import PLAIN, TEXT, output_options, render
from commands.recording import record_event

PERIOD_COLUMNS = [
    ("region", PLAIN),
    ("closed_through", PLAIN),
    ("seq", PLAIN),
    ("recorded_at", PLAIN),
    ("actor", TEXT),
    ("reason", TEXT),
]

HISTORY_COLUMNS = [
    ("region", PLAIN),
    ("type", PLAIN),
    ("through", PLAIN),
    ("closed_through", PLAIN),
    ("seq", PLAIN),
    ("effective", PLAIN),
    ("recorded_at", PLAIN),
    ("actor", TEXT),
    ("reason", TEXT),
]


@click.group()
def period():
    """Closed periods: no event may change a region's figures through its closed-through date
    until the books are reopened (with a reason).

    \b
    Example:
      ledger period close CN --through 2025-06-30 --effective 2025-07-05
      ledger period reopen CN --through 2025-03-31 --reason "Q2 FX restatement"
      ledger period list
    """


@period.command("close")
@click.argument("region_code", metavar="REGION")
@click.option(
    "--through",
    required=True,
    type=DATE,
    metavar="DATE",
    help="Last day closed; on or before the close's --effective date.",
)
@recording_options
@click.pass_context
def period_close(ctx, region_code, through, effective, reason, event_id):
    """Close REGION's books through DATE: later events dated on or before it that touch the
    region are refused.

    \b
    Example:
      ledger period close CN --through 2025-06-30 --effective 2025-07-05
    """
    record_event(
        ctx,
        "period.closed",
        {"region": region_code, "through": through},
        effective,
        reason,
        event_id,
    )


@period.command("reopen")
@click.argument("region_code", metavar="REGION")
@click.option(
    "--through",
    type=DATE,
    metavar="DATE",
    help="Keep the books closed through this earlier day [default: reopen fully].",
)
@click.option(
    "--reason", required=True, metavar="TEXT", help="Why the books are reopened (required)."
)
@click.option(
    "--effective",
    type=DATE,
    metavar="DATE",
    help="Business date of the reopening [default: today].",
)
@click.option("--event-id", type=UUID, help="Idempotency key (a UUID); generated when absent.")
@click.pass_context
def period_reopen(ctx, region_code, through, reason, effective, event_id):
    """Reopen REGION's books, fully or back to an earlier closed-through date.

    \b
    Example:
      ledger period reopen CN --through 2025-01-31 --reason "FX restatement" \\
        --effective 2025-04-06
    """
    record_event(
        ctx,
        "period.reopened",
        {"region": region_code, "through": through},
        effective,
        reason,
        event_id,
    )


@period.command("list")
@click.option(
    "--history",
    is_flag=True,
    help="Every close and reopening (seq order), with the closed-through date each left.",
)
@knowledge_options
@output_options
@click.pass_obj
def period_list(obj, history, as_of, known_at, upto_seq, region, fmt, output):
    """Per region opened by the as-of date: its closed-through date (empty when open) and its
    latest period event within the knowledge limit. With --history, every period event instead
    (columns region,type,through,closed_through,seq,effective,recorded_at,actor,reason).

    \b
    Example:
      ledger period list
      ledger period list --region CN --upto-seq 40
      ledger period list --history --region CN
    """
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    if history:
        rows = ledger.period_history(as_of=as_of, region=region, knowledge=knowledge)
        render(rows, HISTORY_COLUMNS, fmt, output)
        return
    render(
        ledger.periods(as_of=as_of, region=region, knowledge=knowledge), PERIOD_COLUMNS, fmt, output
    )


COMMANDS = [period]
