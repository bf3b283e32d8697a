"""Bulk entry and audit: import, export events, verify, log, rebuild."""

from __future__ import annotations

import os
import sys

import click

from commands.facts import JSON, emit, facts_format, failures_reported
from commands.options import DATE, SEQ, IntegerType
from commands.output import PLAIN, TEXT, output_options, render, written
from ledger.views import JSON_VALUE

PROGRESS_MIN_BYTES = 1 << 20


class _InputFormat(click.Choice):
    """The import file's format; `json` is most likely meant for the output, so say where."""

    def convert(self, value, param, ctx):
        if value == JSON:
            self.fail(
                "'json' is not a file format here (the file is jsonl or csv); "
                "for the report as JSON give --output-format json",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def _bad_lines(error) -> dict:
    """In the JSON of a rejected file: every bad line, as stderr lists them."""
    from ledger.errors import BatchError

    if not isinstance(error, BatchError):
        return {}
    count = len(error.problems)
    return {
        "error": f"nothing was written ({count} bad line{'' if count == 1 else 's'})",
        "problems": [
            {"line": problem.line, "error": problem.message} for problem in error.problems
        ],
    }


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the whole file and say what would be added; write nothing.",
)
@click.option(
    "--format",
    "input_format",
    type=_InputFormat(["jsonl", "csv"]),
    help="The file's format [default: from its extension, .jsonl or .csv].",
)
@facts_format("--output-format")
@click.pass_obj
def import_(obj, file, dry_run, input_format, fmt):
    """Import events from a JSON Lines (.jsonl) or CSV (.csv) file, all or nothing.

    Each line holds the envelope fields (event_id, type, effective, actor, reason) and the
    payload fields at top level. Every bad line is reported with its number and nothing is
    written; importing the same file again adds nothing. A line may be at most 1 MiB long.
    --dry-run checks the file the same way and prints, per event type, what would be added
    (same exit status as the import itself). --format names the file's format; the report's
    own format is --output-format (text or json).

    \b
    Example:
      ledger import fixtures/demo.jsonl --dry-run
      ledger import events.txt --format csv --output-format json
    """
    from commands.progress import counted

    options = {"actor": obj.actor_name(), "format": input_format, "dry_run": dry_run}
    size = os.path.getsize(file)
    facts = {"file": file, "dry_run": dry_run}
    with failures_reported(fmt, facts, details=_bad_lines):
        if size >= PROGRESS_MIN_BYTES:
            with counted(f"importing {os.path.basename(file)}", size, unit="bytes") as bar:
                result = obj.ledger.import_file(file, progress=bar, **options)
        else:
            result = obj.ledger.import_file(file, **options)
    if fmt == JSON:
        emit(
            {
                "ok": True,
                **facts,
                "added": result.added,
                "already_recorded": result.already_recorded,
                "first_seq": result.first_seq,
                "last_seq": result.last_seq,
                "added_by_type": dict(sorted(result.added_by_type.items())),
            }
        )
        return
    if dry_run:
        noun = "event" if result.added == 1 else "events"
        click.echo(
            f"dry run: would import {result.added} {noun}, {result.already_recorded} "
            f"already recorded; nothing was written"
        )
        for type_, count in sorted(result.added_by_type.items()):
            click.echo(f"  {type_}: {count}")
        return
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
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@click.option("--upto-seq", type=SEQ, metavar="N", help="Only events with seq ≤ N.")
@click.option(
    "--excel", is_flag=True, help="Start with a UTF-8 byte order mark so that Excel reads UTF-8."
)
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
        with written(output) as stream:
            if excel:
                stream.write(BOM)
            count = obj.ledger.export_events(stream, upto_seq=upto_seq)
        click.echo(f"exported {count} events to {output}", err=True)
    else:
        if excel:
            sys.stdout.write(BOM)
        obj.ledger.export_events(sys.stdout, upto_seq=upto_seq)


@click.command()
@click.option(
    "--export",
    "export_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Check an exported CSV instead of the database.",
)
@click.option(
    "--anchor",
    "anchor_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Also prove the log (or the export) still extends the head in this file "
    "(from `ledger anchor`).",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Also re-check every event against the entry rules, in log order (slower).",
)
@facts_format()
@click.pass_obj
def verify(obj, export_file, anchor_file, deep, fmt):
    """Re-check the hash chain and the seq sequence, and account for every row of the log;
    exit 1 naming the first bad seq.

    --deep then replays the log through the entry rules in a scratch ledger (nothing is written
    to this one) and names the first event that breaks one: a writer who computes hashes itself
    could have appended it. It also compares the read models with that replay and names the
    first table that differs (a writer maintains them, so they could be made to lie).

    \b
    Example:
      ledger verify
      ledger verify --deep --format json
      ledger verify --export events.csv --anchor anchor.json
    """
    if export_file and deep:
        raise click.UsageError("--deep checks the database; give --export or --deep, not both")
    facts = {
        "checked": "export" if export_file else "database",
        "file": export_file,
        "deep": deep,
    }
    with failures_reported(fmt, facts):
        if anchor_file:
            _verify_anchor(obj, export_file, anchor_file, fmt, facts)
        else:
            _verify(obj, export_file, deep, fmt, facts)


def _verify(obj, export_file, deep, fmt, facts) -> None:
    from commands.progress import progress
    from ledger.app import Ledger
    from ledger.errors import IntegrityError

    finding = None
    if export_file:
        report = Ledger.verify_export(export_file)
    elif deep:
        with progress("checking the chain") as update:
            report, finding = obj.ledger.verify_deep(progress=_deep_steps(update))
    else:
        report = obj.ledger.verify()
    facts.update(
        events=report.count,
        head=report.head,
        broken_seq=report.broken_seq,
        problem=report.problem,
    )
    if deep:
        # Each check says True or False once it ran, None when an earlier one stopped it.
        rules_broken = finding is not None and not _read_models(finding)
        facts.update(
            entry_rules_pass=None if not report.ok else not rules_broken,
            read_models_match=None if not report.ok or rules_broken else finding is None,
            finding=finding,
        )
    if not report.ok:
        raise IntegrityError(
            f"seq {report.broken_seq}: {report.problem} ({report.count} events before it verify)"
        )
    if finding is not None:
        if _read_models(finding):
            raise IntegrityError(f"{finding} (the chain verifies, every event passes the rules)")
        raise IntegrityError(f"{finding} (the chain verifies; this event breaks an entry rule)")
    if fmt == JSON:
        emit({"ok": True, **facts})
        return
    rules = (
        ", every event passes the entry rules and the read models match a replay" if deep else ""
    )
    click.echo(f"ok: {report.count} events, head {report.head}{rules}")


def _read_models(finding: str | None) -> bool:
    return finding is not None and finding.startswith("read models:")


def _deep_steps(update):
    """The replay's progress, named by step: after the last event come the read models."""
    if update is None:
        return None

    def step(done: int, total: int) -> None:
        label = (
            "comparing the read models with the replay"
            if done >= total
            else "replaying the log through the entry rules"
        )
        update(done, total, label)

    return step


def _verify_anchor(obj, export_file, anchor_file, fmt, facts) -> None:
    from ledger.anchor import read_anchor, verify_against, verify_export_against
    from ledger.errors import IntegrityError

    anchor = read_anchor(anchor_file)
    if export_file:
        report = verify_export_against(export_file, anchor)
    else:
        report = verify_against(obj.ledger, anchor)
    facts.update(
        events=report.chain.count,
        head=report.chain.head,
        broken_seq=report.chain.broken_seq,
        problem=report.chain.problem,
        anchor={
            "file": anchor_file,
            "seq": anchor.seq,
            "hash": anchor.hash,
            "taken_at": anchor.taken_at,
            "extended": report.problem is None if report.chain.ok else None,
            "problem": report.problem,
        },
    )
    if not report.chain.ok:
        raise IntegrityError(
            f"seq {report.chain.broken_seq}: {report.chain.problem} "
            f"({report.chain.count} events before it verify)"
        )
    if not report.ok:
        raise IntegrityError(f"anchor {anchor_file}: {report.problem}")
    if fmt == JSON:
        emit({"ok": True, **facts})
        return
    click.echo(
        f"ok: {report.chain.count} events, head {report.chain.head}, "
        f"extends the anchor at seq {anchor.seq} taken {anchor.taken_at}"
    )


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write to FILE (not over an existing one).",
)
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

    # A file already there may be an earlier anchor; a device (/dev/stdout, /dev/full) is not.
    if (
        output
        and not force
        and (os.path.isfile(output) or os.path.islink(output) and not os.path.exists(output))
    ):
        raise LedgerError(
            f"-o: {output} exists; an anchor is not overwritten (give --force to replace it)"
        )
    taken = take_anchor(obj.ledger)
    if output:
        with written(output, newline=None) as stream:
            stream.write(taken.to_json())
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
    from commands.progress import progress
    from ledger.errors import IntegrityError

    with progress("reading the log") as update:
        report = obj.ledger.rebuild(check=check, progress=_rebuild_steps(update, check))
    if check and report.differences:
        raise IntegrityError("read models differ from the log: " + "; ".join(report.differences))
    verb = "checked" if check else "rebuilt"
    click.echo(f"{verb}: {report.events} events, {report.rows} read-model rows")


def _rebuild_steps(update, check: bool):
    if update is None:
        return None
    replaying = "replaying the log" if check else "rebuilding the read models"
    after = "comparing with the read models" if check else "counting the rows"

    def step(done: int, total: int) -> None:
        update(done, total, after if done >= total else replaying)

    return step


def _known_types(_ctx, _param, types: tuple[str, ...]) -> tuple[str, ...]:
    """--type must name an event type: a typo would otherwise list nothing, as if none happened."""
    if types:
        from ledger.events import PAYLOAD_TYPES

        unknown = [name for name in types if name not in PAYLOAD_TYPES]
        if unknown:
            raise click.BadParameter(
                f"unknown event type {unknown[0]!r}; the types are: "
                f"{', '.join(sorted(PAYLOAD_TYPES))}"
            )
    return types


# The payload is its canonical text in a table and a CSV, and the object itself in JSON.
LOG_COLUMNS = [
    ("seq", PLAIN),
    ("effective", PLAIN),
    ("type", PLAIN),
    ("actor", TEXT),
    ("payload", JSON_VALUE),
    ("reason", TEXT),
    ("recorded_at", PLAIN),
    ("event_id", PLAIN),
]


@click.command()
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="TYPE",
    callback=_known_types,
    help="Only this type (repeatable).",
)
@click.option("--from", "effective_from", type=DATE, metavar="DATE", help="Effective on or after.")
@click.option("--to", "effective_to", type=DATE, metavar="DATE", help="Effective on or before.")
@click.option(
    "--region",
    metavar="R",
    help="Only events that touch this region (as closed books count them: also amendments, receipts, payments and rates of its documents and currency), and its opening and period events.",
)
@click.option(
    "--id",
    "document",
    metavar="ID",
    help="Only events of this order, lease, receipt, invoice or payment.",
)
@click.option("--upto-seq", type=SEQ, metavar="N", help="Only events with seq ≤ N.")
@click.option(
    "--after-seq", type=SEQ, metavar="K", help="Only events with seq > K (to page on from K)."
)
@click.option("--limit", type=IntegerType(1), metavar="N", help="At most N events.")
@click.option(
    "--no-pager", is_flag=True, help="Never page a table on a terminal (default: $PAGER or less)."
)
@output_options
@click.pass_obj
def log(
    obj,
    types,
    effective_from,
    effective_to,
    region,
    document,
    upto_seq,
    after_seq,
    limit,
    no_pager,
    fmt,
    output,
):
    """List events, oldest first, with filters. Rows are printed as they are read; a table on a
    terminal goes through a pager ($PAGER, else less) unless --no-pager.

    \b
    Example:
      ledger log --type order.placed --region CN --from 2025-01-01 --to 2025-03-31
      ledger log --id PO-2
      ledger log --after-seq 100 --limit 50 --no-pager
    """
    from ledger.app import Knowledge

    obj.ledger.check_region(region)
    events = obj.ledger.iter_log(
        types=types,
        effective_from=effective_from,
        effective_to=effective_to,
        region=region,
        document=document,
        knowledge=Knowledge(upto_seq),
        limit=limit,
        after_seq=after_seq,
    )
    found = False

    def rows():
        nonlocal found
        for event in events:
            found = True
            yield event.__dict__

    render(rows(), LOG_COLUMNS, fmt, output, pager=not no_pager)
    if document and not found:
        click.echo(
            f"note: no event names an order, lease, receipt, invoice or payment {document!r}",
            err=True,
        )


COMMANDS = [import_, export, verify, anchor, rebuild, log]
