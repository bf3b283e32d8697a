"""The field types of event payloads and envelopes: exact validators (each with a native schema
for the import's fast path), the annotated types the payload models are built from, and the
parsers of envelope fields and of codes given outside an event.

A field type refuses with a ValueError whose message a payload model turns into one line naming
the field (ledger.events); the `parse_*` functions raise ValidationError naming it themselves.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated

from pydantic import PlainValidator
from pydantic_core import CoreSchema, core_schema

from ledger.errors import ValidationError
from ledger.money import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, parse_decimal, parse_integer

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_TEXT_LENGTH = 1000
FIELD_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.]{1,64}")
UUID_TEXT = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def native(schema: Callable[[], CoreSchema]):
    """Give an exact validator a pydantic-core schema (made on first use) that accepts only
    values the validator accepts, and gives the same value for each: the fast path of an import
    (ledger.records) runs it in Rust instead of the function, and hands anything it refuses to
    the function, whose message is the one reported."""

    def mark(function):
        function.native_schema = schema
        return function

    return mark


def _anchored(pattern: re.Pattern) -> str:
    """A pattern used with fullmatch, as a pydantic-core pattern (which searches)."""
    return f"^(?:{pattern.pattern})$"


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


@cache
def iso_codes() -> tuple[frozenset[str], frozenset[str]]:
    """The ISO 4217 currency codes and ISO 3166-1 alpha-2 country codes, from pycountry (which
    follows the Debian iso-codes data), read once on first use."""
    import pycountry

    return (
        frozenset(currency.alpha_3 for currency in pycountry.currencies),
        frozenset(country.alpha_2 for country in pycountry.countries),
    )


@native(lambda: core_schema.str_schema(strict=True, pattern=_anchored(CODE_PATTERN)))
def _code(value: object) -> str:
    text = _string(value)
    if not CODE_PATTERN.fullmatch(text):
        raise ValueError(
            f"{text[:70]!r} is not a valid code (letters, digits, '.', '_', '-'; at most 64)"
        )
    return text


def _iso_code(
    value: object, pattern: re.Pattern[str], codes: frozenset[str], shape: str, standard: str
) -> str:
    """`value` as a code of an ISO list: its shape checked first (said in `shape`), then the list."""
    text = _string(value)
    if not pattern.fullmatch(text):
        raise ValueError(f"{text[:20]!r} is not an {shape}")
    if text not in codes:
        raise ValueError(f"{text!r} is not an {standard}")
    return text


@native(lambda: core_schema.literal_schema(sorted(iso_codes()[0])))
def _currency(value: object) -> str:
    return _iso_code(
        value,
        CURRENCY_PATTERN,
        iso_codes()[0],
        "ISO 4217 currency code (three capital letters)",
        "ISO 4217 currency code",
    )


@native(lambda: core_schema.literal_schema(sorted(iso_codes()[1])))
def _country(value: object) -> str:
    return _iso_code(
        value,
        COUNTRY_PATTERN,
        iso_codes()[1],
        "ISO 3166 country code (two capital letters)",
        "ISO 3166-1 alpha-2 country code",
    )


def check_text(text: str) -> str:
    """Free text: any characters a database can hold and UTF-8 can carry, within a sane length."""
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"is longer than {MAX_TEXT_LENGTH} characters")
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    return text


# Text the fast path takes: no NUL and at least one ASCII letter or digit, so that it is surely
# not blank by str.strip()'s idea of blank (which differs from a regex's \s); lone surrogates
# are refused by pydantic-core itself.
NATIVE_TEXT = r"^[^\x00]*[A-Za-z0-9][^\x00]*$"


@native(
    lambda: core_schema.str_schema(strict=True, max_length=MAX_TEXT_LENGTH, pattern=NATIVE_TEXT)
)
def _text(value: object) -> str:
    text = check_text(_string(value))
    if not text.strip():
        raise ValueError("must not be empty")
    return text


@native(
    lambda: core_schema.chain_schema(
        [
            core_schema.str_schema(strict=True, pattern=_anchored(DATE_PATTERN)),
            core_schema.date_schema(),
        ]
    )
)
def parse_date(value: object) -> date:
    if isinstance(value, date) and type(value) is date:
        return value
    if isinstance(value, str) and DATE_PATTERN.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    shown = value[:30] if isinstance(value, str) else value
    raise ValueError(f"{shown!r} is not a date (YYYY-MM-DD)")


@native(lambda: core_schema.bool_schema(strict=True))
def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("must be true or false")


def bounded_integer(low: int, high: int | None = None):
    @native(lambda: core_schema.int_schema(strict=True, ge=low, le=high))
    def check(value: object) -> int:
        number = parse_integer(value)
        if number < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and number > high:
            raise ValueError(f"must be at most {high}")
        return number

    return PlainValidator(check)


# A decimal the fast path reads natively: plain notation, no sign, no leading zero, within
# parse_decimal's limits on digits (20 before the point, 12 after) however it is normalized.
PLAIN_DECIMAL = (
    rf"^(?:0|[1-9][0-9]{{0,{MAX_INTEGER_DIGITS - 1}}})(?:\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?$"
)


def bounded_decimal(low: Decimal, high: Decimal | None = None, *, strict_low: bool = False):
    def native_schema() -> CoreSchema:
        # Decimal(text) and Decimal(int), as parse_decimal makes them, then the bounds; anything
        # else (a JSON number read as a Decimal, say) goes to `check` itself.
        bounds = core_schema.decimal_schema(
            gt=low if strict_low else None, ge=None if strict_low else low, le=high
        )
        return core_schema.union_schema(
            [
                core_schema.chain_schema(
                    [core_schema.str_schema(strict=True, pattern=PLAIN_DECIMAL), bounds]
                ),
                core_schema.chain_schema(
                    [
                        core_schema.int_schema(strict=True, ge=0, le=10**MAX_INTEGER_DIGITS - 1),
                        bounds,
                    ]
                ),
                core_schema.no_info_plain_validator_function(check),
            ],
            mode="left_to_right",
        )

    @native(native_schema)
    def check(value: object) -> Decimal:
        number = parse_decimal(value)
        if strict_low and number <= low:
            raise ValueError(f"must be greater than {low}")
        if number < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and number > high:
            raise ValueError(f"must be at most {high}")
        return number

    return PlainValidator(check)


def choice(*options: str):
    @native(lambda: core_schema.literal_schema(list(options)))
    def check(value: object) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return PlainValidator(check)


Code = Annotated[str, PlainValidator(_code)]
Currency = Annotated[str, PlainValidator(_currency)]
Country = Annotated[str, PlainValidator(_country)]
Text = Annotated[str, PlainValidator(_text)]
Day = Annotated[date, PlainValidator(parse_date)]
Flag = Annotated[bool, PlainValidator(_boolean)]
# Quantities and units: far more than any order or lease holds, and well inside the 64-bit
# integers the database stores them in (a larger one used to escape as a driver overflow).
MAX_COUNT = 10**15
Count = Annotated[int, bounded_integer(1, MAX_COUNT)]
Money = Annotated[Decimal, bounded_decimal(Decimal(0))]

# A number above zero (a rate, a payment, a transfer); a year of a budget; a fraction of one.
Positive = Annotated[Decimal, bounded_decimal(Decimal(0), strict_low=True)]
Year = Annotated[int, bounded_integer(2000, 2100)]
Fraction01 = Annotated[Decimal, bounded_decimal(Decimal(0), Decimal(1))]


@native(lambda: core_schema.str_schema(strict=True, pattern=f"^{UUID_TEXT}$"))
def _uuid(value: object) -> str:
    text = _string(value)
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a UUID") from None


@native(lambda: core_schema.str_schema(strict=True, pattern="^[0-9a-f]{64}$"))
def _digest(value: object) -> str:
    text = _string(value)
    if not re.fullmatch("[0-9a-f]{64}", text):
        raise ValueError(f"{text[:70]!r} is not a digest (64 lower-case hex characters)")
    return text


Uuid = Annotated[str, PlainValidator(_uuid)]
Digest = Annotated[str, PlainValidator(_digest)]


def parse_event_id(value: object) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(_string(value)))
    except ValueError:
        raise ValidationError(f"{str(value)[:40]!r} is not a UUID", "event_id") from None


def parse_currency(value: object, field: str) -> str:
    """A currency code given outside an event (a report's currency): ISO 4217, or an error
    naming the option."""
    try:
        return _currency(value)
    except ValueError as error:
        raise ValidationError(str(error), field) from None


def parse_reason(value: object) -> str | None:
    if value is None or value == "":
        return None
    try:
        return check_text(_string(value))
    except ValueError as error:
        raise ValidationError(str(error), "reason") from None


def parse_actor(value: object) -> str:
    try:
        return _text(value)
    except ValueError as error:
        raise ValidationError(str(error), "actor") from None
