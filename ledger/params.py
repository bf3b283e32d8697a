"""Reading option values from text: dates, integers, timestamps, choices — one parser per kind,
used by the command line's option types and by the web view's query parameters alike, so that
both refuse the same values with the same words.

Each parser raises ValueError with the message a user sees after "Invalid value for '--NAME': ".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

# The largest integer the database can store (a BIGINT): a larger one is a usage error rather
# than a driver overflow.
MAX_INT64 = 2**63 - 1


def parse_date(value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def parse_integer(value: object, low: int | None = None, high: int | None = MAX_INT64) -> int:
    """An integer in ASCII digits within [low, high]."""
    from ledger.money import ascii_integer

    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = ascii_integer(str(value))
    if low is not None and number < low:
        raise ValueError(f"{number} must be at least {low}")
    if high is not None and number > high:
        raise ValueError(f"{str(value).strip()[:30]} must be at most {high}")
    return number


def parse_timestamp(value: str) -> str:
    """--known-at: ISO 8601 with Z or an offset, or a date (the end of that day, UTC), as the
    timestamp text the log's recorded_at is compared with."""
    from ledger.dates import parse_known_at

    try:
        return parse_known_at(value)
    except ValueError as error:
        if "outside the years" in str(error):
            raise
        raise ValueError(
            f"{value!r} is not an ISO 8601 timestamp with Z or an offset, or a date ({error})"
        ) from None


def parse_choice(value: str, choices: Sequence[str]) -> str:
    if value in choices:
        return value
    listed = ", ".join(repr(choice) for choice in choices)
    raise ValueError(f"{value!r} is not one of {listed}.")


def invalid(option: str, message: str) -> str:
    """The one line for a value a parser refused, as the command line words it."""
    return f"Invalid value for {option!r}: {message}"
