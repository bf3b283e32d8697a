"""`verify --deep`: every event of the log re-checked against the entry rules.

The hash chain proves that nothing changed since an event was appended, not that the event was
valid: a writer who computes hashes itself can append a quantity of -5 or an order in a region
never opened. Here each event is checked as an append would check it, in log order, by
replaying the log into a scratch ledger: a SQLite file in a temporary folder, deleted afterwards.
A scratch ledger rather than a transaction on the ledger itself that is rolled back: it writes
nothing to the ledger's database, so it works for a read-only role or file too, and it never
holds the ledger's write lock while it runs.

The read models the replay built are then compared with the ledger's own, table by table (as
`rebuild --check` does, but without writing): a writer maintains them, so it could make every
reader's figures lie while the log itself stays sound.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable
from contextlib import closing
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from ledger.chain import canonical
from ledger.errors import LedgerError, Problem, UnapprovedError
from ledger.money import canonical_decimal

if TYPE_CHECKING:
    from ledger.events import NewEvent
    from ledger.replay import PayloadReader
    from ledger.stored import StoredEvent

REPLAY_BATCH = 5000


def first_invalid_event(
    events: Iterable[StoredEvent],
    *,
    read_models: dict[str, tuple[int, int]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
) -> str | None:
    """ "seq N: field: problem" for the first of the log's `events` (in seq order) that the
    entry rules refuse, or whose stored form is not the one an append writes; None when all
    pass. With `read_models` (read_model_digests of the ledger, at the last of `events`), the
    read models the replay built are then compared with them: "read models: TABLE …" names the
    first table that differs. `progress(done, total)` is told after each batch replayed."""
    from ledger.db import make_engine
    from ledger.importing import append_batches
    from ledger.migrate import ensure_schema
    from ledger.replay import PayloadReader
    from ledger.rules import check_event
    from ledger.store import Store, batched

    with tempfile.TemporaryDirectory(prefix="ledger-deep-") as folder:
        scratch = make_engine(Path(folder) / "scratch.db")
        try:
            ensure_schema(scratch)
            store = Store(scratch, check_event)
            # Each payload checked by the import's fast validator, the model itself for the rest.
            read = PayloadReader()
            batches = (_parsed(batch, read) for batch in batched(events, REPLAY_BATCH))
            done = 0
            with store.appending() as appender, closing(append_batches(appender, batches)) as steps:
                for stored, _event, outcome in steps:
                    if isinstance(outcome, Problem):
                        return f"seq {stored.seq}: {outcome.message}"
                    if isinstance(outcome, UnapprovedError):
                        return f"seq {stored.seq}: {outcome.for_verify()}"
                    if isinstance(outcome, LedgerError):
                        return f"seq {stored.seq}: {outcome}"
                    if outcome.already_recorded:
                        return f"seq {stored.seq}: event_id: {stored.event_id} is recorded twice"
                    done += 1
                    if progress is not None and done % REPLAY_BATCH == 0:
                        progress(done, total)
            if progress is not None:
                progress(done, total)
            if read_models is not None:
                with scratch.connect() as connection:
                    replayed = read_model_digests(connection)
                for name, (rows, digest) in read_models.items():
                    if replayed.get(name) != (rows, digest):
                        expected = replayed.get(name, (0, 0))[0]
                        return (
                            f"read models: {name} differs from a replay of the log ({rows} rows "
                            f"here, {expected} from the replay; a row was changed, added or "
                            "removed); `ledger rebuild` builds them again from the log"
                        )
        finally:
            scratch.dispose()
    return None


def _parsed(
    batch: list[StoredEvent], read: PayloadReader
) -> list[tuple[StoredEvent, NewEvent | Problem]]:
    """Each stored event of a batch as the NewEvent an append would take, up to the first that
    cannot be one (its Problem, which ends the batch)."""
    from ledger.upcasting import upcast

    parsed: list[tuple[StoredEvent, NewEvent | Problem]] = []
    for stored in batch:
        if not isinstance(stored.payload, dict):
            return [*parsed, (stored, Problem(stored.seq, "payload: not a JSON object"))]
        try:
            payload = upcast(stored.type, stored.version, stored.payload)
        except (LedgerError, LookupError, TypeError, ValueError) as error:
            problem = (
                f"{stored.type} version {stored.version} cannot be "
                f"upcast ({str(error)[:200] or type(error).__name__})"
            )
            return [*parsed, (stored, Problem(stored.seq, problem))]
        try:
            event = read.new_event(
                stored.type,
                stored.effective,
                payload,
                actor=stored.actor,
                reason=stored.reason,
                event_id=stored.event_id,
            )
        except LedgerError as error:
            return [*parsed, (stored, Problem(stored.seq, str(error)))]
        different = _stored_form(payload, stored, event)
        if different:
            return [*parsed, (stored, Problem(stored.seq, different))]
        parsed.append((stored, event))
    return parsed


def _normal(value):
    """A read-model value in one form on both backends: NUMERIC's scale and SQLite's text
    amounts alike become canonical decimal text, dates ISO text."""
    if isinstance(value, Decimal):
        return canonical_decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def read_model_digests(connection: Connection) -> dict[str, tuple[int, int]]:
    """Per read model, its number of rows and a digest of them as a set (the sum of each row's
    hash), streamed in constant memory and independent of row order and of the backend."""
    from ledger import schema

    digests = {}
    for table in schema.READ_MODELS:
        rows = 0
        total = 0
        result = connection.execution_options(yield_per=REPLAY_BATCH).execute(select(table))
        for row in result:
            rows += 1
            text = repr(tuple(map(_normal, row)))
            total += int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest())
        result.close()
        digests[table.name] = (rows, total % (1 << 128))
    return digests


def _stored_form(payload: dict, stored: StoredEvent, event) -> str | None:
    """What differs between an event as stored and as an append would have stored it. An event
    of an older version is compared in the form its upcasters bring it to (they return the
    stored form of the current version)."""
    written = event.payload.canonical()
    if canonical(written) != canonical(payload):
        fields = sorted(
            name
            for name in {*written, *payload}
            if canonical(written.get(name)) != canonical(payload.get(name))
        )
        named = fields[0] if fields and fields[0].isidentifier() else "payload"
        return f"{named}: not in the form an append stores for {stored.type}"
    if event.event_id != stored.event_id:
        return "event_id: not a UUID in its stored form"
    if event.reason != stored.reason or event.actor != stored.actor:
        return "actor or reason: not in its stored form"
    return None
