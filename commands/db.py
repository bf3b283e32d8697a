"""Database administration: least-privilege roles on PostgreSQL."""

from __future__ import annotations

import click


@click.group("db")
def db():
    """Database administration: least-privilege roles on PostgreSQL.

    \b
    Example:
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger db grant-writer ledger_writer
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger db grant-reader auditor
    """


def _grant(obj, role: str, kind: str) -> None:
    from ledger import privileges

    privileges.require_postgres(obj.db)
    grant = getattr(privileges, f"grant_{kind}")(obj.ledger, role)
    verb = "created" if grant.created else "updated"
    click.echo(f"{verb} role {grant.role}: {kind} on schema {grant.schema}")


@db.command("grant-writer")
@click.argument("role")
@click.pass_obj
def grant_writer(obj, role):
    """Create ROLE if missing (LOGIN, no password) and let it record events: INSERT and SELECT
    on the log, upkeep of the read models, never UPDATE, DELETE or TRUNCATE of an event.

    \b
    Example:
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger db grant-writer ledger_writer
    """
    _grant(obj, role, "writer")


@db.command("grant-reader")
@click.argument("role")
@click.pass_obj
def grant_reader(obj, role):
    """Create ROLE if missing (LOGIN, no password) and let it only read: queries, log, export
    and verify.

    \b
    Example:
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger db grant-reader auditor
    """
    _grant(obj, role, "reader")


COMMANDS = [db]
