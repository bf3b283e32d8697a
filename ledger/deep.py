"""`verify --deep`: every event of the log re-checked against the entry rules (SPEC §3.1).

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
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from ledger.chain import canonical
from ledger.errors import LedgerError, UnapprovedError
from ledger.money import canonical_decimal

if TYPE_CHECKING:
    from ledger.app import Ledger
    from ledger.events import StoredEvent

REPLAY_BATCH = 5000


def first_invalid_event(
    ledger: Ledger,
    *,
    upto_seq: int | None = None,
    read_models: dict[str, tuple[int, int]] | None = None,
) -> str | None:
    """ "seq N: field: problem" for the first event of the log (up to upto_seq) that the entry
    rules refuse, or whose stored form is not the one an append writes; None when all pass.
    With `read_models` (read_model_digests of the ledger, at upto_seq), the read models the
    replay built are then compared with them: "read models: TABLE …" names the first table
    that differs."""
    from ledger.app import Ledger
    from ledger.events import NewEvent
    from ledger.replay import PayloadReader
    from ledger.store import batched
    from ledger.upcasting import upcast

    # Each payload checked by the import's fast validator, the model itself for the rest.
    read = PayloadReader()

    with tempfile.TemporaryDirectory(prefix="ledger-deep-") as folder:
        scratch = Ledger.open(Path(folder) / "scratch.db")
        try:
            with scratch.store.appending() as appender:
                for batch in batched(ledger.events(upto_seq=upto_seq), REPLAY_BATCH):
                    parsed: list[tuple[StoredEvent, NewEvent]] = []
                    for stored in batch:
                        if not isinstance(stored.payload, dict):
                            return f"seq {stored.seq}: payload: not a JSON object"
                        try:
                            payload = upcast(stored.type, stored.version, stored.payload)
                        except (LedgerError, LookupError, TypeError, ValueError) as error:
                            return (
                                f"seq {stored.seq}: {stored.type} version {stored.version} cannot be "
                                f"upcast ({str(error)[:200] or type(error).__name__})"
                            )
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
                            return f"seq {stored.seq}: {error}"
                        problem = _stored_form(payload, stored, event)
                        if problem:
                            return f"seq {stored.seq}: {problem}"
                        parsed.append((stored, event))
                    appender.prefetch(event for _, event in parsed)
                    for stored, event in parsed:
                        try:
                            appended = appender.append(event)
                        except UnapprovedError as error:
                            return f"seq {stored.seq}: {error.for_verify()}"
                        except LedgerError as error:
                            return f"seq {stored.seq}: {error}"
                        if appended.already_recorded:
                            return (
                                f"seq {stored.seq}: event_id: {stored.event_id} is recorded twice"
                            )
                    appender.end_batch()
            if read_models is not None:
                with scratch.engine.connect() as connection:
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
            scratch.close()
    return None


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


def _same_json(written: dict, stored: dict) -> bool:
    """Whether two payloads surely have the same canonical JSON, without writing it: equal, and
    every value a string, an integer or a boolean of the same type on both sides (1, 1.0 and
    True are equal in Python, not in JSON). Anything else is left to canonical()."""
    if written != stored:
        return False
    return all(
        type(value) is type(stored[name]) and type(value) in _SCALARS
        for name, value in written.items()
    )


_SCALARS = (str, int, bool)


def _stored_form(payload: dict, stored: StoredEvent, event) -> str | None:
    """What differs between an event as stored and as an append would have stored it. An event
    of an older version is compared in the form its upcasters bring it to (they return the
    stored form of the current version)."""
    written = event.payload.canonical()
    if not _same_json(written, payload) and canonical(written) != canonical(payload):
        fields = sorted(
            name
            for name in {*written, *payload}
            if canonical(written.get(name)) != canonical(payload.get(name))
        )
        named = fields[0] if fields and fields[0].isidentifier() else "payload"
        return f"{named}: not in the form an append stores for {stored.type} (SPEC §2.2)"
    if event.event_id != stored.event_id:
        return "event_id: not a UUID in its stored form"
    if event.reason != stored.reason or event.actor != stored.actor:
        return "actor or reason: not in its stored form"
    return None
