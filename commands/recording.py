"""What every recording command shares: recording one event and printing its seq, and number
arguments that may look like options."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ledger.store import Appended

NEGATIVE = re.compile(r"-[0-9.][0-9.,_eE+-]*")


class NumberArguments(click.Command):
    """A command with number arguments: `-7` there is a negative number, not an unknown option.
    Say what the argument must be (and how a value starting with '-' is passed where one is
    allowed) instead of click's `No such option: -7`."""

    def __init__(self, *args, numbers: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers = numbers

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            if not NEGATIVE.fullmatch(error.option_name):
                raise
            raise click.UsageError(
                f"{error.option_name}: {self.numbers}; it is not an option (where a value may start "
                f"with '-', pass it after `--`: `-- {error.option_name}`)",
                ctx,
            ) from None


def record_event(ctx: click.Context, type: str, payload: dict, effective, reason, event_id) -> None:
    """Record one event of the command's type; print its seq (on a terminal, with what it is
    about: PO-1, USD/CNY, CN 2025), or say on stderr that it was already recorded."""
    from ledger.kinds import subject

    obj = ctx.obj
    result = obj.ledger.record(
        type,
        {key: value for key, value in payload.items() if value is not None},
        effective=effective,
        actor=obj.actor_name(),
        reason=reason,
        event_id=event_id,
    )
    say_recorded(result, f"{type} {subject(type, payload)}")


def say_recorded(result: Appended, what: str) -> None:
    """How a recording command reports its event: the seq on stdout (on a terminal, with `what`
    it recorded), and on stderr whether it was already recorded."""
    if result.already_recorded:
        click.echo(f"already recorded as seq {result.seq} (event_id {result.event_id})", err=True)
    if sys.stdout.isatty():
        click.echo(f"recorded seq {result.seq}: {what}")
    else:
        click.echo(result.seq)
