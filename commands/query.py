"""Point-in-time queries: budget, commitments, shares, spend (SPEC §5), as of a date and a
knowledge limit."""

from __future__ import annotations

import click

from commands.options import IntegerType, knowledge_options
from commands.output import AMOUNT, BOOL, FRACTION, PLAIN, output_options, render

BUDGET_COLUMNS = [
    ("region", PLAIN),
    ("year", PLAIN),
    ("currency", PLAIN),
    ("budget", AMOUNT),
    ("committed", AMOUNT),
    ("remaining", AMOUNT),
    ("utilization", FRACTION),
]
COMMITMENT_COLUMNS = [
    ("kind", PLAIN),
    ("id", PLAIN),
    ("region", PLAIN),
    ("counterparty", PLAIN),
    ("sku", PLAIN),
    ("quantity", PLAIN),
    ("status", PLAIN),
    ("committed", AMOUNT),
    ("currency", PLAIN),
    ("received", AMOUNT),
    ("invoiced", AMOUNT),
    ("paid", AMOUNT),
]
SHARE_COLUMNS = [
    ("region", PLAIN),
    ("supplier", PLAIN),
    ("country", PLAIN),
    ("domestic", BOOL),
    ("value", AMOUNT),
    ("units", PLAIN),
    ("share", FRACTION),
]

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
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    rows = ledger.query_budget(as_of=as_of, year=year, region=region, knowledge=knowledge)
    render(rows, BUDGET_COLUMNS, fmt, output)


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
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    rows = ledger.query_commitments(as_of=as_of, region=region, knowledge=knowledge)
    render(rows, COMMITMENT_COLUMNS, fmt, output)


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
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    rows = ledger.query_shares(
        as_of=as_of, year=year, region=region, basis=basis, knowledge=knowledge
    )
    render(rows, SHARE_COLUMNS, fmt, output)


SPEND_COLUMNS = [
    ("region", PLAIN),
    ("year", PLAIN),
    ("currency", PLAIN),
    ("budget", AMOUNT),
    ("committed", AMOUNT),
    ("received", AMOUNT),
    ("invoiced", AMOUNT),
    ("paid", AMOUNT),
    ("open", AMOUNT),
    ("payable", AMOUNT),
    ("remaining", AMOUNT),
]


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
      ledger query spend --year 2025 --as-of 2025-12-31 --upto-seq 120 --format json
    """
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    rows = ledger.query_spend(as_of=as_of, year=year, region=region, knowledge=knowledge)
    render(rows, SPEND_COLUMNS, fmt, output)


COMMANDS = [query]
