"""Calendar arithmetic: months with the day clamped to the month's end, and knowledge-limit
timestamps. (Lease payment schedules are in ledger.semantics.leases.)"""

from __future__ import annotations

import calendar
from datetime import date


def as_date(value: date | str) -> date:
    """A date as the database returns it: a date, or on SQLite its ISO text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def add_months(day: date, months: int) -> date:
    """31 Jan + 1 month = 28 (or 29) Feb: the day is clamped to the last day of the month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_payment(start: date, months: int) -> date:
    """The due date of the last of `months` payments from start; ValueError naming the limit
    when it would fall after the last day a date can hold (9999-12-31)."""
    try:
        return add_months(start, months - 1)
    except (ValueError, OverflowError):
        raise ValueError(
            f"the last of {months} monthly payments from {start} would fall after 9999-12-31"
        ) from None


END_OF_DAY = "T23:59:59.999999Z"


def parse_known_at(value: object) -> str:
    """A knowledge limit as a stored-style UTC timestamp: an ISO 8601 timestamp with Z or an
    offset, or a bare date meaning the end of that day in UTC. Raises ValueError otherwise.

    The result always has a four-digit year (0999-…, never 999-…): recorded_at values are
    compared as text, so a shorter year would compare greater than every real timestamp."""
    from datetime import UTC, datetime

    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.isoformat() + END_OF_DAY
    else:
        text = str(value).strip()
        if not text.isascii():
            raise ValueError("use ASCII digits only")
        if len(text) == 10:
            return date.fromisoformat(text).isoformat() + END_OF_DAY
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{value} has no time zone; add Z for UTC or an offset like +08:00")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value} is outside the years 0001-9999 once converted to UTC") from None
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
