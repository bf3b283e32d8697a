"""The `Ledger` facade: the one place that wires the store, the rules and the read models, for the
CLI, for tests and for notebooks alike."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Engine, func, or_, select

from ledger import schema
from ledger.chain import (
    EXPORT_COLUMNS,
    ChainReport,
    canonical,
    verify_export_stream,
    verify_rows,
)
from ledger.dates import parse_known_at
from ledger.db import make_engine, read_snapshot, write_transaction
from ledger.errors import (
    BatchError,
    LedgerDatabaseError,
    LedgerError,
    Problem,
    SchemaError,
    UnapprovedError,
    ValidationError,
)
from ledger.io import export_lines, write_csv
from ledger.log import chain_head, head, log_pages, log_rows, stray_rows
from ledger.migrate import ensure_schema, require_schema, upgrade
from ledger.reads.budget import budget_rows
from ledger.reads.commitments import commitment_rows
from ledger.reads.compliance import compliance_rows
from ledger.reads.diff import (
    budget_diff,
    close_events,
    commitment_diff,
    event_diff,
    period_history,
    period_rows,
    spend_diff,
)
from ledger.reads.group import group_rows
from ledger.reads.lists import budget_list, fx_list, region_list, supplier_list, transfer_list
from ledger.reads.policies import policy_rows, policy_series
from ledger.reads.series import region_series
from ledger.reads.shares import share_rows
from ledger.reads.spend import invoice_rows, spend_rows
from ledger.reads.touching import about_region, could_be_about

if TYPE_CHECKING:
    from ledger.events import NewEvent, StoredEvent
    from ledger.projections.rebuild import RebuildReport
    from ledger.store import Appended, Store

# Recording, importing and rebuilding load the event models and the writer when first used: a
# query or a verification never needs them, and they are a good part of a command's start-up.


def _sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database; None for another backend or an in-memory database."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None  # a SQLite URI: the driver decides
    return Path(database)


def _refuse_directory(engine: Engine) -> None:
    path = _sqlite_file(engine)
    if path is not None and path.is_dir():
        raise LedgerError(f"--db: {path} is a directory, not a ledger file")


def _refuse_missing_file(engine: Engine) -> None:
    path = _sqlite_file(engine)
    if path is not None and not path.exists():
        raise SchemaError(f"no ledger at {path} (create one with ledger init)")


def _where(engine: Engine) -> str:
    """Where a ledger was looked for, for a message: a SQLite path, else the URL without its
    password."""
    path = _sqlite_file(engine)
    if path is not None:
        return f"at {path}"
    from ledger.db import describe_url

    return f"in {describe_url(engine)}"


def default_actor() -> str:
    """--actor, else LEDGER_ACTOR, else the OS login name."""
    actor = os.environ.get("LEDGER_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


# Lines checked together: their documents are looked up in one query, their rows written in one
# executemany per table.
IMPORT_BATCH = 5000
LOG_BATCH = 1000  # rows per fetch when `iter_log` streams the log


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_recorded: int
    first_seq: int | None
    last_seq: int | None
    added_by_type: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


class _DryRunDone(Exception):
    """Leaves the import's transaction by an exception, so that it is rolled back."""

    def __init__(self, result: ImportResult):
        self.result = result


@dataclass(frozen=True)
class Knowledge:
    """What a query may see: events with seq ≤ upto_seq (None: everything). `note` says when
    the limit leaves out every event of a log that has some (an empty answer is then no answer)."""

    upto_seq: int | None = None
    note: str | None = field(default=None, compare=False)


class Ledger:
    """An open ledger database. `Ledger.open()` creates the schema of a new database;
    `Ledger.open(db, create=False)` opens only an existing ledger and writes nothing."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._login_actor: tuple[str | None] | None = None

    @cached_property
    def store(self) -> Store:
        from ledger.rules import check_event
        from ledger.store import Store

        return Store(self.engine, check_event)

    @classmethod
    def open(
        cls, db: str | os.PathLike | None = None, *, create: bool = True, any_revision: bool = False
    ) -> Ledger:
        """Open the ledger at db (a URL or a SQLite path). With create (the default, for
        notebooks), a missing database and an empty one get the schema. Without it, the ledger
        must exist at the current revision (with any_revision, at any: for `status`, which
        reports an older one): nothing is created, migrated or written, which is what every
        command but `init` and `demo` wants, and what a read-only standby allows."""
        engine = make_engine(db)
        try:
            _refuse_directory(engine)
            if create:
                ensure_schema(engine)
            else:
                # Before connecting: SQLite's connect creates a missing file.
                _refuse_missing_file(engine)
                require_schema(engine, _where(engine), any_revision=any_revision)
        except LedgerDatabaseError as error:
            engine.dispose()
            raise LedgerDatabaseError(
                error.reason, orig=error.orig, context="--db: cannot open the database"
            ) from None
        except LedgerError:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def open_for_init(cls, db: str | os.PathLike | None = None) -> Ledger:
        """The database at db as it is, for `init` to create or upgrade its schema."""
        engine = make_engine(db)
        try:
            _refuse_directory(engine)
        except LedgerError:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def where(self) -> str:
        """Where the ledger is, for a message: "at PATH" (SQLite) or "in URL" (no password)."""
        return _where(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def init(self) -> tuple[str | None, str]:
        """Create or upgrade the schema. An upgrade may reshape read models, so after one they
        are rebuilt from the log."""
        before, after = upgrade(self.engine)
        if before is not None and before != after:
            # From the chain alone: rows outside it (which an old revision let in) are named by
            # `ledger verify`, and must not stop the upgrade.
            self.rebuild(outside_rows_ok=True)
        return before, after

    # -- recording ----------------------------------------------------------------------------

    def recording_actor(self) -> str:
        """The actor of an event recorded without one: where the database binds actors to login
        roles (PostgreSQL, `ledger db bind-actors`), the login role; else LEDGER_ACTOR, else the
        OS login name. Asked once per open ledger."""
        if self._login_actor is None:
            from ledger.privileges import login_actor

            self._login_actor = (login_actor(self),)
        return self._login_actor[0] or default_actor()

    def record(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        effective: date | str | None = None,
        actor: str | None = None,
        reason: str | None = None,
        event_id: str | None = None,
    ) -> Appended:
        """Append one event; returns its seq (or the existing one when already recorded). An
        approval without an event_id gets the one made from its approval id (SPEC §5)."""
        from ledger.events import ApprovalGranted, NewEvent, approval_event_id

        if event_id is None and type == ApprovalGranted.type:
            approval = payload.get("approval")
            event_id = approval_event_id(approval) if isinstance(approval, str) else None

        event = NewEvent.create(
            type,
            date.today() if effective is None else effective,
            payload,
            actor=actor or self.recording_actor(),
            reason=reason,
            event_id=event_id,
        )
        return self.append(event)

    def append(self, event: NewEvent) -> Appended:
        with self.store.appending() as appender:
            return appender.append(event)

    def import_lines(
        self,
        lines: Iterable[tuple[int, dict | Problem]],
        *,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> ImportResult:
        """All or nothing: every line is checked (against the log and the lines before it); any
        problem rolls the whole batch back and is reported with every other one. A dry run
        checks the same way, in the same transaction, and then rolls it back."""
        from ledger.pipeline import parsed_batches

        batches = parsed_batches(lines, actor or self.recording_actor(), IMPORT_BATCH)
        return self._import_batches(batches, dry_run=dry_run)

    def _import_batches(self, batches: Iterable[list], *, dry_run: bool) -> ImportResult:
        """Append the lines of an import, given in batches of (line number, NewEvent or Problem)
        in file order."""
        from ledger.pipeline import collection_paused

        try:
            with collection_paused():
                return self._append_batches(batches, dry_run=dry_run)
        except _DryRunDone as done:
            return done.result

    def _append_batches(self, batches: Iterable[list], *, dry_run: bool) -> ImportResult:
        problems: list[Problem] = []
        added = already = 0
        first = last = None
        by_type: dict[str, int] = {}
        with self.store.appending() as appender:
            for batch in batches:
                parsed: list[tuple[int, NewEvent]] = []
                for number, item in batch:
                    if isinstance(item, Problem):
                        problems.append(item)
                    else:
                        parsed.append((number, item))
                appender.prefetch(event for _, event in parsed)
                for number, event in parsed:
                    try:
                        result = appender.append(event)
                    except UnapprovedError as error:
                        problems.append(Problem(number, error.for_import()))
                        continue
                    except LedgerError as error:
                        problems.append(Problem(number, str(error)))
                        continue
                    if result.already_recorded:
                        already += 1
                    else:
                        added += 1
                        by_type[event.type] = by_type.get(event.type, 0) + 1
                        first = first or result.seq
                        last = result.seq
                # Even after a problem: later lines are checked against the earlier ones, and
                # the transaction is rolled back at the end, so nothing is kept.
                appender.end_batch()
            if problems:
                raise BatchError(sorted(problems, key=lambda problem: problem.line))
            if dry_run:
                # Every row was written inside the transaction (so the database's own checks
                # ran too); leaving by an exception rolls it back.
                raise _DryRunDone(ImportResult(added, already, first, last, by_type, True))
        return ImportResult(added, already, first, last, by_type)

    def import_file(
        self,
        path: str | Path,
        *,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
        format: str | None = None,
        dry_run: bool = False,
        parallel: bool | None = None,
    ) -> ImportResult:
        """Import a .jsonl or .csv file (or `format` "jsonl"/"csv" whatever its name), all or
        nothing; with dry_run, check it whole and write nothing. A file without any event is an
        error: importing nothing is most often the wrong file. A large file is read and
        validated in a second process while this one writes (`parallel`: None decides by the
        file's size and whether a core is idle, False never, True whenever the system can); the
        outcome is the same either way."""
        from ledger.pipeline import can_fork, parsed_file, worth_a_second_process

        parallel = can_fork() and (worth_a_second_process(path) if parallel is None else parallel)
        batches = parsed_file(
            path,
            actor or self.recording_actor(),
            IMPORT_BATCH,
            progress=progress,
            format=format,
            parallel=parallel,
        )
        with closing(batches):
            result = self._import_batches(batches, dry_run=dry_run)
        if result.added + result.already_recorded == 0:
            raise LedgerError(f"no events in {path}")
        return result

    # -- reading the log ----------------------------------------------------------------------

    def events(self, *, upto_seq: int | None = None) -> Iterator[StoredEvent]:
        """Every event in seq order, streamed."""
        with self.engine.connect() as connection:
            yield from self.store.stream(connection, upto_seq=upto_seq)

    def head(self) -> tuple[int, str]:
        with self.engine.connect() as connection:
            return head(connection)

    def export_events(self, out: IO[str], *, upto_seq: int | None = None) -> int:
        """Write the log as CSV (SPEC §5), a page at a time; returns the number of rows."""
        write_csv(out, EXPORT_COLUMNS, [])
        count = 0
        with self.engine.connect() as connection:
            for page in log_pages(connection, upto_seq=upto_seq):
                out.write(export_lines(page))
                count += len(page)
        return count

    def verify(self) -> ChainReport:
        """Re-check the chain of the whole log, straight from the stored rows, then account for
        every row of the table: one outside the chain 1…N, or a second row for a seq, fails. In
        one snapshot, so that appends committed meanwhile are neither half seen nor miscounted."""
        with read_snapshot(self.engine) as connection:
            report = verify_rows(log_rows(connection))
            if not report.ok:
                return report
            strays = stray_rows(connection, report.count)
        if strays:
            seq, problem = strays[0]
            more = f" (and {len(strays) - 1} more such rows)" if len(strays) > 1 else ""
            return ChainReport(report.count, report.head, seq, problem + more)
        return report

    def verify_deep(self) -> tuple[ChainReport, str | None]:
        """verify(), then every event of the chain re-checked against the entry rules (SPEC
        §3.1) in log order, without writing here: (the chain's report, the first rule broken as
        "seq N: field: problem", or None)."""
        report = self.verify()
        if not report.ok:
            return report, None
        from ledger.deep import first_invalid_event, read_model_digests

        # The read models and the head they stand for, in one snapshot: appends committed
        # meanwhile are left for the next check.
        with read_snapshot(self.engine) as connection:
            with connection.begin():
                upto_seq = chain_head(connection)[0]
                digests = read_model_digests(connection)
        return report, first_invalid_event(self, upto_seq=upto_seq, read_models=digests)

    @staticmethod
    def verify_export(path: str | Path) -> ChainReport:
        """Re-check an exported CSV without the database, strictly (ledger.chain.read_export):
        raises IntegrityError naming the line and seq of the first problem."""
        try:
            # utf-8-sig: an export written with --excel starts with a byte order mark.
            with open(path, newline="", encoding="utf-8-sig") as stream:
                return verify_export_stream(stream, str(path))
        except OSError as error:
            raise LedgerError(f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise LedgerError(
                f"{path}: not an export of `ledger export events` (not UTF-8 text)"
            ) from None

    def log(
        self,
        *,
        types: tuple[str, ...] = (),
        effective_from: date | None = None,
        effective_to: date | None = None,
        region: str | None = None,
        document: str | None = None,
        knowledge: Knowledge = Knowledge(),
        limit: int | None = None,
        after_seq: int | None = None,
    ) -> list[StoredEvent]:
        """Events matching every filter given: types, an effective date range, a region (the
        events that touch it, and those that name it as their region: its opening and period
        events), an order, lease, receipt, invoice or payment id, seq after `after_seq`."""
        return list(
            self.iter_log(
                types=types,
                effective_from=effective_from,
                effective_to=effective_to,
                region=region,
                document=document,
                knowledge=knowledge,
                limit=limit,
                after_seq=after_seq,
            )
        )

    def iter_log(
        self,
        *,
        types: tuple[str, ...] = (),
        effective_from: date | None = None,
        effective_to: date | None = None,
        region: str | None = None,
        document: str | None = None,
        knowledge: Knowledge = Knowledge(),
        limit: int | None = None,
        after_seq: int | None = None,
    ) -> Iterator[StoredEvent]:
        """As `log`, but yielding events as they are read (a server-side cursor on PostgreSQL),
        so that a long listing starts at once and holds one batch in memory."""
        from ledger.store import row_to_event

        events = schema.events
        query = select(events).order_by(events.c.seq)
        if types:
            query = query.where(events.c.type.in_(types))
        if effective_from:
            query = query.where(events.c.effective >= effective_from)
        if effective_to:
            query = query.where(events.c.effective <= effective_to)
        if region:
            with self.engine.connect() as connection:
                query = query.where(could_be_about(connection, region, knowledge.upto_seq))
        if document:
            query = query.where(
                or_(
                    *(
                        self._payload_has(field, document)
                        for field in ("order", "lease", "receipt", "invoice", "payment")
                    )
                )
            )
        if knowledge.upto_seq is not None:
            query = query.where(events.c.seq <= knowledge.upto_seq)
        if after_seq is not None:
            query = query.where(events.c.seq > after_seq)
        if limit and not region:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=LOG_BATCH).execute(query)
            if not region:
                for row in result:
                    yield row_to_event(row)
                return
            # Whether an amendment or a payment touches the region depends on its document:
            # decided per batch, looked up on a second connection while the first streams.
            left = limit or None
            with self.engine.connect() as lookups:
                about = about_region(lookups, region, knowledge.upto_seq)
                for rows in result.partitions(LOG_BATCH):
                    for row in about(rows):
                        yield row_to_event(row)
                        if left is not None:
                            left -= 1
                            if left == 0:
                                return

    def _payload_has(self, field: str, code: str):
        """The stored payload holds field: code. A plain substring test on the canonical text:
        codes are case-sensitive, and SQLite's LIKE ignores ASCII case, so not LIKE."""
        position = func.strpos if self.engine.dialect.name == "postgresql" else func.instr
        return position(schema.events.c.payload, canonical({field: code})[1:-1]) > 0

    # -- read models --------------------------------------------------------------------------

    def rebuild(self, *, check: bool = False, outside_rows_ok: bool = False) -> RebuildReport:
        """Rebuild every read model from the chain. With check, compare and change nothing.
        Holds the write lock throughout, so appends wait for it (and it for them). A row outside
        the chain (unless outside_rows_ok), or an event the read models cannot take (valid hash,
        invalid content), raises IntegrityError naming its seq, and nothing is written."""
        from ledger.errors import IntegrityError, LedgerConstraintError
        from ledger.log import chain_head
        from ledger.projections.rebuild import RebuildReport, compare, rebuild, snapshot

        try:
            with write_transaction(self.engine, commit=not check) as connection:
                if check:
                    snapshot(connection)
                upto_seq = chain_head(connection)[0]
                strays = [] if outside_rows_ok else stray_rows(connection, upto_seq)
                if strays:
                    seq, problem = strays[0]
                    raise IntegrityError(
                        f"seq {seq}: {problem}; run `ledger verify`; nothing was rebuilt"
                    )
                report = rebuild(connection, upto_seq=upto_seq, exclusive=not check)
                if check:
                    report = RebuildReport(report.events, report.rows, compare(connection))
        except LedgerConstraintError:
            # A constraint of a read model refused a row (an order placed twice, say): the entry
            # rules name the event behind it, without writing anything.
            finding = self.verify_deep()[1]
            if finding is None:
                raise
            raise IntegrityError(
                f"{finding}; the read models cannot take it, nothing was rebuilt"
            ) from None
        return report

    # -- queries ------------------------------------------------------------------------------

    def knowledge(self, *, known_at: object = None, upto_seq: int | None = None) -> Knowledge:
        """The knowledge limit of a query: --known-at T or --upto-seq N, never both. Because
        recorded_at never decreases along seq, "known at T" is "seq up to the last one recorded
        by T"."""
        if known_at is not None and upto_seq is not None:
            raise ValidationError("give --known-at or --upto-seq, not both", "known_at")
        if upto_seq is not None:
            if upto_seq < 0:
                raise ValidationError("must not be negative", "upto_seq")
            note = None
            if upto_seq == 0:
                with self.engine.connect() as connection:
                    if connection.execute(select(schema.events.c.seq).limit(1)).first():
                        note = "--upto-seq 0 leaves out every event (the first is seq 1)"
            return Knowledge(upto_seq, note)
        if known_at is None:
            return Knowledge()
        try:
            limit = parse_known_at(known_at)
        except ValueError as error:
            raise ValidationError(str(error), "known_at") from None
        events = schema.events
        with self.engine.connect() as connection:
            seq = connection.execute(
                select(func.max(events.c.seq)).where(events.c.recorded_at <= limit)
            ).scalar()
            first = (
                None
                if seq
                else connection.execute(
                    select(events.c.recorded_at).order_by(events.c.seq).limit(1)
                ).scalar()
            )
        note = None
        if first is not None:
            note = f"no event was recorded by {limit} (the first was recorded at {first})"
        return Knowledge(seq or 0, note)

    def check_region(self, code: str | None) -> None:
        """Refuse a region code that no event of the log names as a region, naming the known
        ones: a typo must not read as an empty answer. Every region ever opened counts, whatever
        the as-of date or knowledge limit (those still give no rows for a region opened later)."""
        if code is None:
            return
        regions = schema.regions
        with self.engine.connect() as connection:
            known = sorted(connection.execute(select(regions.c.region)).scalars())
        if code in known:
            return
        listing = ", ".join(known) if known else "none (no region has been opened)"
        raise ValidationError(f"unknown region {code[:64]!r}; known: {listing}")

    def events_other_than(self, event_ids: Iterable[str]) -> int:
        """How many events of the log have an event_id outside the given ones."""
        events = schema.events
        wanted = sorted(set(event_ids))
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(events).where(events.c.event_id.not_in(wanted))
            ).scalar()

    def _query(self, function, **kwargs) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return function(connection, **kwargs)

    def query_budget(
        self,
        *,
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Budget, committed, remaining and utilization per region for one year, as of a date."""
        as_of = as_of or date.today()
        return self._query(
            budget_rows,
            as_of=as_of,
            year=year or as_of.year,
            region=region,
            upto_seq=knowledge.upto_seq,
        )

    def query_commitments(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
        year: int | None = None,
    ) -> list[dict[str, Any]]:
        """Every order and lease placed or signed by the as-of date, with its committed total
        (and, with `year`, the part of it charged to that budget year)."""
        return self._query(
            commitment_rows,
            as_of=as_of or date.today(),
            region=region,
            upto_seq=knowledge.upto_seq,
            year=year,
        )

    def query_shares(
        self,
        *,
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
        basis: str = "value",
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Supplier shares of each region's orders charged to one year, as of a date."""
        as_of = as_of or date.today()
        return self._query(
            share_rows,
            as_of=as_of,
            year=year or as_of.year,
            region=region,
            basis=basis,
            upto_seq=knowledge.upto_seq,
        )

    def query_spend(
        self,
        *,
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Budget, committed, received, invoiced, paid, open, payable and remaining per region
        for one year, as of a date (SPEC §4.7)."""
        as_of = as_of or date.today()
        return self._query(
            spend_rows,
            as_of=as_of,
            year=year or as_of.year,
            region=region,
            upto_seq=knowledge.upto_seq,
        )

    def query_group(
        self,
        *,
        currency: str,
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
        rate_date: date | None = None,
        via: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Each region's budget, committed, remaining, invoiced and paid for one year in one
        reporting currency, at the rates in force on `rate_date` (default: as_of), then the
        group total (region `*`; not with a region). `via` converts through a third currency
        when a region's currency has no rate of its own to `currency`."""
        from ledger.events import parse_currency

        as_of = as_of or date.today()
        return self._query(
            group_rows,
            as_of=as_of,
            year=year or as_of.year,
            region=region,
            upto_seq=knowledge.upto_seq,
            currency=parse_currency(currency, "currency"),
            rate_date=rate_date,
            via=None if via is None else parse_currency(via, "via"),
        )

    def invoices(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Every invoice received by the as-of date, with what is paid of it and its status."""
        return self._query(
            invoice_rows, as_of=as_of or date.today(), region=region, upto_seq=knowledge.upto_seq
        )

    def series(
        self, *, region: str, year: int, dates: Iterable[date], knowledge: Knowledge = Knowledge()
    ) -> list:
        """Budget, committed and supplier shares of one region and year at each of `dates` (in
        date order, duplicates once), computed in one sweep: each point equals query_budget and
        query_shares for the region at its date (see ledger.reads.series)."""
        with self.engine.connect() as connection:
            return region_series(connection, region, year, list(dates), knowledge.upto_seq)

    def compliance(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """One or more rows per enabled policy in force at the as-of date (SPEC §4.5)."""
        return self._query(
            compliance_rows,
            as_of=as_of or date.today(),
            region=region,
            upto_seq=knowledge.upto_seq,
        )

    def policies(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Every policy set by the as-of date, enabled or not, with its settings then."""
        return self._query(
            policy_rows, as_of=as_of or date.today(), region=region, upto_seq=knowledge.upto_seq
        )

    def policy_series(
        self, *, region: str, policy: str, dates: Iterable[date], knowledge: Knowledge = Knowledge()
    ) -> dict[date, dict[str, Any] | None]:
        """The first enabled `policy` of `region` in force at each date (a `policies` row), or
        None, reading the region's policy changes once."""
        return self._query(
            policy_series,
            region=region,
            policy=policy,
            dates=list(dates),
            upto_seq=knowledge.upto_seq,
        )

    # -- master data (SPEC §5 lists) ----------------------------------------------------------

    def regions(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Regions opened by the as-of date, by code, with their country, currency and opening date."""
        return self._query(
            region_list, as_of=as_of or date.today(), region=region, upto_seq=knowledge.upto_seq
        )

    def suppliers(
        self, *, as_of: date | None = None, knowledge: Knowledge = Knowledge()
    ) -> list[dict[str, Any]]:
        """Suppliers and lessors registered by the as-of date, by code."""
        return self._query(supplier_list, as_of=as_of or date.today(), upto_seq=knowledge.upto_seq)

    def fx_rates(
        self,
        *,
        as_of: date | None = None,
        base: str | None = None,
        quote: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Every rate event in effect by the as-of date, in (effective, seq) order."""
        return self._query(
            fx_list,
            as_of=as_of or date.today(),
            base=base,
            quote=quote,
            upto_seq=knowledge.upto_seq,
        )

    def budgets(
        self,
        *,
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Every budget revision in effect by the as-of date (all years unless `year`), in
        (effective, seq) order, with its reason."""
        return self._query(
            budget_list,
            as_of=as_of or date.today(),
            year=year,
            region=region,
            upto_seq=knowledge.upto_seq,
        )

    def approvals(self, *, knowledge: Knowledge = Knowledge()) -> list[dict[str, Any]]:
        """Every known approval in seq order (any as-of date), with the seq of the event it
        approves when the log holds it."""
        from ledger.reads.approvals import approval_list

        return self._query(approval_list, upto_seq=knowledge.upto_seq)

    def approve(
        self,
        event_id: str,
        digest: str,
        *,
        reason: str | None,
        approval: str | None = None,
        actor: str | None = None,
        effective: date | str | None = None,
        envelope_id: str | None = None,
    ) -> Appended:
        """Record approval.granted for one version (digest) of the event `event_id`. The approval
        id defaults to one made from the event id; the approval's own envelope event_id follows
        from the approval id (SPEC §5), so the same approval recorded twice adds nothing."""
        from ledger.events import approval_event_id, parse_event_id

        event_id = parse_event_id(event_id)
        approval = approval or f"A-{event_id}"
        return self.record(
            "approval.granted",
            {"approval": approval, "event_id": event_id, "digest": digest},
            effective=effective,
            actor=actor,
            reason=reason,
            event_id=envelope_id or approval_event_id(approval),
        )

    def digest(self, event: NewEvent) -> str:
        """digest(E) of SPEC §4.9: what an approval of this event must name."""
        from ledger.rules import digest_of

        return digest_of(event)

    def budget_transfers(
        self,
        *,
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Every budget transfer in effect by the as-of date (all years unless `year`; from or
        to `region` when given), in (effective, seq) order, with what the receiver gained."""
        return self._query(
            transfer_list,
            as_of=as_of or date.today(),
            year=year,
            region=region,
            upto_seq=knowledge.upto_seq,
        )

    # -- closed periods and restatements (SPEC §4.6) --------------------------------------------

    def periods(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Per region opened by the as-of date: its closed-through date and latest period event."""
        return self._query(
            period_rows, as_of=as_of or date.today(), region=region, upto_seq=knowledge.upto_seq
        )

    def period_history(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Every period event of the regions opened by the as-of date, in seq order, with the
        closed-through date it left."""
        return self._query(
            period_history, as_of=as_of or date.today(), region=region, upto_seq=knowledge.upto_seq
        )

    def last_close(
        self, region: str, *, knowledge: Knowledge = Knowledge(), which: int | date | None = None
    ) -> Knowledge:
        """The knowledge limit right after one of the region's `period.closed` events within
        `knowledge`: what the figures reported at that close were computed from. `which`: None
        for the last close, a seq for that close, a date for the last close through that day."""
        closes = self._query(close_events, region=region, upto_seq=knowledge.upto_seq)
        if not closes:
            raise LedgerError(
                f"region {region}: no period.closed is known, so there is no close to "
                "compare from; give --from-seq or --from-known-at"
            )
        if which is None:
            return Knowledge(closes[-1][0])
        found = [seq for seq, through in closes if which in (seq, through)]
        if not found:
            known = ", ".join(f"seq {seq} through {through.isoformat()}" for seq, through in closes)
            asked = f"seq {which}" if isinstance(which, int) else f"through {which.isoformat()}"
            raise LedgerError(f"region {region}: no close {asked}; its closes: {known}")
        return Knowledge(found[-1])

    def diff_budget(
        self,
        *,
        before: Knowledge,
        after: Knowledge = Knowledge(),
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
    ) -> list[dict[str, Any]]:
        """The budget report as of a date at two knowledge limits: rows that print differently."""

        as_of = as_of or date.today()
        return self._query(
            budget_diff,
            as_of=as_of,
            year=year or as_of.year,
            region=region,
            before=before.upto_seq,
            after=after.upto_seq,
        )

    def diff_spend(
        self,
        *,
        before: Knowledge,
        after: Knowledge = Knowledge(),
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
    ) -> list[dict[str, Any]]:
        """The spend report as of a date at two knowledge limits: rows that print differently."""
        as_of = as_of or date.today()
        return self._query(
            spend_diff,
            as_of=as_of,
            year=year or as_of.year,
            region=region,
            before=before.upto_seq,
            after=after.upto_seq,
        )

    def diff_commitments(
        self,
        *,
        before: Knowledge,
        after: Knowledge = Knowledge(),
        as_of: date | None = None,
        region: str | None = None,
    ) -> list[dict[str, Any]]:
        """Orders and leases whose status or committed total differs between two limits."""
        return self._query(
            commitment_diff,
            as_of=as_of or date.today(),
            region=region,
            before=before.upto_seq,
            after=after.upto_seq,
        )

    def diff_events(
        self,
        *,
        before: Knowledge,
        after: Knowledge = Knowledge(),
        as_of: date | None = None,
        region: str | None = None,
    ) -> list[dict[str, Any]]:
        """The events between two limits, effective by the as-of date, that touch a region."""
        return self._query(
            lambda connection, **kwargs: list(event_diff(connection, **kwargs)),
            as_of=as_of or date.today(),
            region=region,
            before=before.upto_seq or 0,
            after=after.upto_seq,
        )
