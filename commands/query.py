"""Point-in-time queries: budget, commitments, shares (SPEC §5), as of a date and a knowledge limit."""

from __future__ import annotations

import click

from commands.options import IntegerType, knowledge_options
from commands.output import output_options
from commands.views import show
from ledger.views import VIEWS

# The columns of each view (ledger/views.py), for the commands that print them too (the demo).
BUDGET_COLUMNS = VIEWS["budget"].columns
COMMITMENT_COLUMNS = VIEWS["commitments"].columns
SHARE_COLUMNS = VIEWS["shares"].columns

YEAR = IntegerType(1, 9999)


@click.group()
def query():
    """Point-in-time reports: budget, commitments and supplier shares, as of --as-of DATE and as
    the ledger stood at --known-at T or --upto-seq N.

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
@knowledge_options
@output_options
@click.pass_obj
def commitments(obj, as_of, known_at, upto_seq, region, fmt, output):
    """Every order and lease placed or signed by the as-of date, with its status and its
    committed total over all years in the region's currency.

    \b
    Example:
      ledger query commitments --as-of 2025-12-31 --region MY
      ledger query commitments --as-of 2025-03-01 --known-at 2025-02-20 -o commitments.csv
    """
    show(
        obj,
        "commitments",
        fmt,
        output,
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


COMMANDS = [query]
