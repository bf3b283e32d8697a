"""Showing a view of the library's registry (ledger/views.py) on the command line: the command
parses its options with click, and the view does the rest — the same code the web view's API
runs, so that `--format json` and the API's body are one and the same."""

from __future__ import annotations

import click


def view_rows(obj, name: str, **given) -> tuple[list[dict], tuple]:
    """The rows of view `name` for the command's parsed options, with the command line's
    reactions: a knowledge limit that leaves out every event is noted on stderr, options that
    do not go together are a usage error (exit 2)."""
    from ledger import views

    view = views.VIEWS[name]
    chosen = views.options(**given)
    ledger = obj.ledger
    try:
        knowledge = views.prepare(ledger, chosen)
    except views.OptionError as error:
        raise click.UsageError(str(error)) from None
    if knowledge.note:
        click.echo(f"note: {knowledge.note}", err=True)
    return views.run(ledger, view, chosen, knowledge), view.columns_for(chosen)


def show(obj, name: str, fmt: str | None, output: str | None, **given) -> list[dict]:
    """Print view `name` as a table, CSV or JSON (to -o FILE); returns its rows."""
    from commands.output import render

    rows, columns = view_rows(obj, name, **given)
    render(rows, columns, fmt, output)
    return rows
