"""`query group`: every region's spend figures in one reporting currency, and the group total
(the rule: ledger.semantics.group)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

from ledger.reads.rates import rate_book
from ledger.reads.spend import spend_rows
from ledger.semantics import group


def group_rows(
    connection: Connection,
    *,
    as_of: date,
    year: int,
    region: str | None,
    upto_seq: int | None,
    currency: str,
    rate_date: date | None = None,
    via: str | None = None,
) -> list[dict[str, Any]]:
    """One row per region opened by as_of (figures for `year` as of `as_of`, in `currency` at
    the rates in force on `rate_date`, default as_of), then the total row (not with a region)."""
    on = rate_date or as_of
    regions = spend_rows(connection, as_of=as_of, year=year, region=region, upto_seq=upto_seq)
    rates = rate_book(connection, on, upto_seq)
    return group.group_rows(regions, currency, rates, on, year, via=via, total=region is None)
