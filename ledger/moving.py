"""Moving a ledger: its log copied into another database, or restored from an audit export.

Every envelope field is written as stored (seq, event_id, recorded_at, actor, reason, the payload
text, prev_hash, hash), so the head hash is the same on both sides. The source's chain is
re-checked from seq 1 while the rows stream past (chain.verify_rows), and the target's read
models are built from the copied rows by the store's replay path, all in one transaction on the
target that holds its append lock: a failure anywhere writes nothing.

The target may already hold a prefix of the same chain (its head has the source's hash at the
same seq): then only the missing events are written, so repeating a copy keeps it up to date.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from ledger import schema
from ledger.chain import canonical, read_export, verify_rows
from ledger.db import describe_url, lock_for_append, make_engine
from ledger.errors import IntegrityError, LedgerError
from ledger.log import head, log_pages, log_rows, stray_rows
from ledger.privileges import require_owner_when_enforced

if TYPE_CHECKING:
    from ledger.app import Ledger

# Rows written and replayed together: the documents their checks need are read in one query.
COPY_BATCH = 5000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class MoveResult:
    """What a copy or a restore did: events written, those the target already held, its head."""

    copied: int
    already_there: int
    head_seq: int
    head_hash: str


class _Diverged(Exception):
    """The target's head is not the source's event at the same seq."""


class _Loader:
    """Writes the rows after the target's head (events and read models) as they stream past."""

    def __init__(self, connection: Connection):
        from ledger.store import Appender

        self.appender = Appender(connection, None)
        self.target_seq, self.target_hash = self.appender.seq, self.appender.hash
        self.pending: list[tuple] = []
        self.copied = 0
        self.progress: Progress | None = None

    def tap(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        """Pass the rows on to the chain check, keeping those the target lacks."""
        for row in rows:
            seq = row[0]
            if seq > self.target_seq:
                self.pending.append(row)
                if len(self.pending) >= COPY_BATCH:
                    self.write()
            elif seq == self.target_seq and row[9] != self.target_hash:
                raise _Diverged
            yield row[:10]

    def write(self) -> None:
        from ledger.events import StoredEvent
        from ledger.upcasting import infer_version

        batch, self.pending = self.pending, []
        if not batch:
            return
        appender = self.appender
        events = []
        for row in batch:
            (
                seq,
                event_id,
                type_,
                effective,
                recorded_at,
                actor,
                reason,
                payload,
                prev_hash,
                digest,
            ) = row[:10]
            document = json.loads(payload)
            # A copied row carries its payload version; an export's does not (SPEC §5 fixes its
            # columns), so a restore infers it from the payload's shape.
            version = row[10] if len(row) > 10 else infer_version(type_, document)
            appender.buffer.add_tuple(schema.events, (*row[:10], version))
            events.append(
                StoredEvent(
                    seq,
                    event_id,
                    type_,
                    date.fromisoformat(effective),
                    recorded_at,
                    actor,
                    reason,
                    document,
                    prev_hash,
                    digest,
                    version,
                )
            )
        appender.current.prefetch_for(
            event.payload for event in events if isinstance(event.payload, dict)
        )
        for event in events:
            appender.replay(event)
        appender.end_batch()
        self.copied += len(batch)
        if self.progress:
            self.progress(len(batch))


def _load(
    target: Ledger,
    rows: Callable[[], Iterator[tuple]],
    source_count: int,
    source_name: str,
    progress: Callable[[int], Progress] | None,
) -> MoveResult:
    """The common part of copy and restore: `rows()` streams the source's rows from seq 1."""
    with target.engine.connect().execution_options(ledger_write=True) as connection:
        with connection.begin():
            lock_for_append(connection)
            # Controllers or bound actors: only the owner keeps every actor (SPEC §5).
            require_owner_when_enforced(connection)
            loader = _Loader(connection)
            if loader.target_seq > source_count:
                raise _refusal(rows, connection, source_name)
            if progress is not None:
                loader.progress = progress(source_count - loader.target_seq)
            try:
                report = verify_rows(loader.tap(rows()))
            except _Diverged:
                raise _refusal(rows, connection, source_name) from None
            if not report.ok:
                raise IntegrityError(
                    f"{source_name}: seq {report.broken_seq}: {report.problem} "
                    f"({report.count} events before it verify); nothing was written"
                )
            loader.write()
            loader.appender.flush()
            if loader.copied and connection.dialect.name == "postgresql":
                # Fresh statistics for the tables just filled: without them the planner guesses
                # a few hundred rows per seq range and sorts the rest of the log for every page
                # a reader fetches (a verify of a fresh 1M-event copy took minutes, not seconds).
                for table in (schema.events, *schema.READ_MODELS):
                    connection.exec_driver_sql(f"ANALYZE {table.name}")
    return MoveResult(loader.copied, loader.target_seq, report.count, report.head)


def _refusal(
    rows: Callable[[], Iterator[tuple]], connection: Connection, source_name: str
) -> LedgerError:
    """The target holds events that are not a prefix of the source: name the first seq where
    the two logs differ (by seq and hash), reading both again side by side."""
    first = 0
    for position, (ours, theirs) in enumerate(zip_longest(rows(), log_rows(connection)), start=1):
        first = position
        if ours is None or theirs is None or (ours[0], ours[9]) != (theirs[0], theirs[9]):
            break
    return LedgerError(
        f"the target differs from {source_name} from seq {first} on "
        "(it is neither empty nor a prefix of the same chain); nothing was written"
    )


def copy_ledger(
    source: Ledger, target: Ledger, progress: Callable[[int], Progress] | None = None
) -> MoveResult:
    """Copy the log of `source` into `target` (empty, or holding a prefix of the same chain).
    Events appended to the source while the copy runs are left for the next copy."""
    if describe_url(source.engine) == describe_url(target.engine) or _same_database(
        source.engine, target.engine
    ):
        raise LedgerError("copy: the target is the source database")
    with source.engine.connect() as reading:
        count, _ = head(reading)
        # As `verify` does: a row outside the chain 1…count (one forged far beyond it, or a
        # second row for a seq) means the source is not sound, and a copy must not look clean.
        strays = stray_rows(reading, count)
        if strays:
            seq, problem = strays[0]
            where = f"seq {seq}: " if seq is not None else ""
            raise IntegrityError(
                f"the source: {where}{problem} (run `ledger verify`); nothing was written"
            )

        def rows() -> Iterator[tuple]:
            for page in log_pages(reading, upto_seq=count, with_version=True):
                yield from page

        return _load(target, rows, count, "the source", progress)


def check_export(path: str | Path):
    """Check an audit export whole, as `verify --export` does (raises on a bad file): before a
    restore opens, or creates, its target."""
    from ledger.app import Ledger

    if not Path(path).is_file():
        # A pipe would be empty the second time: refused, rather than "not an export".
        raise LedgerError(
            f"{path}: not a regular file; restore reads the export twice (checked whole, "
            "then loaded), so save it to a file first"
        )
    return Ledger.verify_export(path)


def restore_export(
    path: str | Path,
    target: Ledger,
    progress: Callable[[int], Progress] | None = None,
    *,
    checked=None,
) -> MoveResult:
    """Load an audit export (`ledger export events`, with or without a byte order mark) into
    `target`, after checking the file as `verify --export` does (unless `checked`, the report
    of check_export, says it was)."""
    report = checked or check_export(path)
    if not report.ok:
        raise IntegrityError(
            f"{path}: seq {report.broken_seq}: {report.problem} "
            f"({report.count} events before it verify); nothing was written"
        )

    def rows() -> Iterator[tuple]:
        # The file was checked whole just above; read_export checks it again as it streams, so
        # a file changed in between still writes nothing.
        with open(path, newline="", encoding="utf-8-sig") as stream:
            for envelope in read_export(stream, str(path)):
                yield (
                    envelope["seq"],
                    envelope["event_id"],
                    envelope["type"],
                    envelope["effective"],
                    envelope["recorded_at"],
                    envelope["actor"],
                    envelope["reason"],
                    canonical(envelope["payload"]),
                    envelope["prev_hash"],
                    envelope["hash"],
                )

    return _load(target, rows, report.count, str(path), progress)


@contextmanager
def opened_target(db: str | None, label: str = "--db") -> Iterator[Ledger]:
    """The ledger at `db` for a copy or a restore to write into, created when missing; when the
    command then fails, a SQLite file it created is removed again, so that a failed copy or
    restore leaves no empty ledger behind that a later command would take for a real one.
    `label` names the option or argument `db` came from in an error about opening it."""
    from ledger.app import Ledger

    def named(error: LedgerError) -> LedgerError:
        message = str(error)
        if label == "--db" or "--db" not in message:
            return error
        return LedgerError(message.replace("--db", label))

    try:
        engine = make_engine(db)
    except LedgerError as error:
        raise named(error) from None
    path = _sqlite_path(engine)
    engine.dispose()
    if path is not None and not path.parent.is_dir():
        raise LedgerError(f"cannot create {path}: the folder {path.parent} does not exist")
    created = path is not None and not path.exists()
    try:
        try:
            target = Ledger.open(db, create=True)
        except LedgerError as error:
            raise named(error) from None
        with target:
            yield target
    except BaseException:
        if created:
            for leftover in (
                path,
                *(path.with_name(path.name + end) for end in ("-journal", "-wal", "-shm")),
            ):
                leftover.unlink(missing_ok=True)
        raise


def _sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite database given by path (None for another backend, memory or a URI)."""
    database = engine.url.database
    if (
        engine.url.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        return None
    return Path(database)


def _same_database(one: Engine, other: Engine) -> bool:
    """Whether two engines reach the same ledger, however their URLs are spelled (a relative and
    an absolute path, a symlink, localhost and 127.0.0.1): a copy onto its own source would
    report "up to date" and leave the user without the copy they asked for."""
    first, second = _sqlite_path(one), _sqlite_path(other)
    if first is not None or second is not None:
        return (
            first is not None
            and second is not None
            and first.exists()
            and second.exists()
            and os.path.samefile(first, second)
        )
    if one.dialect.name != "postgresql" or other.dialect.name != "postgresql":
        return False
    # A server is told apart by its start time and port; the ledger by database and schema.
    query = text(
        "SELECT pg_postmaster_start_time(), current_setting('port'), current_database(), "
        "current_schema()"
    )
    with one.connect() as a, other.connect() as b:
        return tuple(a.execute(query).one()) == tuple(b.execute(query).one())
