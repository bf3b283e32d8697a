"""`query budget` (SPEC §4.4): budget, committed, remaining and utilization per region and year."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, Row

from ledger.reads.masterdata import RegionRow
from ledger.reads.rates import rate_book
from ledger.reads.regions import budget_of, region_rows
from ledger.reads.totals import committed
from ledger.semantics.rates import RateBook


def budget_rows(
    connection: Connection,
    *,
    as_of: date,
    year: int,
    region: str | None,
    upto_seq: int | None,
    rate: RateBook | None = None,
) -> list[dict[str, Any]]:
    """One row per region opened by as_of: budget (0 when none is recorded), committed,
    remaining = budget − committed, utilization = committed / budget (None when the budget
    is 0). `rate`: a rate book for the same as_of and limit, when the caller has one."""
    rows = []
    rate = rate or rate_book(connection, as_of, upto_seq)
    for opened in region_rows(connection, as_of, upto_seq, region):
        budget = budget_of(
            connection, opened.region, year, as_of, upto_seq, rate, opened.currency
        ).amount
        spent = committed(connection, opened.region, year, as_of, upto_seq, rate)
        rows.append(budget_row(opened, year, budget, spent))
    return rows


def budget_row(
    opened: RegionRow | Row[*tuple[Any, ...]],
    year: int,
    budget: Fraction | Decimal | None,
    spent: Fraction,
) -> dict[str, Any]:
    """The budget report's row of one region (`opened`, a regions row) from its budget (None:
    none recorded, which counts 0; see ledger.semantics.budgets) and committed."""
    budget = budget or Fraction(0)
    return {
        "region": opened.region,
        "year": year,
        "currency": opened.currency,
        "budget": budget,
        "committed": spent,
        "remaining": Fraction(budget) - spent,
        "utilization": spent / Fraction(budget) if budget else None,
    }
