"""`--format text|json` for the commands that report what they did or found rather than rows
(status, verify, import, copy, restore): text for people, one JSON document for programs.

The JSON holds the facts of the text: counts as integers, dates and times as ISO text, codes
and hashes as strings, null where a fact does not apply. A check that fails still prints its
document (with "ok": false and the error), and the one error line goes to stderr as ever."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

TEXT, JSON = "text", "json"
FORMAT_HELP = "text for people, json for programs (one JSON document on stdout)."


def facts_format(*names: str):
    """The option, spelled `--format` unless the command already uses that name (import)."""

    def decorate(function):
        return click.option(
            *(names or ("--format",)),
            "fmt",
            type=click.Choice([TEXT, JSON]),
            default=TEXT,
            show_default=True,
            help=f"Output format: {FORMAT_HELP}",
        )(function)

    return decorate


def emit(facts: dict[str, Any]) -> None:
    click.echo(json.dumps(facts, ensure_ascii=False, indent=2))


@contextmanager
def failures_reported(
    fmt: str, facts: dict[str, Any], details: Callable[[Exception], dict] | None = None
) -> Iterator[None]:
    """With json, a LedgerError leaving the block first prints `facts` with "ok": false and the
    error's line (the password hidden, as on stderr), and what `details` adds for that error;
    the error then goes on to exit 1."""
    from ledger.errors import LedgerError
    from ledger.redact import hide_password

    try:
        yield
    except LedgerError as error:
        if fmt == JSON:
            line = " ".join(part.strip() for part in str(error).splitlines() if part.strip())
            emit(
                {
                    "ok": False,
                    **facts,
                    "error": hide_password(line),
                    **(details(error) if details else {}),
                }
            )
        raise
