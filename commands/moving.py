"""Moving a ledger and looking at it: copy, restore, status."""

from __future__ import annotations

from contextlib import contextmanager

import click

from commands.facts import JSON, emit, facts_format, failures_reported


@contextmanager
def _progress(label: str):
    """A factory for the loaders' progress callback: a bar on a terminal, else nothing."""
    from commands.progress import progress

    with progress(label) as update:
        if update is None:
            yield None
            return

        def start(total: int):
            done = 0

            def advance(count: int) -> None:
                nonlocal done
                done += count
                update(done, total)

            return advance

        yield start


def _described(db) -> str:
    """The URL of a ledger as messages show it (no password)."""
    from ledger.db import describe_url, make_engine

    engine = make_engine(db)
    try:
        return describe_url(engine)
    finally:
        engine.dispose()


def _done(verb: str, result, where: str, fmt: str, facts: dict) -> None:
    if fmt == JSON:
        emit(
            {
                "ok": True,
                **facts,
                "copied": result.copied,
                "already_there": result.already_there,
                "first_seq": result.already_there + 1 if result.copied else None,
                "head_seq": result.head_seq,
                "head_hash": result.head_hash,
            }
        )
    elif result.copied:
        first = result.already_there + 1
        click.echo(
            f"{verb} {result.copied} event{'' if result.copied == 1 else 's'} "
            f"(seq {first}-{result.head_seq}) {where}; head seq {result.head_seq}, "
            f"hash {result.head_hash}"
        )
    else:
        click.echo(
            f"up to date: nothing {verb} {where}, it already holds every event; "
            f"head seq {result.head_seq}, hash {result.head_hash}"
        )


@click.command()
@click.argument("target", metavar="TARGET")
@facts_format()
@click.pass_obj
def copy(obj, target, fmt):
    """Copy the whole log of --db into TARGET (a URL or a SQLite path; created when missing),
    every event exactly as stored, so the head hash is the same; then build TARGET's read models.

    The chain is re-checked as it streams. TARGET must be empty or hold a prefix of the same
    chain: then only the missing events are copied, so running the command again keeps the copy
    up to date. A TARGET that differs is refused, naming the first differing seq. All or nothing.

    \b
    Example:
      ledger --db pilot.db copy postgresql://ledger@db.internal/ledger
      ledger --db postgresql://ledger@db.internal/ledger copy backup-2025-06-30.db
    """
    from ledger.moving import copy_ledger, opened_target
    from ledger.redact import hide_password

    if not target.strip():
        # An empty TARGET (an unset shell variable) would otherwise mean the default ledger.db.
        raise click.BadParameter("is empty; give a URL or a SQLite path", param_hint="TARGET")
    with failures_reported(fmt, {"target": hide_password(target)}):
        source = obj.ledger  # first: a missing source must not leave a new, empty TARGET behind
        with opened_target(target, "TARGET") as destination, _progress("copying") as progress:
            result = copy_ledger(source, destination, progress)
    described = _described(target)
    _done("copied", result, f"to {described}", fmt, {"target": described})


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@facts_format()
@click.pass_obj
def restore(obj, file, fmt):
    """Load an audit export (the CSV of `ledger export events`, with or without --excel's byte
    order mark) into --db, every event exactly as exported, and build the read models.

    The file is checked as `verify --export` does first; a bad file writes nothing. The ledger
    must be empty or hold a prefix of the exported chain (then only the rest is added).

    \b
    Example:
      ledger export events -o events.csv
      ledger --db restored.db restore events.csv
    """
    from ledger.moving import check_export, opened_target, restore_export

    with failures_reported(fmt, {"file": file}):
        checked = check_export(file)  # a bad file creates no database
        with opened_target(obj.db) as destination, _progress("restoring") as progress:
            result = restore_export(file, destination, progress, checked=checked)
    described = _described(obj.db)
    _done("restored", result, f"into {described}", fmt, {"file": file, "target": described})


@click.command()
@facts_format()
@click.pass_obj
def status(obj, fmt):
    """Show the database (password masked), its backend and server version, the schema
    revision, whether it is read-only, the number of events and the head, each region's
    closed-through date, and on a PostgreSQL standby how far it has replayed.

    \b
    Example:
      ledger --db postgresql://auditor@standby.internal/ledger status
      ledger status --format json
    """
    from ledger.errors import IntegrityError
    from ledger.status import ledger_status

    status = ledger_status(obj.open_ledger(create=False, any_revision=True))
    if fmt == JSON:
        emit(status.facts())
    else:
        lines = status.lines()
        width = max(len(label) for label, _ in lines) + 1
        for label, value in lines:
            click.echo(f"{label + ':':<{width}} {value}")
    if status.problem:
        raise IntegrityError(status.problem)


COMMANDS = [copy, restore, status]
