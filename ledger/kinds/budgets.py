"""Budgets: a region's budget for a year revised, and budget moved between two regions."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from ledger import schema
from ledger.errors import ValidationError
from ledger.events import BudgetRevised, BudgetTransferred
from ledger.kinds.base import Kind, Log, Subject, TableRows, never_held, region_as_of, require_rate
from ledger.money import money
from ledger.reads.regions import budget_of
from ledger.semantics.periods import own_region, regions_of_transfer


def check_revision(current: Log, payload: BudgetRevised, on: date, reason: str | None) -> None:
    """The region is opened by the revision's date, and the budget is in its currency."""
    region = region_as_of(current, payload.region, on)
    if payload.currency is not None and payload.currency != region["currency"]:
        raise ValidationError(
            f"{payload.currency} is not the currency of region {payload.region} "
            f"({region['currency']}); budgets are kept in the region's currency",
            "currency",
        )


def revision_rows(
    seq: int, effective: date, actor: str, payload: BudgetRevised, current: Log
) -> TableRows:
    row = {
        "region": payload.region,
        "year": payload.year,
        "amount": payload.amount,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.budgets, row)]


def check_transfer(current: Log, payload: BudgetTransferred, on: date, reason: str | None) -> None:
    """Both regions opened by `on`, each with a budget recorded for the year as of `on`, a rate
    between their currencies in force when they differ, and the source's budget as of `on` not
    below zero afterwards. Never refused by a budget cap."""
    source = region_as_of(current, payload.from_region, on, "from_region")
    target = region_as_of(current, payload.to_region, on, "to_region")
    require_rate(current, source["currency"], target["currency"], on, "to_region")
    # The budgets are read from the read models: the rows of the events appended before this
    # one must be in the database first.
    current.before_sql()
    budgets = {}
    for field, region in (("from_region", payload.from_region), ("to_region", payload.to_region)):
        budget = budget_of(current.connection, region, payload.year, on, None)
        if not budget.recorded:
            raise ValidationError(
                f"no budget is recorded for region {region} and {payload.year} as of "
                f"{on.isoformat()}; record one with `ledger budget revise {region} "
                f"{payload.year} AMOUNT` first",
                field,
            )
        budgets[field] = budget.amount
    left = budgets["from_region"] - Fraction(payload.amount)
    if left < 0:
        currency = source["currency"]
        raise ValidationError(
            f"region {payload.from_region} has a {payload.year} budget of "
            f"{money(budgets['from_region'], currency)} as of {on.isoformat()}; moving "
            f"{money(payload.amount, currency)} would leave it {money(left, currency)}",
            "amount",
        )


def transfer_rows(
    seq: int, effective: date, actor: str, payload: BudgetTransferred, current: Log
) -> TableRows:
    row = {
        "from_region": payload.from_region,
        "to_region": payload.to_region,
        "year": payload.year,
        "amount": payload.amount,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.budget_transfers, row)]


KINDS = (
    Kind(
        model=BudgetRevised,
        subject=Subject("{region} {year}", ids=()),
        touches=own_region,
        check=check_revision,
        block=never_held,
        rows=revision_rows,
        prefetch=(),
    ),
    Kind(
        model=BudgetTransferred,
        subject=Subject("{from_region} -> {to_region} {year}", ids=()),
        touches=regions_of_transfer,
        check=check_transfer,
        block=never_held,
        rows=transfer_rows,
        prefetch=(),
    ),
)
