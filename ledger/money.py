"""Exact numbers: parsing decimals strictly, canonical decimal strings, exact Decimal sums, and
rounding only at output (CSV cells and the amounts, percents and thresholds in messages)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation, Overflow
from fractions import Fraction

# Amounts of a procurement ledger never need more; anything beyond is a typo or an attack.
MAX_INTEGER_DIGITS = 20
MAX_FRACTION_DIGITS = 12

# What a decimal string may look like: ASCII digits only (Python's Decimal and int would also take
# `1_000` and Arabic-Indic or other Unicode digits, which a ledger must not read as numbers).
# Plain notation only: digits and one point (an exponent such as 1e5 is refused: amounts are
# written out, as the export and every report write them).
DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
EXPONENT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")

# Sums of quantity × unit_price as Decimals: far more digits than any ledger amount needs, and
# traps, so that an inexact result would raise instead of being rounded. Summing in C-speed
# Decimals per booked rate, then converting to a Fraction once, keeps large reports fast and exact.
EXACT = Context(prec=200, traps=[Inexact, InvalidOperation, Overflow])

TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")
SIX_PLACES = Decimal("0.000001")


def parse_decimal(value: object) -> Decimal:
    """Read an exact decimal from a Decimal, an int, a decimal string or an exactly representable
    float; raise ValueError (with a message for users) for anything else."""
    if isinstance(value, bool):
        raise ValueError("must be a decimal number, not a boolean")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
        if number != Decimal(value):
            raise ValueError(
                f"{value!r} is a binary float that is not an exact decimal; pass a string"
            )
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 64:
            raise ValueError(f"{value[:70]!r} is not a decimal number")
        if EXPONENT_TEXT.fullmatch(text):
            # Suggest the digits only for a number of sane size (1e999999 would be a million).
            try:
                written = Decimal(text)
                example = f" ({written:f})" if abs(written.adjusted()) <= 30 else ""
            except InvalidOperation:
                example = ""
            raise ValueError(
                f"{value!r} is in exponent notation; write the number out in digits{example}"
            )
        if not DECIMAL_TEXT.fullmatch(text):
            raise ValueError(
                f"{value!r} is not a decimal number (ASCII digits 0-9 only, "
                f"no '_' or other separators)"
            )
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
    else:
        raise ValueError("must be a decimal number")
    if not number.is_finite():
        raise ValueError(f"{value} is not a finite number")
    # normalize() in the default context (28 digits) would round a 32-digit amount.
    sign, digits, exponent = number.normalize(EXACT).as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    fraction_digits = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent)
    if fraction_digits > MAX_FRACTION_DIGITS:
        raise ValueError(f"{value} has more than {MAX_FRACTION_DIGITS} decimal places")
    if integer_digits > MAX_INTEGER_DIGITS:
        raise ValueError(f"{value} has more than {MAX_INTEGER_DIGITS} digits before the point")
    return number


def ascii_integer(text: str) -> int:
    """An integer written in ASCII digits (an optional sign, surrounding spaces ignored); raise
    ValueError for `1_000`, Unicode digits, a decimal point or anything else."""
    stripped = text.strip()
    if len(stripped) > 64 or not INTEGER_TEXT.fullmatch(stripped):
        raise ValueError(f"{text[:70]!r} is not an integer (ASCII digits 0-9 only)")
    return int(stripped)


def parse_integer(value: object) -> int:
    """Read an integer from an int, an integral Decimal or a string of digits."""
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{value!r} is not an integer")
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"{value} is not an integer")
    return int(number)


def canonical_decimal(number: Decimal) -> str:
    """Plain notation, no trailing zeros, no exponent: 30000, 7.25, 0.3, 0."""
    if number == 0:
        return "0"
    return format(number.normalize(EXACT), "f")


def to_fraction(number: Decimal | int | Fraction) -> Fraction:
    return number if isinstance(number, Fraction) else Fraction(number)


def round_half_up(value: Decimal | Fraction | int, places: Decimal = TWO_PLACES) -> Decimal:
    """Round an exact value once, at output: half up (away from zero on ties)."""
    if isinstance(value, Fraction):
        # Enough digits that the quantize below sees the exact tie, then one rounding.
        places_exponent = places.as_tuple().exponent
        assert isinstance(places_exponent, int)
        scale = 10 ** (-places_exponent + 1)
        numerator = value.numerator * scale
        truncated = Decimal(abs(numerator) // value.denominator) / scale
        exact = abs(numerator) % value.denominator == 0
        if not exact:
            # Nudge past the truncation so that a value just above a tie rounds up.
            truncated += Decimal(1) / (scale * 10)
        rounded = truncated.quantize(places, rounding=ROUND_HALF_UP)
        return -rounded if value < 0 and rounded else rounded
    rounded = Decimal(value).quantize(places, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if not rounded else rounded


def format_amount(value: Decimal | Fraction | int) -> str:
    """An amount for CSV/JSON: exactly two decimals, rounded half up."""
    return str(round_half_up(value, TWO_PLACES))


def format_fraction4(value: Decimal | Fraction | int) -> str:
    """A share or utilization: four decimals, rounded half up."""
    return str(round_half_up(value, FOUR_PLACES))


def format_rate(value: Decimal | Fraction | int) -> str:
    """An exchange rate for display: six decimals, rounded half up (the exact rate is used)."""
    return str(round_half_up(value, SIX_PLACES))


def as_decimal(value: Decimal | str | int) -> Decimal:
    """A stored amount as a Decimal: SQLite returns decimal columns as text."""
    return value if type(value) is Decimal else Decimal(value)


# -- amounts in messages ---------------------------------------------------------------------------


def money(value: Decimal | Fraction | int, currency: str) -> str:
    """An amount for a message: rounded half up to cents, thousands separated."""
    return f"{round_half_up(value):,} {currency}"


def percent(value: Fraction) -> str:
    """24.50%: a share with two decimals of a percent, rounded half up."""
    return f"{round_half_up(value * 100)}%"


def threshold_percent(threshold: Decimal) -> str:
    """30%, 25.5%: a threshold as set, without trailing zeros."""
    return f"{canonical_decimal(threshold * 100)}%"
