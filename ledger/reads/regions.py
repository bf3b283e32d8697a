"""Regions opened by a date and their budgets (SPEC §4.4), shared by the reports, compliance and
block mode at entry. The budget rule itself (revisions and transfers) is ledger.semantics.budgets."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from sqlalchemy import Connection, or_, select

from ledger import schema
from ledger.reads.masterdata import RegionRow, regions_as_of
from ledger.reads.rates import rate_book
from ledger.semantics.budgets import NO_BUDGET, Budget, Revision, Transfer, budget_as_of
from ledger.semantics.rates import RateBook
from ledger.sql import visible


def region_rows(
    connection: Connection, as_of: date, upto_seq: int | None, region: str | None = None
) -> list[RegionRow]:
    """Regions opened by as_of within the knowledge limit, sorted by code; only `region` when
    given (an unknown one gives none). Rows (RegionRow) have region, name and country (as of
    as_of: updates applied), currency, effective, seq."""
    regions = schema.regions
    query = select(regions).where(*visible(regions, as_of, upto_seq)).order_by(regions.c.region)
    if region is not None:
        query = query.where(regions.c.region == region)
    return regions_as_of(connection, connection.execute(query), as_of, upto_seq)


def latest_revision(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> Revision | None:
    """The latest `budget.revised` for (region, year) by (effective, seq) with effective ≤ as_of
    within the knowledge limit; None when there is none."""
    budgets = schema.budgets
    row = connection.execute(
        select(budgets.c.effective, budgets.c.seq, budgets.c.amount)
        .where(
            budgets.c.region == region, budgets.c.year == year, *visible(budgets, as_of, upto_seq)
        )
        .order_by(budgets.c.effective.desc(), budgets.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else Revision(row.effective, row.seq, row.amount)


def transfers_of(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    since: date | None = None,
) -> list[Transfer]:
    """The known `budget.transferred` of `year` from or to `region` with effective ≤ as_of
    (and ≥ since when given), with the sending region's currency."""
    transfers, regions = schema.budget_transfers, schema.regions
    query = (
        select(
            transfers.c.effective,
            transfers.c.seq,
            transfers.c.from_region,
            transfers.c.to_region,
            transfers.c.amount,
            regions.c.currency,
        )
        .join_from(transfers, regions, regions.c.region == transfers.c.from_region)
        .where(
            transfers.c.year == year,
            or_(transfers.c.from_region == region, transfers.c.to_region == region),
            *visible(transfers, as_of, upto_seq),
        )
    )
    if since is not None:
        query = query.where(transfers.c.effective >= since)
    return [Transfer(*row) for row in connection.execute(query)]


def budget_of(
    connection: Connection,
    region: str,
    year: int,
    as_of: date,
    upto_seq: int | None,
    rate: RateBook | None = None,
    currency: str | None = None,
) -> Budget:
    """budget(region, year) as of as_of within the knowledge limit (SPEC §4.4): the latest
    revision plus the transfers after it. `rate` (a rate book for as_of and the same limit) and
    `currency` (the region's) are read when not given and a transfer needs them."""
    revision = latest_revision(connection, region, year, as_of, upto_seq)
    since = None if revision is None else revision.effective
    transfers = transfers_of(connection, region, year, as_of, upto_seq, since)
    if not transfers:
        return NO_BUDGET if revision is None else Budget(Fraction(revision.amount), True)
    if currency is None:
        currency = region_currency(connection, region)
    if rate is None:
        rate = rate_book(connection, as_of, upto_seq)
    revisions = [] if revision is None else [revision]
    return budget_as_of(region, currency, revisions, transfers, rate, as_of)


def budget_amount(
    connection: Connection, region: str, year: int, as_of: date, upto_seq: int | None
) -> Fraction | None:
    """budget(region, year) as of as_of within the knowledge limit (SPEC §4.4: the latest
    revision plus the transfers after it), exact; None when no budget is recorded."""
    return budget_of(connection, region, year, as_of, upto_seq).or_none


def region_currency(connection: Connection, region: str) -> str:
    regions = schema.regions
    return connection.execute(
        select(regions.c.currency).where(regions.c.region == region)
    ).scalar_one()
