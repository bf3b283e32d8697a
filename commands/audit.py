"""Bulk entry and audit: import, export events, verify, log, rebuild."""

from __future__ import annotations

import os
import sys

import click

from commands.options import DATE
from commands.output import PLAIN, TEXT, output_options, render

PROGRESS_MIN_BYTES = 1 << 20


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def import_(obj, file):
    """Import events from a JSON Lines (.jsonl) or CSV (.csv) file, all or nothing.

    Each line holds the envelope fields (event_id, type, effective, actor, reason) and the
    payload fields at top level. Every bad line is reported with its number and nothing is
    written; importing the same file again adds nothing.

    \b
    Example:
      ledger import fixtures/demo.jsonl
    """
    size = os.path.getsize(file)
    if sys.stderr.isatty() and size >= PROGRESS_MIN_BYTES:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(f"importing {os.path.basename(file)}", total=size)
            result = obj.ledger.import_file(file, actor=obj.actor_name(),
                                            progress=lambda n: bar.advance(task, n))
    else:
        result = obj.ledger.import_file(file, actor=obj.actor_name())
    span = f" (seq {result.first_seq}-{result.last_seq})" if result.added else ""
    noun = "event" if result.added == 1 else "events"
    click.echo(f"imported {result.added} {noun}{span}, {result.already_recorded} already recorded")


@click.group()
def export():
    """Exports for auditors.

    \b
    Example:
      ledger export events -o events.csv
    """


@export.command("events")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to FILE.")
@click.option("--upto-seq", type=click.IntRange(min=0), metavar="N", help="Only events with seq ≤ N.")
@click.option("--excel", is_flag=True,
              help="Start with a UTF-8 byte order mark so that Excel reads UTF-8.")
@click.pass_obj
def export_events(obj, output, upto_seq, excel):
    """Write the log as CSV, hash chain included, streaming in constant memory.

    The actor and reason cells carry the formula guard: a cell starting with = + - @ tab CR or '
    gets one more leading '. Remove one leading ' from such a cell to get the stored value back.

    \b
    Example:
      ledger export events -o events.csv && ledger verify --export events.csv
    """
    from commands.output import BOM

    if output:
        with open(output, "w", newline="", encoding="utf-8") as stream:
            if excel:
                stream.write(BOM)
            count = obj.ledger.export_events(stream, upto_seq=upto_seq)
        click.echo(f"exported {count} events to {output}", err=True)
    else:
        if excel:
            sys.stdout.write(BOM)
        obj.ledger.export_events(sys.stdout, upto_seq=upto_seq)


@click.command()
@click.option("--export", "export_file", type=click.Path(exists=True, dir_okay=False),
              help="Check an exported CSV instead of the database.")
@click.option("--anchor", "anchor_file", type=click.Path(exists=True, dir_okay=False),
              help="Also prove the log (or the export) still extends the head in this file "
                   "(from `ledger anchor`).")
@click.option("--deep", is_flag=True,
              help="Also re-check every event against the entry rules, in log order (slower).")
@click.pass_obj
def verify(obj, export_file, anchor_file, deep):
    """Re-check the hash chain and the seq sequence, and account for every row of the log;
    exit 1 naming the first bad seq.

    --deep then replays the log through the entry rules in a scratch ledger (nothing is written
    to this one) and names the first event that breaks one: a writer who computes hashes itself
    could have appended it.

    \b
    Example:
      ledger verify
      ledger verify --deep
      ledger verify --export events.csv --anchor anchor.json
    """
    from ledger.app import Ledger
    from ledger.errors import IntegrityError

    if export_file and deep:
        raise click.UsageError("--deep checks the database; give --export or --deep, not both")
    if anchor_file:
        _verify_anchor(obj, export_file, anchor_file)
        return
    finding = None
    if export_file:
        report = Ledger.verify_export(export_file)
    elif deep:
        report, finding = obj.ledger.verify_deep()
    else:
        report = obj.ledger.verify()
    if not report.ok:
        raise IntegrityError(
            f"seq {report.broken_seq}: {report.problem} "
            f"({report.count} events before it verify)"
        )
    if finding is not None:
        raise IntegrityError(f"{finding} (the chain verifies; this event breaks an entry rule)")
    rules = ", every event passes the entry rules" if deep else ""
    click.echo(f"ok: {report.count} events, head {report.head}{rules}")


def _verify_anchor(obj, export_file, anchor_file):
    from ledger.anchor import read_anchor, verify_against, verify_export_against
    from ledger.errors import IntegrityError

    anchor = read_anchor(anchor_file)
    if export_file:
        report = verify_export_against(export_file, anchor)
    else:
        report = verify_against(obj.ledger, anchor)
    if not report.chain.ok:
        raise IntegrityError(f"seq {report.chain.broken_seq}: {report.chain.problem} "
                             f"({report.chain.count} events before it verify)")
    if not report.ok:
        raise IntegrityError(f"anchor {anchor_file}: {report.problem}")
    click.echo(f"ok: {report.chain.count} events, head {report.chain.head}, "
               f"extends the anchor at seq {anchor.seq} taken {anchor.taken_at}")


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (not over an existing one).")
@click.option("--force", is_flag=True, help="With -o: replace FILE if it exists.")
@click.pass_obj
def anchor(obj, output, force):
    """Write the head of the log (seq, hash, recorded_at, the time taken) as a small JSON
    document, after checking the chain. Keep it somewhere else (an email, a ticket, a write-once
    bucket): `ledger verify --anchor FILE` then proves the log still extends that head, even
    against someone who rewrote an event and recomputed every later hash. An existing FILE is
    kept unless --force is given: an anchor is evidence.

    \b
    Example:
      ledger anchor -o anchor-2025-06-30.json
      ledger verify --anchor anchor-2025-06-30.json
    """
    from ledger.anchor import take_anchor
    from ledger.errors import LedgerError

    if output and not force and os.path.lexists(output):
        raise LedgerError(f"-o: {output} exists; an anchor is not overwritten (give --force to replace it)")
    taken = take_anchor(obj.ledger)
    if output:
        try:
            with open(output, "w" if force else "x", encoding="utf-8") as stream:
                stream.write(taken.to_json())
        except FileExistsError:
            raise LedgerError(f"-o: {output} exists; an anchor is not overwritten (give --force to replace it)") from None
        except OSError as error:
            raise LedgerError(f"-o: cannot write {output}: {error.strerror}") from None
        click.echo(f"anchored seq {taken.seq} (head {taken.hash}) in {output}", err=True)
    else:
        click.echo(taken.to_json(), nl=False)


@click.command()
@click.option("--check", is_flag=True, help="Compare with the current read models; change nothing.")
@click.pass_obj
def rebuild(obj, check):
    """Rebuild every read model from the log alone.

    \b
    Example:
      ledger rebuild --check
    """
    from ledger.errors import IntegrityError

    report = obj.ledger.rebuild(check=check)
    if check and report.differences:
        raise IntegrityError("read models differ from the log: " + "; ".join(report.differences))
    verb = "checked" if check else "rebuilt"
    click.echo(f"{verb}: {report.events} events, {report.rows} read-model rows")


LOG_COLUMNS = [("seq", PLAIN), ("effective", PLAIN), ("type", PLAIN), ("actor", TEXT),
               ("payload", PLAIN), ("reason", TEXT), ("recorded_at", PLAIN), ("event_id", PLAIN)]


@click.command()
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only this type (repeatable).")
@click.option("--from", "effective_from", type=DATE, metavar="DATE", help="Effective on or after.")
@click.option("--to", "effective_to", type=DATE, metavar="DATE", help="Effective on or before.")
@click.option("--region", metavar="R", help="Only events whose payload names this region.")
@click.option("--id", "document", metavar="ID", help="Only events of this order or lease.")
@click.option("--upto-seq", type=click.IntRange(min=0), metavar="N", help="Only events with seq ≤ N.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="At most N events.")
@output_options
@click.pass_obj
def log(obj, types, effective_from, effective_to, region, document, upto_seq, limit, fmt, output):
    """List events, oldest first, with filters.

    \b
    Example:
      ledger log --type order.placed --region CN --from 2025-01-01 --to 2025-03-31
      ledger log --id PO-2
    """
    from ledger.app import Knowledge
    from ledger.chain import canonical

    events = obj.ledger.log(types=types, effective_from=effective_from, effective_to=effective_to,
                            region=region, document=document, knowledge=Knowledge(upto_seq), limit=limit)
    rows = ({**event.__dict__, "payload": canonical(event.payload)} for event in events)
    render(rows, LOG_COLUMNS, fmt, output)


COMMANDS = [import_, export, verify, anchor, rebuild, log]
