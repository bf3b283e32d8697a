"""Reading the known rates of a currency pair for a RateBook (the rule: ledger.semantics.rates)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection

from ledger.semantics.rates import RateBook
from ledger.sql import day_parameter, driver_rows


def rate_book(connection: Connection, as_of: date, upto_seq: int | None) -> RateBook:
    """Booked rates for the documents of one query (all dated ≤ as_of), from the rates with
    effective ≤ as_of within the knowledge limit; each pair is read when first asked."""
    limit = "" if upto_seq is None else " AND seq <= ?"
    parameters = [day_parameter(connection, as_of), *([] if upto_seq is None else [upto_seq])]

    def rows(base: str, quote: str) -> Sequence[Any]:
        # One indexed query per direction: an OR across both would not use the index.
        return driver_rows(
            connection,
            "SELECT rate, effective, seq FROM fx_rates WHERE base = ? AND quote = ? "
            "AND effective <= ?" + limit,
            [base, quote, *parameters],
        )

    return RateBook(rows)


def booked_rate(
    connection: Connection, currency: str, region_currency: str, on: date, upto_seq: int | None
) -> Fraction | None:
    """The rate converting `currency` to `region_currency` in force on `on` within the
    knowledge limit (SPEC §4.1); None when there is none."""
    return rate_book(connection, on, upto_seq).find(currency, region_currency, on)
