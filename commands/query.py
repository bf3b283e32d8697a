"""Point-in-time queries: budget, commitments, shares, spend, as of a date and a
knowledge limit."""

from __future__ import annotations

import click

from commands.options import DATE, IntegerType, knowledge_options
from commands.output import output_options
from commands.views import show
from ledger.views import VIEWS

# The columns of each view (ledger/views.py), for the commands that print them too (the demo).
BUDGET_COLUMNS = VIEWS["budget"].columns
COMMITMENT_COLUMNS = VIEWS["commitments"].columns
SHARE_COLUMNS = VIEWS["shares"].columns
SPEND_COLUMNS = VIEWS["spend"].columns
GROUP_COLUMNS = VIEWS["group"].columns

YEAR = IntegerType(1, 9999)


@click.group()
def query():
    """Point-in-time reports: budget, commitments, supplier shares and spend, as of --as-of DATE
    and as the ledger stood at --known-at T or --upto-seq N.

    \b
    Example:
      ledger query budget --as-of 2025-06-30
      ledger query shares --as-of 2025-06-30 --known-at 2025-07-01T09:00:00+08:00
    """


@query.command()
@click.option("--year", type=YEAR, metavar="Y", help="Budget year [default: the year of --as-of].")
@knowledge_options
@output_options
@click.pass_obj
def budget(obj, year, as_of, known_at, upto_seq, region, fmt, output):
    """Budget, committed, remaining and utilization per region for one year.

    One row per region opened by the as-of date; utilization is empty when the budget is 0.

    \b
    Example:
      ledger query budget --as-of 2025-03-01 --region CN
      ledger query budget --year 2026 --as-of 2025-12-31 --format json
    """
    show(
        obj,
        "budget",
        fmt,
        output,
        as_of=as_of,
        known_at=known_at,
        upto_seq=upto_seq,
        region=region,
        year=year,
    )


@query.command()
@click.option(
    "--year", type=YEAR, metavar="Y", help="Add `charged`: each document's part charged to Y."
)
@knowledge_options
@output_options
@click.pass_obj
def commitments(obj, year, as_of, known_at, upto_seq, region, fmt, output):
    """Every order and lease placed or signed by the as-of date, with its status and its
    committed total over all years in the region's currency, then what of it was received,
    invoiced and paid. With --year, a last column `charged`: the part of each document charged
    to that budget year, so that a region's rows add up to `query budget`'s committed.

    \b
    Example:
      ledger query commitments --as-of 2025-12-31 --region MY --year 2025
      ledger query commitments --as-of 2025-03-01 --known-at 2025-02-20 \\
        -o commitments.csv
    """
    show(
        obj,
        "commitments",
        fmt,
        output,
        year=year,
        as_of=as_of,
        known_at=known_at,
        upto_seq=upto_seq,
        region=region,
    )


@query.command()
@click.option("--year", type=YEAR, metavar="Y", help="Budget year [default: the year of --as-of].")
@click.option(
    "--basis",
    type=click.Choice(["value", "units"]),
    default="value",
    show_default=True,
    help="Share of the value or of the units of the region's orders.",
)
@knowledge_options
@output_options
@click.pass_obj
def shares(obj, year, basis, as_of, known_at, upto_seq, region, fmt, output):
    """Supplier shares of each region's orders charged to one year (leases do not count).

    \b
    Example:
      ledger query shares --as-of 2025-02-15 --region CN
      ledger query shares --basis units --upto-seq 120 --format csv
    """
    show(
        obj,
        "shares",
        fmt,
        output,
        as_of=as_of,
        known_at=known_at,
        upto_seq=upto_seq,
        region=region,
        year=year,
        basis=basis,
    )


@query.command()
@click.option("--year", type=YEAR, metavar="Y", help="Budget year [default: the year of --as-of].")
@knowledge_options
@output_options
@click.pass_obj
def spend(obj, year, as_of, known_at, upto_seq, region, fmt, output):
    """What was committed, received, invoiced and paid per region for one year, with what is
    still to be billed (open = committed − invoiced) and to be paid (payable = invoiced − paid).

    \b
    Example:
      ledger query spend --as-of 2025-06-30 --region CN
      ledger query spend --year 2025 --as-of 2025-12-31 --upto-seq 120 \\
        --format json
    """
    show(
        obj,
        "spend",
        fmt,
        output,
        as_of=as_of,
        known_at=known_at,
        upto_seq=upto_seq,
        region=region,
        year=year,
    )


@query.command()
@click.option("--currency", required=True, metavar="X", help="The reporting currency (ISO 4217).")
@click.option("--year", type=YEAR, metavar="Y", help="Budget year [default: the year of --as-of].")
@click.option(
    "--rate-date",
    type=DATE,
    metavar="DATE",
    help="Convert at the rates in force on this day [default: the as-of date].",
)
@click.option(
    "--via",
    metavar="V",
    help="Convert a currency without a rate of its own to X through V (two rates, both "
    "in force on the rate date; the row names V).",
)
@knowledge_options
@output_options
@click.pass_obj
def group(obj, currency, year, rate_date, via, as_of, known_at, upto_seq, region, fmt, output):
    """The group in one currency: each region's budget, committed, remaining, invoiced and
    paid converted to X, and the total (region `*`).

    Each amount is multiplied exactly by the rate from the region's currency to X in force on
    the rate date; a region without one is an error naming the pair and the date, never left
    out. The rate is shown to six decimals; the total adds the exact amounts.

    \b
    Example:
      ledger query group --currency USD --as-of 2025-06-30
      ledger query group --currency USD --as-of 2025-12-31 --rate-date 2025-06-30
      ledger query group --currency CNY --via USD --year 2025 --format csv
    """
    show(
        obj,
        "group",
        fmt,
        output,
        as_of=as_of,
        known_at=known_at,
        upto_seq=upto_seq,
        region=region,
        currency=currency,
        year=year,
        rate_date=rate_date,
        via=via,
    )


COMMANDS = [query]
