"""Parameter types and option groups shared by the commands."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

import click


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            if len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


class DecimalType(click.ParamType):
    name = "NUMBER"

    def convert(self, value, param, ctx):
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(value.strip())
        except (InvalidOperation, AttributeError):
            self.fail(f"{value!r} is not a decimal number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


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
        from ledger.dates import parse_known_at

        try:
            return parse_known_at(value)
        except ValueError as error:
            self.fail(f"{value!r} is not an ISO 8601 timestamp with Z or an offset, or a date "
                      f"({error})", param, ctx)


DATE = DateType()
DECIMAL = DecimalType()
UUID = UUIDType()
TIMESTAMP = TimestampType()


def recording_options(function):
    """--effective, --reason and --event-id, common to every recording command."""
    function = click.option("--event-id", type=UUID, help="Idempotency key (a UUID); generated when absent.")(function)
    function = click.option("--reason", metavar="TEXT", help="Why the event is recorded.")(function)
    function = click.option("--effective", type=DATE, metavar="DATE",
                            help="Business date from which the fact holds [default: today].")(function)
    return function


def knowledge_options(function):
    """--as-of, --known-at, --upto-seq, --region: the point in time and what was known then."""
    function = click.option("--region", metavar="R", help="Only this region.")(function)
    function = click.option("--upto-seq", type=click.IntRange(min=0), metavar="N",
                            help="Only events with seq ≤ N (the ledger as it stood then).")(function)
    function = click.option("--known-at", type=TIMESTAMP, metavar="T",
                            help="Only events recorded by T (ISO 8601 with Z/offset, or a date: end of that day UTC).")(function)
    function = click.option("--as-of", type=DATE, metavar="DATE",
                            help="Business date of the question [default: today].")(function)
    return function


def resolve_knowledge(ledger, known_at, upto_seq):
    if known_at is not None and upto_seq is not None:
        raise click.UsageError("give --known-at or --upto-seq, not both")
    return ledger.knowledge(known_at=known_at, upto_seq=upto_seq)
