"""Compliance (SPEC §4.5, §5): the report per enabled policy, and `ledger policy list`."""

from __future__ import annotations

import click

from commands.options import knowledge_options
from commands.output import BOOL, PLAIN, TEXT, output_options, render
from commands.record import policy
from ledger.errors import LedgerError

COMPLIANCE_COLUMNS = [
    ("policy", PLAIN),
    ("region", PLAIN),
    ("subject", PLAIN),
    ("status", PLAIN),
    ("detail", TEXT),
]
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
    ledger = obj.ledger
    ledger.check_region(region)
    knowledge = obj.knowledge(known_at, upto_seq)
    rows = ledger.compliance(as_of=as_of, region=region, knowledge=knowledge)
    render(rows, COMPLIANCE_COLUMNS, fmt, output)
    violations = sum(1 for row in rows if row["status"] == "violation")
    if strict and violations:
        raise PolicyViolations(
            f"{violations} policy violation{'s' if violations != 1 else ''} (--strict)"
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


COMMANDS = [compliance]
