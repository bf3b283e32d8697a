"""Compliance: the report per enabled policy, and `ledger policy list`."""

from __future__ import annotations

import click

from commands.options import knowledge_options
from commands.output import output_options
from commands.views import show
from ledger.errors import LedgerError
from ledger.views import VIEWS

# The columns of the compliance view (ledger/views.py), for the demo too.
COMPLIANCE_COLUMNS = VIEWS["compliance"].columns


class PolicyViolations(LedgerError):
    """`--strict`: the report has at least one violation."""


@click.command()
@click.option(
    "--strict",
    is_flag=True,
    help="Exit with status 1 when any row is a violation (pending rows do not count).",
)
@knowledge_options
@output_options
@click.pass_obj
def compliance(obj, strict, as_of, known_at, upto_seq, region, fmt, output):
    """Policy compliance as of a date: one or more rows per enabled policy, violations first,
    then pending, then ok; the detail says what to act on.

    \b
    Example:
      ledger compliance --as-of 2025-09-01 --region CN
      ledger compliance --strict --format csv -o compliance.csv
    """
    rows = show(
        obj,
        "compliance",
        fmt,
        output,
        as_of=as_of,
        known_at=known_at,
        upto_seq=upto_seq,
        region=region,
    )
    violations = sum(1 for row in rows if row["status"] == "violation")
    if strict and violations:
        raise PolicyViolations(
            f"{violations} policy violation{'s' if violations != 1 else ''} (--strict)"
        )


COMMANDS = [compliance]
