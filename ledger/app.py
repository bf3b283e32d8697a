"""The `Ledger` facade: the one place that wires the store, the rules and the read models, for the
CLI, for tests and for notebooks alike."""

from __future__ import annotations

import csv
import getpass
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import OperationalError

from ledger import schema
from ledger.chain import ChainReport, canonical, iter_export_envelopes, verify_chain, verify_rows
from ledger.dates import parse_known_at
from ledger.db import make_engine
from ledger.errors import BatchError, LedgerError, Problem, ValidationError
from ledger.io import EXPORT_COLUMNS, export_lines, read_events_file, write_csv
from ledger.log import head, log_pages, log_rows
from ledger.migrate import ensure_schema, upgrade
from ledger.projections import queries

if TYPE_CHECKING:
    from ledger.events import NewEvent, StoredEvent
    from ledger.projections.rebuild import RebuildReport
    from ledger.store import Appended, Store

# Recording, importing and rebuilding load the event models and the writer when first used: a
# query or a verification never needs them, and they are a good part of a command's start-up.


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


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_recorded: int
    first_seq: int | None
    last_seq: int | None


@dataclass(frozen=True)
class Knowledge:
    """What a query may see: events with seq ≤ upto_seq (None: everything)."""

    upto_seq: int | None = None


class Ledger:
    """An open ledger database. `Ledger.open()` creates the schema of a new database."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @cached_property
    def store(self) -> Store:
        from ledger.rules import check_event
        from ledger.store import Store

        return Store(self.engine, check_event)

    @classmethod
    def open(cls, db: str | os.PathLike | None = None, *, create: bool = True) -> Ledger:
        engine = make_engine(db)
        try:
            if create:
                ensure_schema(engine)
        except OperationalError as error:
            raise LedgerError(f"--db: cannot open the database: {error.orig}") from None
        return cls(engine)

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
            self.rebuild()
        return before, after

    # -- recording ----------------------------------------------------------------------------

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
        """Append one event; returns its seq (or the existing one when already recorded)."""
        from ledger.events import NewEvent

        event = NewEvent.create(
            type,
            date.today() if effective is None else effective,
            payload,
            actor=actor or default_actor(),
            reason=reason,
            event_id=event_id,
        )
        return self.append(event)

    def append(self, event: NewEvent) -> Appended:
        with self.store.appending() as appender:
            return appender.append(event)

    def import_lines(
        self, lines: Iterable[tuple[int, dict | Problem]], *, actor: str | None = None
    ) -> ImportResult:
        """All or nothing: every line is checked (against the log and the lines before it); any
        problem rolls the whole batch back and is reported with every other one."""
        from ledger.events import NewEvent
        from ledger.store import batched

        actor = actor or default_actor()
        problems: list[Problem] = []
        added = already = 0
        first = last = None
        with self.store.appending() as appender:
            for batch in batched(lines, IMPORT_BATCH):
                parsed: list[tuple[int, NewEvent]] = []
                for number, record in batch:
                    if isinstance(record, Problem):
                        problems.append(record)
                        continue
                    try:
                        parsed.append((number, NewEvent.from_record(record, default_actor=actor)))
                    except LedgerError as error:
                        problems.append(Problem(number, str(error)))
                appender.prefetch(event for _, event in parsed)
                for number, event in parsed:
                    try:
                        result = appender.append(event)
                    except LedgerError as error:
                        problems.append(Problem(number, str(error)))
                        continue
                    if result.already_recorded:
                        already += 1
                    else:
                        added += 1
                        first = first or result.seq
                        last = result.seq
                # Even after a problem: later lines are checked against the earlier ones, and
                # the transaction is rolled back at the end, so nothing is kept.
                appender.end_batch()
            if problems:
                raise BatchError(sorted(problems, key=lambda problem: problem.line))
        return ImportResult(added, already, first, last)

    def import_file(
        self,
        path: str | Path,
        *,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        return self.import_lines(read_events_file(path, progress), actor=actor)

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
        """Re-check the chain of the whole log, straight from the stored rows."""
        with self.engine.connect() as connection:
            return verify_rows(log_rows(connection))

    @staticmethod
    def verify_export(path: str | Path) -> ChainReport:
        """Re-check an exported CSV without the database."""
        try:
            # utf-8-sig: an export written with --excel starts with a byte order mark.
            with open(path, newline="", encoding="utf-8-sig") as stream:
                reader = csv.DictReader(stream)
                if tuple(reader.fieldnames or ())[: len(EXPORT_COLUMNS)] != EXPORT_COLUMNS:
                    raise LedgerError(f"{path}: not an export of `ledger export events` (header differs)")
                return verify_chain(iter_export_envelopes(reader))
        except OSError as error:
            raise LedgerError(f"cannot read {path}: {error.strerror}") from None
        except (ValueError, KeyError, csv.Error) as error:
            raise LedgerError(f"{path}: line {reader.line_num}: malformed export row ({error})") from None

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
    ) -> list[StoredEvent]:
        """Events matching every filter given: types, an effective date range, a region named
        in the payload, an order or lease id."""
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
            query = query.where(self._payload_has("region", region))
        if document:
            query = query.where(or_(self._payload_has("order", document),
                                    self._payload_has("lease", document)))
        if knowledge.upto_seq is not None:
            query = query.where(events.c.seq <= knowledge.upto_seq)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [row_to_event(row) for row in connection.execute(query)]

    def _payload_has(self, field: str, code: str):
        """The stored payload holds field: code. A plain substring test on the canonical text:
        codes are case-sensitive, and SQLite's LIKE ignores ASCII case, so not LIKE."""
        position = func.strpos if self.engine.dialect.name == "postgresql" else func.instr
        return position(schema.events.c.payload, canonical({field: code})[1:-1]) > 0

    # -- read models --------------------------------------------------------------------------

    def rebuild(self, *, check: bool = False) -> RebuildReport:
        """Rebuild every read model from the log. With check, compare and change nothing."""
        from ledger.projections.rebuild import RebuildReport, compare, rebuild, snapshot

        with self.engine.connect().execution_options(ledger_write=True) as connection:
            transaction = connection.begin()
            try:
                if check:
                    snapshot(connection)
                report = rebuild(connection, self.store.stream(connection))
                if check:
                    differences = compare(connection)
                    report = RebuildReport(report.events, report.rows, differences)
                    transaction.rollback()
                else:
                    transaction.commit()
            except BaseException:
                if transaction.is_active:
                    transaction.rollback()
                raise
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
            return Knowledge(upto_seq)
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
        return Knowledge(seq or 0)

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
        return self._query(queries.budget_rows, as_of=as_of, year=year or as_of.year,
                           region=region, upto_seq=knowledge.upto_seq)

    def query_commitments(
        self, *, as_of: date | None = None, region: str | None = None, knowledge: Knowledge = Knowledge()
    ) -> list[dict[str, Any]]:
        """Every order and lease placed or signed by the as-of date, with its committed total."""
        return self._query(queries.commitment_rows, as_of=as_of or date.today(), region=region,
                           upto_seq=knowledge.upto_seq)

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
        return self._query(queries.share_rows, as_of=as_of, year=year or as_of.year, region=region,
                           basis=basis, upto_seq=knowledge.upto_seq)

    def compliance(
        self, *, as_of: date | None = None, region: str | None = None, knowledge: Knowledge = Knowledge()
    ) -> list[dict[str, Any]]:
        """One or more rows per enabled policy in force at the as-of date (SPEC §4.5)."""
        return self._query(queries.compliance_rows, as_of=as_of or date.today(), region=region,
                           upto_seq=knowledge.upto_seq)

    def policies(
        self, *, as_of: date | None = None, region: str | None = None, knowledge: Knowledge = Knowledge()
    ) -> list[dict[str, Any]]:
        """Every policy set by the as-of date, enabled or not, with its settings then."""
        from ledger.policies import policy_rows

        return self._query(policy_rows, as_of=as_of or date.today(), region=region,
                           upto_seq=knowledge.upto_seq)
