"""The one import loop: events appended in batches through one appender, each batch's documents
prefetched before its checks and its rows written after them. `import` and its dry run use it,
and so does `verify --deep`'s replay of the log into a scratch ledger.

An import is all or nothing: every line is checked (against the log and the lines before it),
and any problem rolls the whole transaction back, reported together with every other one.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ledger import schema
from ledger.errors import BatchError, LedgerError, Problem, UnapprovedError

if TYPE_CHECKING:
    from ledger.events import NewEvent
    from ledger.io import Line
    from ledger.store import Appended, Appender, Store

# Lines checked together: their documents are looked up in one query, their rows written in one
# executemany per table.
IMPORT_BATCH = 5000
# An import of at least this many events, and a tenth of the log or more, refreshes the
# statistics of PostgreSQL's planner before it commits.
ANALYZE_AFTER = 10_000

Key = TypeVar("Key")


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_recorded: int
    first_seq: int | None
    last_seq: int | None
    added_by_type: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


def append_batches(
    appender: Appender, batches: Iterable[Sequence[tuple[Key, NewEvent | Problem]]]
) -> Generator[tuple[Key, NewEvent | None, Appended | LedgerError | Problem], None, None]:
    """Append the events of each batch, in order: (key, event, its Appended) for one appended
    or already recorded, (key, event, the LedgerError) for one the checks refuse, and (key,
    None, the Problem) for an item that is a problem already (those of a batch come first).
    Later events are checked against the earlier ones even after a refusal: the caller decides
    whether to go on, and the transaction whether anything is kept."""
    for batch in batches:
        parsed: list[tuple[Key, NewEvent]] = []
        for key, item in batch:
            if isinstance(item, Problem):
                yield key, None, item
            else:
                parsed.append((key, item))
        appender.prefetch(event for _, event in parsed)
        for key, event in parsed:
            try:
                yield key, event, appender.append(event)
            except LedgerError as error:
                yield key, event, error
        appender.end_batch()


class _DryRunDone(Exception):
    """Leaves the import's transaction by an exception, so that it is rolled back."""

    def __init__(self, result: ImportResult):
        self.result = result


def import_batches(
    store: Store, batches: Iterable[Sequence[tuple[int, NewEvent | Problem]]], *, dry_run: bool
) -> ImportResult:
    """Append the lines of an import, given in batches of (line number, NewEvent or Problem) in
    file order, in one transaction; with dry_run, check them the same way and roll it back."""
    from ledger.pipeline import collection_paused

    try:
        with collection_paused():
            return _append_all(store, batches, dry_run=dry_run)
    except _DryRunDone as done:
        return done.result


def _append_all(
    store: Store, batches: Iterable[Sequence[tuple[int, NewEvent | Problem]]], *, dry_run: bool
) -> ImportResult:
    problems: list[Problem] = []
    added = already = 0
    first = last = None
    by_type: dict[str, int] = {}
    with store.appending() as appender:
        for number, event, outcome in append_batches(appender, batches):
            if isinstance(outcome, Problem):
                problems.append(outcome)
            elif isinstance(outcome, UnapprovedError):
                problems.append(Problem(number, outcome.for_import()))
            elif isinstance(outcome, LedgerError):
                problems.append(Problem(number, str(outcome)))
            elif outcome.already_recorded:
                already += 1
            else:
                added += 1
                assert event is not None
                by_type[event.type] = by_type.get(event.type, 0) + 1
                first = first or outcome.seq
                last = outcome.seq
        if problems:
            raise BatchError(sorted(problems, key=lambda problem: problem.line))
        if dry_run:
            # Every row was written inside the transaction (so the database's own checks ran
            # too); leaving by an exception rolls it back.
            raise _DryRunDone(ImportResult(added, already, first, last, by_type, True))
        if added >= ANALYZE_AFTER and added * 10 >= appender.seq:
            # A bulk load (a tenth of the log or more): statistics now, not when autovacuum
            # comes by, so that the first queries after it are not planned for the tables as
            # they were.
            appender.flush()
            schema.fresh_statistics(appender.connection)
    return ImportResult(added, already, first, last, by_type)


def import_lines(
    store: Store, lines: Iterable[Line], actor: str, *, dry_run: bool = False
) -> ImportResult:
    """Import lines already read (line number, record or Problem), all or nothing."""
    from ledger.pipeline import parsed_batches

    return import_batches(store, parsed_batches(lines, actor, IMPORT_BATCH), dry_run=dry_run)


def import_file(
    store: Store,
    path: str | Path,
    actor: str,
    *,
    progress: Callable[[int], None] | None = None,
    format: str | None = None,
    dry_run: bool = False,
    parallel: bool | None = None,
) -> ImportResult:
    """Import a .jsonl or .csv file, all or nothing (see Ledger.import_file). A file without
    any event is an error: importing nothing is most often the wrong file."""
    from ledger.pipeline import can_fork, parsed_file, worth_a_second_process

    parallel = can_fork() and (worth_a_second_process(path) if parallel is None else parallel)
    batches = parsed_file(
        path, actor, IMPORT_BATCH, progress=progress, format=format, parallel=parallel
    )
    with closing(batches):  # type: ignore[type-var]  # a generator, though typed as an Iterator
        result = import_batches(store, batches, dry_run=dry_run)
    if result.added + result.already_recorded == 0:
        raise LedgerError(f"no events in {path}")
    return result
