"""Restatements: the same report at two knowledge limits, and the events between."""

from __future__ import annotations

from datetime import date

import click

from commands.options import DATE, SEQ, TIMESTAMP
from commands.output import AMOUNT, PLAIN, TEXT, output_options, render
from commands.query import YEAR

BUDGET_DIFF_COLUMNS = [
    ("region", PLAIN),
    ("year", PLAIN),
    ("currency", PLAIN),
    ("budget_before", AMOUNT),
    ("budget_after", AMOUNT),
    ("committed_before", AMOUNT),
    ("committed_after", AMOUNT),
    ("remaining_before", AMOUNT),
    ("remaining_after", AMOUNT),
    ("budget_change", AMOUNT),
    ("committed_change", AMOUNT),
    ("remaining_change", AMOUNT),
]
COMMITMENT_DIFF_COLUMNS = [
    ("kind", PLAIN),
    ("id", PLAIN),
    ("region", PLAIN),
    ("currency", PLAIN),
    ("status_before", PLAIN),
    ("status_after", PLAIN),
    ("committed_before", AMOUNT),
    ("committed_after", AMOUNT),
    ("committed_change", AMOUNT),
]
SPEND_DIFF_COLUMNS = [
    ("region", PLAIN),
    ("year", PLAIN),
    ("currency", PLAIN),
    *(
        (f"{layer}_{side}", AMOUNT)
        for layer in ("committed", "received", "invoiced", "paid")
        for side in ("before", "after")
    ),
    *((f"{layer}_change", AMOUNT) for layer in ("committed", "received", "invoiced", "paid")),
]
EVENT_DIFF_COLUMNS = [
    ("seq", PLAIN),
    ("type", PLAIN),
    ("effective", PLAIN),
    ("recorded_at", PLAIN),
    ("actor", TEXT),
    ("reason", TEXT),
    ("regions", PLAIN),
    ("payload", PLAIN),
]


def limit_options(function):
    """--as-of, the earlier limit (--from-seq/--from-known-at/--from-close), the later one
    (--to-seq/--to-known-at) and --region."""
    for decorator in reversed(
        [
            click.option(
                "--as-of",
                type=DATE,
                metavar="DATE",
                help="Business date of the report [default: today].",
            ),
            click.option(
                "--from-seq",
                type=SEQ,
                metavar="K",
                help="Earlier limit: the ledger as it stood at seq K.",
            ),
            click.option(
                "--from-known-at",
                type=TIMESTAMP,
                metavar="T",
                help="Earlier limit: events recorded by T.",
            ),
            click.option(
                "--from-close",
                is_flag=False,
                flag_value="last",
                metavar="[SEQ|DATE]",
                help="Earlier limit: the region's last period.closed, or the close at seq SEQ, "
                "or the last close through DATE (needs --region).",
            ),
            click.option(
                "--to-seq", type=SEQ, metavar="M", help="Later limit: seq M [default: everything]."
            ),
            click.option(
                "--to-known-at",
                type=TIMESTAMP,
                metavar="T",
                help="Later limit: events recorded by T [default: everything].",
            ),
            click.option("--region", metavar="R", help="Only this region."),
        ]
    ):
        function = decorator(function)
    return function


def resolve_limits(ledger, *, from_seq, from_known_at, from_close, to_seq, to_known_at, region):
    """The (earlier, later) knowledge limits; usage errors exit 2, a region never closed exit 1."""
    given = [
        name
        for name, value in (
            ("--from-seq", from_seq),
            ("--from-known-at", from_known_at),
            ("--from-close", from_close or None),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise click.UsageError(
            "give the earlier limit as exactly one of --from-seq, --from-known-at, "
            f"--from-close (got {', '.join(given) or 'none'})"
        )
    if to_seq is not None and to_known_at is not None:
        raise click.UsageError("give --to-seq or --to-known-at, not both")
    if from_close and region is None:
        raise click.UsageError("--from-close needs --region R")
    ledger.check_region(region)
    after = ledger.knowledge(known_at=to_known_at, upto_seq=to_seq)
    if after.note:
        # A later limit before the first event compares nothing with nothing: say so, or the
        # empty answer reads as "nothing changed".
        click.echo(f"note: {after.note}", err=True)
    if from_close:
        before = ledger.last_close(region, knowledge=after, which=_which_close(from_close))
        # Which close was compared: "the last one" can be any of several.
        click.echo(f"note: comparing from the close of {region} at seq {before.upto_seq}", err=True)
    else:
        before = ledger.knowledge(known_at=from_known_at, upto_seq=from_seq)
    if from_known_at is not None and to_known_at is not None:
        if from_known_at > to_known_at:
            raise click.UsageError("the earlier limit (--from-…) is after the later one (--to-…)")
        return before, after
    # The later limit defaults to everything, that is the head of the log now: a --from-seq past
    # it (a typo, say 140 for 14) would otherwise answer "nothing changed".
    later = after.upto_seq if after.upto_seq is not None else ledger.head()[0]
    if before.upto_seq is not None and before.upto_seq > later:
        what = "the later one" if after.upto_seq is not None else "the last event of the log"
        raise click.UsageError(
            f"the earlier limit (seq {before.upto_seq}) is after {what} (seq {later})"
        )
    return before, after


def _which_close(value: str):
    """--from-close's value: None (alone: the last close), a seq, or a closed-through date."""
    if value == "last":
        return None
    if value.isascii() and value.isdigit():
        return int(value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a seq nor a date (YYYY-MM-DD)", param_hint="--from-close"
        ) from None


@click.group()
def diff():
    """Restatements: a report as of --as-of at an earlier knowledge limit and at a later one
    (default: everything), showing only what prints differently.

    \b
    Example:
      ledger diff budget --as-of 2025-06-30 --region CN --from-close
      ledger diff events --as-of 2025-06-30 --region CN --from-close
    """


@diff.command("budget")
@click.option("--year", type=YEAR, metavar="Y", help="Budget year [default: the year of --as-of].")
@limit_options
@output_options
@click.pass_obj
def diff_budget(obj, year, as_of, region, fmt, output, **limits):
    """Regions whose budget or committed for the year differs between the two limits
    (`_before` cells empty for a region not known at the earlier limit).

    \b
    Example:
      ledger diff budget --as-of 2025-03-31 --region CN --from-close
      ledger diff budget --as-of 2025-06-30 --from-seq 120 \\
        --to-known-at 2025-08-01
    """
    ledger = obj.ledger
    before, after = resolve_limits(ledger, region=region, **limits)
    rows = ledger.diff_budget(before=before, after=after, as_of=as_of, year=year, region=region)
    render(rows, BUDGET_DIFF_COLUMNS, fmt, output)


@diff.command("spend")
@click.option("--year", type=YEAR, metavar="Y", help="Budget year [default: the year of --as-of].")
@limit_options
@output_options
@click.pass_obj
def diff_spend(obj, year, as_of, region, fmt, output, **limits):
    """Regions whose committed, received, invoiced or paid for the year differs between the
    two limits (`_before` cells empty for a region not known at the earlier limit).

    \b
    Example:
      ledger diff spend --as-of 2025-06-30 --region CN --from-close
      ledger diff spend --as-of 2025-06-30 --from-seq 120 --to-known-at 2025-08-01
    """
    ledger = obj.ledger
    before, after = resolve_limits(ledger, region=region, **limits)
    rows = ledger.diff_spend(before=before, after=after, as_of=as_of, year=year, region=region)
    render(rows, SPEND_DIFF_COLUMNS, fmt, output)


@diff.command("commitments")
@limit_options
@output_options
@click.pass_obj
def diff_commitments(obj, as_of, region, fmt, output, **limits):
    """Orders and leases whose status or committed total differs between the two limits
    (cells empty on the side where the document is not known or not placed by --as-of).

    \b
    Example:
      ledger diff commitments --as-of 2025-03-31 --region CN --from-close
    """
    ledger = obj.ledger
    before, after = resolve_limits(ledger, region=region, **limits)
    rows = ledger.diff_commitments(before=before, after=after, as_of=as_of, region=region)
    render(rows, COMMITMENT_DIFF_COLUMNS, fmt, output)


@diff.command("events")
@limit_options
@output_options
@click.pass_obj
def diff_events(obj, as_of, region, fmt, output, **limits):
    """The events recorded between the two limits, effective by --as-of, that touch a region
    (with --region: that touch it), with the regions each touches: what explains a restatement.

    \b
    Example:
      ledger diff events --as-of 2025-03-31 --from-seq 14
      ledger diff events --as-of 2025-03-31 --region CN --from-close
    """
    ledger = obj.ledger
    before, after = resolve_limits(ledger, region=region, **limits)
    rows = ledger.diff_events(before=before, after=after, as_of=as_of, region=region)
    render(rows, EVENT_DIFF_COLUMNS, fmt, output)


COMMANDS = [diff]
