"""Setting up: init (create or upgrade the schema) and demo."""

from __future__ import annotations

import click


@click.command()
@click.pass_obj
def init(obj):
    """Create or upgrade the schema (alembic migrations); safe to repeat.

    \b
    Example:
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger init
    """
    from ledger.app import Ledger

    with Ledger.open(obj.db, create=False) as ledger:
        before, after = ledger.init()
    if before == after:
        click.echo(f"schema is up to date (revision {after})")
    else:
        click.echo(f"schema {'created' if before is None else 'upgraded'} at revision {after}")


COMMANDS = [init]
