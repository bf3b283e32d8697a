"""`query shares` (SPEC §4.4): each supplier's share of a region's orders charged to a year."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection

from ledger.errors import LedgerError
from ledger.reads.rates import rate_book
from ledger.reads.regions import region_rows
from ledger.reads.totals import supplier_shares


def share_rows(
    connection: Connection,
    *,
    as_of: date,
    year: int,
    region: str | None,
    basis: str,
    upto_seq: int | None,
) -> list[dict[str, Any]]:
    """Supplier shares per region opened by as_of for `year` on the `basis` (value or units):
    share = the supplier's value (or units) / the region's total; 0 when the total is 0. Sorted
    by region, then the basis measure descending, then supplier."""
    if basis not in ("value", "units"):
        raise LedgerError(f"basis: {basis!r} is not value or units")
    rows = []
    rate = rate_book(connection, as_of, upto_seq)
    for opened in region_rows(connection, as_of, upto_seq, region):
        shares = supplier_shares(connection, opened.region, year, as_of, upto_seq, rate)
        rows.extend(share_rows_of(opened.region, shares, basis))
    return rows


def share_rows_of(region: str, shares: list[dict[str, Any]], basis: str) -> list[dict[str, Any]]:
    """The share report's rows of one region from its supplier_shares: each supplier's share
    of the total on `basis`, sorted by the measure descending, then supplier."""
    total = sum((Fraction(share[basis]) for share in shares), Fraction(0))
    shares = sorted(shares, key=lambda share: (-share[basis], share["supplier"]))
    return [
        {
            "region": region,
            **share,
            "share": Fraction(share[basis]) / total if total else Fraction(0),
        }
        for share in shares
    ]
