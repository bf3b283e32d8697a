"""Database administration: least-privilege roles on PostgreSQL."""

from __future__ import annotations

import click


@click.group("db")
def db():
    """Database administration: least-privilege roles on PostgreSQL.

    \b
    Example:
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger \\
        db grant-writer ledger_writer
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger \\
        db grant-reader auditor
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
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger \\
        db grant-writer ledger_writer
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
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger \\
        db grant-reader auditor
    """
    _grant(obj, role, "reader")


@db.command("grant-controller")
@click.argument("role")
@click.pass_obj
def grant_controller(obj, role):
    """Make ROLE a writer that may also record the controller types: budget revisions and
    transfers, policy changes, closes and reopenings, approvals. From the first controller on,
    the database refuses those types from any other login but the owner of the tables.

    \b
    Example:
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger \\
        db grant-controller carol
    """
    _grant(obj, role, "controller")


@db.command("bind-actors")
@click.pass_obj
def bind_actors(obj):
    """From now on the database refuses an event whose actor is not the login role that
    records it (the owner of the tables excepted), and each command's default actor is that
    role: an approval's four eyes are then two database logins.

    \b
    Example:
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger db bind-actors
    """
    from ledger import privileges

    privileges.require_postgres(obj.db)
    if privileges.bind_actors(obj.ledger):
        click.echo("actors are bound: each event's actor must be the login role recording it")
    else:
        click.echo("actors were bound already")


COMMANDS = [db]
