"""Regions opened by a date and their budgets (SPEC §4.4), shared by the reports and compliance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, Row, select

from ledger import schema
from ledger.sql import visible


def region_rows(
    connection: Connection, as_of: date, upto_seq: int | None, region: str | None = None
) -> list[Row]:
    """Regions opened by as_of within the knowledge limit, sorted by code; only `region` when
    given (an unknown one gives none). Rows have region, name, country, currency, effective,
    seq."""
    regions = schema.regions
    query = select(regions).where(*visible(regions, as_of, upto_seq)).order_by(regions.c.region)
    if region is not None:
        query = query.where(regions.c.region == region)
    return list(connection.execute(query))


def budget_amount(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> Decimal | None:
    """The amount of the latest `budget.revised` for (region, year) by (effective, seq) with
    effective ≤ as_of within the knowledge limit; None when no budget is recorded."""
    budgets = schema.budgets
    return connection.execute(
        select(budgets.c.amount)
        .where(
            budgets.c.region == region, budgets.c.year == year, *visible(budgets, as_of, upto_seq)
        )
        .order_by(budgets.c.effective.desc(), budgets.c.seq.desc())
        .limit(1)
    ).scalar()
