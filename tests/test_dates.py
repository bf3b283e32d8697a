"""Calendar arithmetic: counting a lease's payments without listing them gives the same count as
listing them, for any start (month ends included), length, year and cut-off."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from ledger.semantics.leases import payment_dates, payments_due

days = st.dates(date(2020, 1, 1), date(2030, 12, 31))
month_ends = st.sampled_from(
    [date(2024, 1, 31), date(2024, 2, 29), date(2025, 8, 31), date(2023, 12, 30)]
)


@given(
    start=days | month_ends,
    months=st.integers(1, 80),
    year=st.none() | st.integers(2019, 2032),
    until=days | month_ends,
)
def test_payments_due_counts_what_payment_dates_lists(start, months, year, until):
    listed = [
        due
        for due in payment_dates(start, months)
        if due <= until and (year is None or due.year == year)
    ]

    assert payments_due(start, months, year, until) == len(listed)
