"""Moving a ledger: its log copied into another database, or restored from an audit export.

Every envelope field is written as stored (seq, event_id, recorded_at, actor, reason, the payload
text, prev_hash, hash), so the head hash is the same on both sides. The source's chain is
re-checked from seq 1 while the rows stream past (chain.verify_rows), and the target's read
models are built from the copied rows by the replay path (ledger.replay), which checks each
event against its type and the codes the log knows by then; all in one transaction on the
target that holds its append lock: a failure anywhere writes nothing.

The target may already hold a prefix of the same chain (its head has the source's hash at the
same seq): then only the missing events are written, so repeating a copy keeps it up to date.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from ledger import schema
from ledger.chain import ENVELOPE_PROBLEMS, chain_report, read_export, verify_rows
from ledger.db import describe_url, lock_for_append, make_engine, sqlite_file
from ledger.errors import IntegrityError, LedgerError
from ledger.log import LOG_COLUMNS, head, log_pages, log_rows, stray_rows
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
    """The target holds a row that is not the source's row of the same seq: (seq, why)."""

    def __init__(self, seq: int, why: str):
        super().__init__(seq, why)
        self.seq, self.why = seq, why


class _Invalid(Exception):
    """A chained event whose content a replay cannot take: (seq, why)."""

    def __init__(self, seq: int, why: str):
        super().__init__(seq, why)
        self.seq, self.why = seq, why


# The fields a kept row is compared by: the export's columns, then the payload version.
_COMPARED = (*LOG_COLUMNS, "version")


def _kept_rows(connection: Connection, upto_seq: int) -> Iterator[tuple]:
    """The target's own rows 1…upto_seq (with their version), a wrongly typed value on SQLite
    being a difference of the target, not an error of the source."""
    if not upto_seq:
        return
    try:
        yield from log_rows(connection, upto_seq=upto_seq, with_version=True)
    except IntegrityError as error:
        message = str(error)
        seq = message.split(":", 1)[0].removeprefix("seq ")
        raise _Diverged(int(seq) if seq.isdigit() else 1, message) from None


class _Loader:
    """Writes the rows after the target's head (events and read models) as they stream past,
    after comparing every row the target already holds with the source's row of the same seq."""

    def __init__(self, connection: Connection):
        from ledger.replay import Replay

        # Each event is checked as it is replayed: its type and version, its payload against
        # its model, and every code it names known to the log by then.
        self.replay = Replay(connection, write_events=True, known_codes=True)
        self.appender = self.replay.appender
        self.target_seq, self.target_hash = self.appender.seq, self.appender.hash
        self.kept = _kept_rows(connection, self.target_seq)
        self.pending: list[tuple] = []

    @property
    def copied(self) -> int:
        return self.replay.count

    @property
    def progress(self) -> Progress | None:
        return self.replay.progress

    @progress.setter
    def progress(self, progress: Progress | None) -> None:
        self.replay.progress = progress

    def tap(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        """Pass the rows on to the chain check; each row the check has passed (the generator
        resumes only when the next row is asked for) is compared with the target's row of the
        same seq, or kept to be written when the target lacks it."""
        target_seq = self.target_seq
        kept = self.kept
        for row in rows:
            yield row[:10]
            seq = row[0]
            if seq > target_seq:
                self.pending.append(row)
                if len(self.pending) >= COPY_BATCH:
                    self.write()
                continue
            theirs = next(kept, None)
            if theirs is None:
                raise _Diverged(seq, "the target has no row there")
            ours = tuple(row)
            if ours != theirs[: len(ours)]:
                field = next(
                    name
                    for name, mine, other in zip(_COMPARED, ours, theirs, strict=False)
                    if mine != other
                )
                raise _Diverged(seq, f"its {field} differs")

    def write(self) -> None:
        """Write and replay the rows kept so far. A copied row carries its payload version; an
        export's does not, so a restore infers it from the payload's
        shape."""
        from ledger.replay import ReplayError

        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            self.replay.batch(batch)
        except ReplayError as error:
            raise _Invalid(error.seq, _first_line(error.error)) from None


def _first_line(error: BaseException) -> str:
    """One line for an error of a replay: a validation error's first problem, with its field."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            location = ".".join(str(part) for part in first["loc"])[:60]
            message = str(first["msg"]).removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                message = "unknown field"
            return f"{location}: {message}"[:200] if location else message[:200]
        except (LookupError, TypeError):
            pass
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:200]


def _load(
    target: Ledger,
    rows: Callable[[], Iterator[tuple]],
    source_count: int,
    source_name: str,
    progress: Callable[[int], Progress] | None,
    *,
    checked: bool = False,
) -> MoveResult:
    """The common part of copy and restore: `rows()` streams the source's rows from seq 1, once;
    the target's own rows are read once beside them. The rows' chain is verified as they pass,
    unless `checked` says that `rows()` itself does (raising on the first row that breaks it)."""
    with target.engine.connect().execution_options(ledger_write=True) as connection:
        with connection.begin():
            lock_for_append(connection)
            # Controllers or bound actors: only the owner keeps every actor (SPEC §5).
            require_owner_when_enforced(connection)
            loader = _Loader(connection)
            strays = stray_rows(connection, loader.target_seq)
            if strays:
                # A row beyond the target's chain, a second row for a seq, or a gap: the target
                # is not a prefix of any chain, whatever the source holds.
                seq, problem = strays[0]
                first = (
                    seq
                    if type(seq) is int and 1 <= seq <= loader.target_seq
                    else loader.target_seq + 1
                )
                where = f"seq {seq!r}: " if seq is not None else ""
                raise _refusal(first, source_name, f"{where}{problem}")
            if connection.dialect.name == "postgresql" and source_count > loader.target_seq:
                _require_owner(connection)
            if progress is not None:
                loader.progress = progress(max(source_count - loader.target_seq, 0))
            try:
                report = (chain_report if checked else verify_rows)(loader.tap(rows()))
            except _Diverged as diverged:
                raise _refusal(diverged.seq, source_name, diverged.why) from None
            except _Invalid as invalid:
                raise _invalid(invalid.seq, source_name, invalid.why) from None
            if not report.ok:
                # A failed verification names its problem and the seq it broke at.
                assert report.problem is not None and report.broken_seq is not None
                if report.problem.startswith(ENVELOPE_PROBLEMS):
                    raise _invalid(report.broken_seq, source_name, report.problem)
                raise IntegrityError(
                    f"{source_name}: seq {report.broken_seq}: {report.problem} "
                    f"({report.count} events before it verify); nothing was written"
                )
            if loader.target_seq > report.count:
                raise _refusal(
                    report.count + 1, source_name, f"the target is longer than {source_name}"
                )
            try:
                loader.write()
            except _Invalid as invalid:
                raise _invalid(invalid.seq, source_name, invalid.why) from None
            loader.appender.flush()
            if loader.copied:
                schema.fresh_statistics(connection)
    return MoveResult(loader.copied, loader.target_seq, report.count, report.head)


def _require_owner(connection: Connection) -> None:
    """On PostgreSQL only the owner of `events` may write a recorded_at the server's clock did
    not just give (its trigger refuses any other login): a copy or a restore keeps them all."""
    owner, login = connection.exec_driver_sql(
        "SELECT pg_get_userbyid(relowner), current_user FROM pg_class "
        "WHERE oid = 'events'::regclass"
    ).one()
    if owner != login:
        raise LedgerError(
            f"copy and restore keep every event's recorded_at, which on PostgreSQL only the "
            f"owner of events may write: connect as {owner} (not {login}); nothing was written"
        )


def _refusal(seq: int, source_name: str, why: str) -> LedgerError:
    """The target holds events that are not a prefix of the source, from `seq` on."""
    return LedgerError(
        f"the target differs from {source_name} from seq {seq} on ({why}; it is neither "
        "empty nor a prefix of the same chain); nothing was written"
    )


def _invalid(seq: int, source_name: str, why: str) -> LedgerError:
    """An event that is chained but that a replay cannot take."""
    return IntegrityError(
        f"{source_name}: seq {seq}: {why}; the event is chained but invalid "
        "(`ledger verify --deep` names the rule it breaks); nothing was written"
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
    try:
        return Ledger.verify_export(path)
    except IntegrityError as error:
        seq, _, problem = str(error).partition(": ")
        if problem.startswith(ENVELOPE_PROBLEMS):
            raise IntegrityError(
                f"{path}: {seq}: {problem}; the event is chained but invalid "
                "(`ledger verify --deep` names the rule it breaks); nothing was written"
            ) from None
        raise


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
        # The file was checked whole just above; read_export checks it again as it streams (the
        # checks verify_rows makes of stored rows), so a file changed in between still writes
        # nothing.
        with open(path, newline="", encoding="utf-8-sig") as stream:
            yield from read_export(stream, str(path))

    return _load(target, rows, report.count, str(path), progress, checked=True)


@contextmanager
def opened_target(db: str | None, label: str = "--db") -> Iterator[Ledger]:
    """The ledger at `db` for a copy or a restore to write into, created when missing. A SQLite
    file it creates is written under a temporary name next to it and renamed only when the
    command is complete, so a failed or killed copy leaves no half-made ledger at that path; a
    PostgreSQL database it creates (through the server's `postgres` database) is dropped again
    when the command fails. `label` names the option or argument `db` came from in an error
    about opening it."""
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
    path = sqlite_file(engine)
    url = engine.url
    engine.dispose()
    if path is not None and not path.parent.is_dir():
        raise LedgerError(f"cannot create {path}: the folder {path.parent} does not exist")
    created = path is not None and not path.exists()
    partial = (
        path.with_name(f".{path.name}.partial-{os.getpid()}")
        if path is not None and created
        else None
    )
    database = None if path is not None else _create_postgres_database(url)
    opened = db if partial is None else url.set(database=str(partial)).render_as_string(False)
    try:
        try:
            target = Ledger.open(opened, create=True)
        except LedgerError as error:
            raise named(error) from None
        with target:
            yield target
        if partial is not None:
            assert path is not None  # a partial copy is made only for a new SQLite file
            if path.exists():
                raise LedgerError(
                    f"cannot create {path}: it appeared while the copy ran; the copy is kept "
                    f"as {partial}"
                )
            os.replace(partial, path)
    except BaseException:
        if partial is not None:
            _remove_sqlite(partial)
        if database is not None:
            _drop_postgres_database(url, database)
        raise


def _remove_sqlite(path: Path) -> None:
    for leftover in (
        path,
        *(path.with_name(path.name + end) for end in ("-journal", "-wal", "-shm")),
    ):
        leftover.unlink(missing_ok=True)


def _server(url) -> Engine | None:
    """The server's `postgres` database, as the same login, for CREATE and DROP DATABASE."""
    if url.get_backend_name() != "postgresql" or not url.database:
        return None
    return make_engine(url.set(database="postgres").render_as_string(hide_password=False))


def _create_postgres_database(url) -> str | None:
    """Create the PostgreSQL database of `url` when the server has none of that name; returns
    its name when it was created here (None when it existed, or when the server cannot say)."""
    try:
        server = _server(url)
    except LedgerError:
        return None
    if server is None:
        return None
    name = url.database
    try:
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first():
                return None
            quote = server.dialect.identifier_preparer.quote
            connection.exec_driver_sql(f"CREATE DATABASE {quote(name)}")
            return name
    except LedgerError:
        return None  # no right to look or create: opening the target says what is wrong
    finally:
        server.dispose()


def _drop_postgres_database(url, name: str) -> None:
    server = _server(url)
    if server is None:
        return
    try:
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            quote = server.dialect.identifier_preparer.quote
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
    except LedgerError:
        pass  # the failure itself is what the user must see
    finally:
        server.dispose()


def _same_database(one: Engine, other: Engine) -> bool:
    """Whether two engines reach the same ledger, however their URLs are spelled (a relative and
    an absolute path, a symlink, localhost and 127.0.0.1): a copy onto its own source would
    report "up to date" and leave the user without the copy they asked for."""
    first, second = sqlite_file(one), sqlite_file(other)
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
