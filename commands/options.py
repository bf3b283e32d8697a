"""Parameter types and option groups shared by the commands."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import click

from ledger.params import MAX_INT64


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        from ledger.params import parse_date

        if isinstance(value, date):
            return value
        try:
            return parse_date(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class DecimalType(click.ParamType):
    """A decimal number in ASCII digits (no `1_000`, no Unicode digits): the entry rules' parser."""

    name = "NUMBER"

    def convert(self, value, param, ctx):
        from ledger.money import parse_decimal

        if isinstance(value, Decimal):
            return value
        try:
            return parse_decimal(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class ShareType(DecimalType):
    """A share between 0 and 1, also written as a percentage: `0.3` or `30%`."""

    name = "SHARE"

    def convert(self, value, param, ctx):
        if isinstance(value, Decimal):
            return value
        text = str(value).strip()
        if text.endswith("%"):
            return super().convert(text[:-1], param, ctx) / 100
        number = super().convert(text, param, ctx)
        if number > 1:
            # An entry-rule error naming the field (exit 1), with the hint a percentage needs.
            from ledger.errors import ValidationError

            raise ValidationError(f"must be at most 1 (write {text}% for a percentage)", param.name)
        return number


class IntegerType(click.ParamType):
    """An integer in ASCII digits within [low, high]; high defaults to the largest 64-bit integer
    the database can store, so a larger number is a usage error rather than a driver overflow."""

    name = "INTEGER"

    def __init__(self, low: int | None = None, high: int | None = MAX_INT64):
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        from ledger.params import parse_integer

        try:
            return parse_integer(value, self.low, self.high)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class UUIDType(click.ParamType):
    name = "UUID"

    def convert(self, value, param, ctx):
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            self.fail(f"{value!r} is not a UUID", param, ctx)


class TimestampType(click.ParamType):
    name = "TIMESTAMP"

    def convert(self, value, param, ctx):
        from ledger.params import parse_timestamp

        try:
            return parse_timestamp(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


DATE = DateType()
DECIMAL = DecimalType()
SHARE = ShareType()
INTEGER = IntegerType()
SEQ = IntegerType(0)
UUID = UUIDType()
TIMESTAMP = TimestampType()


def recording_options(function):
    """--effective, --reason and --event-id, common to every recording command."""
    function = click.option(
        "--event-id", type=UUID, help="Idempotency key (a UUID); generated when absent."
    )(function)
    function = click.option("--reason", metavar="TEXT", help="Why the event is recorded.")(function)
    function = click.option(
        "--effective",
        type=DATE,
        metavar="DATE",
        help="Business date from which the fact holds [default: today].",
    )(function)
    return function


def knowledge_options(function):
    """--as-of, --known-at, --upto-seq, --region: the point in time and what was known then."""
    function = click.option("--region", metavar="R", help="Only this region.")(function)
    function = click.option(
        "--upto-seq",
        type=SEQ,
        metavar="N",
        help="Only events with seq ≤ N (the ledger as it stood then).",
    )(function)
    function = click.option(
        "--known-at",
        type=TIMESTAMP,
        metavar="T",
        help="Only events recorded by T (ISO 8601 with Z/offset, or a date: end of that day UTC).",
    )(function)
    function = click.option(
        "--as-of", type=DATE, metavar="DATE", help="Business date of the question [default: today]."
    )(function)
    return function


def resolve_knowledge(ledger, known_at, upto_seq):
    if known_at is not None and upto_seq is not None:
        raise click.UsageError("give --known-at or --upto-seq, not both")
    return ledger.knowledge(known_at=known_at, upto_seq=upto_seq)


def limits_only(function):
    """knowledge_options without --region: for lists where a region filter means nothing."""
    function = knowledge_options(function)
    function.__click_params__ = [p for p in function.__click_params__ if p.name != "region"]
    return function
