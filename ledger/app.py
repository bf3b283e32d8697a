"""The `Ledger` facade: the one place that wires the store, the rules and the read models, for the
CLI, for tests and for notebooks alike. Its methods delegate: the SQL of each read is in
ledger.reads, the import loop in ledger.importing, the log's own reading in ledger.log.

A query loads only the read it makes. Recording, importing and rebuilding load the event models
and the writer when first used: a query or a verification never needs them, and they are a good
part of a command's start-up.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ledger.db import describe_url, make_engine, read_snapshot, sqlite_file, write_transaction
from ledger.errors import LedgerDatabaseError, LedgerError, SchemaError
from ledger.migrate import ensure_schema, require_schema, upgrade
from ledger.reads.limits import Knowledge, as_of_date

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from ledger.chain import ChainReport
    from ledger.errors import Problem
    from ledger.events import NewEvent
    from ledger.importing import ImportResult
    from ledger.projections.rebuild import RebuildReport
    from ledger.store import Appended, Store
    from ledger.stored import StoredEvent

__all__ = ["Knowledge", "Ledger", "default_actor"]

Read = TypeVar("Read")


def _running_total(progress: Callable[[int, int], None], total: int) -> Callable[[int], None]:
    """A callback told each batch's size, passing on (events done so far, total)."""
    done = 0

    def step(batch: int) -> None:
        nonlocal done
        done += batch
        progress(done, total)

    return step


def _refuse_directory(engine: Engine) -> None:
    path = sqlite_file(engine)
    if path is not None and path.is_dir():
        raise LedgerError(f"--db: {path} is a directory, not a ledger file")


def _refuse_missing_file(engine: Engine) -> None:
    path = sqlite_file(engine)
    if path is not None and not path.exists():
        raise SchemaError(f"no ledger at {path} (create one with ledger init)")


def _where(engine: Engine) -> str:
    """Where a ledger was looked for, for a message: a SQLite path, else the URL without its
    password."""
    path = sqlite_file(engine)
    return f"at {path}" if path is not None else f"in {describe_url(engine)}"


def default_actor() -> str:
    """--actor, else LEDGER_ACTOR, else the OS login name."""
    actor = os.environ.get("LEDGER_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


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
        approval without an event_id gets the one made from its approval id."""
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
        from ledger.importing import import_lines

        return import_lines(self.store, lines, actor or self.recording_actor(), dry_run=dry_run)

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
        from ledger.importing import import_file

        return import_file(
            self.store,
            path,
            actor or self.recording_actor(),
            progress=progress,
            format=format,
            dry_run=dry_run,
            parallel=parallel,
        )

    # -- reading the log ----------------------------------------------------------------------

    def events(self, *, upto_seq: int | None = None) -> Iterator[StoredEvent]:
        """Every event in seq order, streamed."""
        with self.engine.connect() as connection:
            yield from self.store.stream(connection, upto_seq=upto_seq)

    def head(self) -> tuple[int, str]:
        from ledger.log import head

        return self._read(head)

    def export_events(self, out: IO[str], *, upto_seq: int | None = None) -> int:
        """Write the log as CSV, a page at a time; returns the number of rows."""
        from ledger.chain import EXPORT_COLUMNS
        from ledger.io import export_lines, write_csv
        from ledger.log import log_pages

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
        from ledger.chain import ChainReport, verify_rows
        from ledger.log import log_rows, stray_rows

        with read_snapshot(self.engine) as connection:
            report = verify_rows(log_rows(connection))
            if not report.ok:
                return report
            strays = stray_rows(connection, report.count)
        if strays:
            seq, problem = strays[0]
            more = f" (and {len(strays) - 1} more such rows)" if len(strays) > 1 else ""
            # The seq as the row holds it: SQLite lets a writer store any type there.
            return ChainReport(report.count, report.head, seq, problem + more)  # type: ignore[arg-type]
        return report

    def verify_deep(
        self, *, progress: Callable[[int, int], None] | None = None
    ) -> tuple[ChainReport, str | None]:
        """verify(), then every event of the chain re-checked against the entry rules in log
        order, without writing here: (the chain's report, the first rule broken as
        "seq N: field: problem", or None). `progress(done, total)` follows the replay."""
        report = self.verify()
        if not report.ok:
            return report, None
        from ledger.deep import first_invalid_event, read_model_digests
        from ledger.log import chain_head

        # The read models and the head they stand for, in one snapshot: appends committed
        # meanwhile are left for the next check.
        with read_snapshot(self.engine) as connection:
            with connection.begin():
                upto_seq = chain_head(connection)[0]
                digests = read_model_digests(connection)
        return report, first_invalid_event(
            self.events(upto_seq=upto_seq),
            read_models=digests,
            progress=progress,
            total=upto_seq,
        )

    @staticmethod
    def verify_export(path: str | Path) -> ChainReport:
        """Re-check an exported CSV without the database, strictly (ledger.chain.read_export):
        raises IntegrityError naming the line and seq of the first problem."""
        from ledger.chain import verify_export_stream

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
        from ledger.reads.log import log_listing
        from ledger.store import row_to_event

        return map(
            row_to_event,
            log_listing(
                self.engine,
                types=types,
                effective_from=effective_from,
                effective_to=effective_to,
                region=region,
                document=document,
                knowledge=knowledge,
                limit=limit,
                after_seq=after_seq,
            ),
        )

    # -- read models --------------------------------------------------------------------------

    def rebuild(
        self,
        *,
        check: bool = False,
        outside_rows_ok: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> RebuildReport:
        """Rebuild every read model from the chain. With check, compare and change nothing.
        `progress(done, total)` is told after each batch of events replayed.
        Holds the write lock throughout, so appends wait for it (and it for them). A row outside
        the chain (unless outside_rows_ok), or an event the read models cannot take (valid hash,
        invalid content), raises IntegrityError naming its seq, and nothing is written."""
        from ledger.errors import IntegrityError, LedgerConstraintError
        from ledger.log import chain_head, stray_rows
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
                report = rebuild(
                    connection,
                    upto_seq=upto_seq,
                    exclusive=not check,
                    progress=None if progress is None else _running_total(progress, upto_seq),
                )
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
        from ledger.reads.limits import knowledge_limit

        return self._read(knowledge_limit, known_at=known_at, upto_seq=upto_seq)

    def check_region(self, code: str | None) -> None:
        """Refuse a region code that no event of the log names as a region, naming the known
        ones: a typo must not read as an empty answer. Every region ever opened counts, whatever
        the as-of date or knowledge limit (those still give no rows for a region opened later)."""
        from ledger.reads.limits import check_region

        self._read(check_region, code=code)

    def events_other_than(self, event_ids: Iterable[str]) -> int:
        """How many events of the log have an event_id outside the given ones."""
        from ledger.reads.log import events_other_than

        return self._read(events_other_than, event_ids=event_ids)

    def _read(self, read: Callable[..., Read], /, **arguments: Any) -> Read:
        """One read of ledger.reads, in one connection."""
        with self.engine.connect() as connection:
            return read(connection, **arguments)

    def snapshot(self) -> Connection:
        """A connection whose reads all see one state of the database, for a caller that runs
        many functions of ledger.reads together (the report): `with ledger.snapshot() as c:`."""
        return read_snapshot(self.engine)

    def _read_year(
        self, read: Callable[..., Read], /, as_of: date | None, year: int | None, **arguments: Any
    ) -> Read:
        """A report of one budget year as of a date: by default the as-of date's year."""
        day = as_of_date(as_of)
        return self._read(read, as_of=day, year=year or day.year, **arguments)

    def query_budget(
        self,
        *,
        as_of: date | None = None,
        year: int | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Budget, committed, remaining and utilization per region for one year, as of a date."""
        from ledger.reads.budget import budget_rows

        return self._read_year(budget_rows, as_of, year, region=region, upto_seq=knowledge.upto_seq)

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
        from ledger.reads.commitments import commitment_rows

        return self._read(
            commitment_rows,
            as_of=as_of_date(as_of),
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
        from ledger.reads.shares import share_rows

        return self._read_year(
            share_rows, as_of, year, region=region, basis=basis, upto_seq=knowledge.upto_seq
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
        for one year, as of a date."""
        from ledger.reads.spend import spend_rows

        return self._read_year(spend_rows, as_of, year, region=region, upto_seq=knowledge.upto_seq)

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
        from ledger.fields import parse_currency
        from ledger.reads.group import group_rows

        return self._read_year(
            group_rows,
            as_of,
            year,
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
        from ledger.reads.spend import invoice_rows

        return self._read(
            invoice_rows, as_of=as_of_date(as_of), region=region, upto_seq=knowledge.upto_seq
        )

    def series(
        self, *, region: str, year: int, dates: Iterable[date], knowledge: Knowledge = Knowledge()
    ) -> list:
        """Budget, committed and supplier shares of one region and year at each of `dates` (in
        date order, duplicates once), computed in one sweep: each point equals query_budget and
        query_shares for the region at its date (see ledger.reads.series)."""
        from ledger.reads.series import region_series

        return self._read(
            region_series, region=region, year=year, dates=list(dates), upto_seq=knowledge.upto_seq
        )

    def compliance(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """One or more rows per enabled policy in force at the as-of date."""
        from ledger.reads.compliance import compliance_rows

        return self._read(
            compliance_rows, as_of=as_of_date(as_of), region=region, upto_seq=knowledge.upto_seq
        )

    def policies(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Every policy set by the as-of date, enabled or not, with its settings then."""
        from ledger.reads.policies import policy_rows

        return self._read(
            policy_rows, as_of=as_of_date(as_of), region=region, upto_seq=knowledge.upto_seq
        )

    def policy_series(
        self, *, region: str, policy: str, dates: Iterable[date], knowledge: Knowledge = Knowledge()
    ) -> dict[date, dict[str, Any] | None]:
        """The first enabled `policy` of `region` in force at each date (a `policies` row), or
        None, reading the region's policy changes once."""
        from ledger.reads.policies import policy_series

        return self._read(
            policy_series,
            region=region,
            policy=policy,
            dates=list(dates),
            upto_seq=knowledge.upto_seq,
        )

    # -- master data ----------------------------------------------------------

    def regions(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Regions opened by the as-of date, by code, with their country, currency and opening date."""
        from ledger.reads.lists import region_list

        return self._read(
            region_list, as_of=as_of_date(as_of), region=region, upto_seq=knowledge.upto_seq
        )

    def suppliers(
        self, *, as_of: date | None = None, knowledge: Knowledge = Knowledge()
    ) -> list[dict[str, Any]]:
        """Suppliers and lessors registered by the as-of date, by code."""
        from ledger.reads.lists import supplier_list

        return self._read(supplier_list, as_of=as_of_date(as_of), upto_seq=knowledge.upto_seq)

    def fx_rates(
        self,
        *,
        as_of: date | None = None,
        base: str | None = None,
        quote: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Every rate event in effect by the as-of date, in (effective, seq) order."""
        from ledger.reads.lists import fx_list

        return self._read(
            fx_list, as_of=as_of_date(as_of), base=base, quote=quote, upto_seq=knowledge.upto_seq
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
        from ledger.reads.lists import budget_list

        return self._read(
            budget_list,
            as_of=as_of_date(as_of),
            year=year,
            region=region,
            upto_seq=knowledge.upto_seq,
        )

    def approvals(self, *, knowledge: Knowledge = Knowledge()) -> list[dict[str, Any]]:
        """Every known approval in seq order (any as-of date), with the seq of the event it
        approves when the log holds it."""
        from ledger.reads.approvals import approval_list

        return self._read(approval_list, upto_seq=knowledge.upto_seq)

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
        from the approval id, so the same approval recorded twice adds nothing."""
        from ledger.events import approval_event_id
        from ledger.fields import parse_event_id

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
        """The digest of an event: what an approval of this event must name."""
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
        from ledger.reads.lists import transfer_list

        return self._read(
            transfer_list,
            as_of=as_of_date(as_of),
            year=year,
            region=region,
            upto_seq=knowledge.upto_seq,
        )

    # -- closed periods and restatements --------------------------------------------

    def periods(
        self,
        *,
        as_of: date | None = None,
        region: str | None = None,
        knowledge: Knowledge = Knowledge(),
    ) -> list[dict[str, Any]]:
        """Per region opened by the as-of date: its closed-through date and latest period event."""
        from ledger.reads.diff import period_rows

        return self._read(
            period_rows, as_of=as_of_date(as_of), region=region, upto_seq=knowledge.upto_seq
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
        from ledger.reads.diff import period_history

        return self._read(
            period_history, as_of=as_of_date(as_of), region=region, upto_seq=knowledge.upto_seq
        )

    def last_close(
        self, region: str, *, knowledge: Knowledge = Knowledge(), which: int | date | None = None
    ) -> Knowledge:
        """The knowledge limit right after one of the region's `period.closed` events within
        `knowledge`: what the figures reported at that close were computed from. `which`: None
        for the last close, a seq for that close, a date for the last close through that day."""
        from ledger.reads.limits import close_limit

        return self._read(close_limit, region=region, knowledge=knowledge, which=which)

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
        from ledger.reads.diff import budget_diff

        return self._read_year(
            budget_diff, as_of, year, region=region, before=before.upto_seq, after=after.upto_seq
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
        from ledger.reads.diff import spend_diff

        return self._read_year(
            spend_diff, as_of, year, region=region, before=before.upto_seq, after=after.upto_seq
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
        from ledger.reads.diff import commitment_diff

        return self._read(
            commitment_diff,
            as_of=as_of_date(as_of),
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
        from ledger.reads.diff import event_diff

        return self._read(
            event_diff,
            as_of=as_of_date(as_of),
            region=region,
            before=before.upto_seq or 0,
            after=after.upto_seq,
        )
