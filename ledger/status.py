"""What `ledger status` reports about an open ledger: where it lives, what it holds, and whether
it can record (a hot standby, a read-only role), read without writing anything."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect

from ledger.db import describe_url
from ledger.schema import SCHEMA_REVISION
from ledger.semantics.periods import PERIOD_TYPES, period_states
from ledger.sql import markers
from ledger.upcasting import upcast

if TYPE_CHECKING:
    from ledger.app import Ledger


@dataclass(frozen=True)
class Status:
    database: str
    backend: str
    server_version: str
    schema_revision: str | None
    read_only: bool
    standby: bool
    events: int
    head_seq: int
    head_hash: str | None
    head_recorded_at: str | None
    # region → closed-through date (None: books open again), for regions with period events.
    closed_through: dict[str, str | None] = field(default_factory=dict)
    # On a standby: how far it has replayed the primary's WAL.
    replay_lsn: str | None = None
    replayed_at: str | None = None
    # PostgreSQL: the controllers (None: the database checks none) and whether the
    # database binds actors to login roles; both None on SQLite.
    controllers: tuple[str, ...] | None = None
    actors_bound: bool | None = None
    # PostgreSQL: every role that can change or remove events (the owner, superusers, roles
    # holding UPDATE, DELETE or TRUNCATE on the log), as (role, why).
    changers: tuple[tuple[str, str], ...] = ()

    @property
    def problem(self) -> str | None:
        """What is wrong with the table, seen without verifying it: rows beyond the chain."""
        if self.events == self.head_seq:
            return None
        return (
            f"the events table holds {self.events} rows but its chain runs 1…{self.head_seq}; "
            "run `ledger verify`"
        )

    def _revision(self) -> str:
        if self.schema_revision is None:
            return "none (not a ledger database yet)"
        if self.schema_revision != SCHEMA_REVISION:
            return (
                f"{self.schema_revision} (this ledger reads {SCHEMA_REVISION}: "
                "run `ledger init` to upgrade it; events are never rewritten)"
            )
        return self.schema_revision

    def facts(self) -> dict:
        """What lines() says, as JSON values for programs: counts as integers, times as ISO
        text, None for what does not apply (controllers and bound actors on SQLite, the head of
        an empty log, the replay of a primary); "ok" false and "error" when rows lie beyond
        the chain."""
        return {
            "ok": self.problem is None,
            "database": self.database,
            "backend": self.backend,
            "server_version": self.server_version,
            "schema_revision": self.schema_revision,
            "schema_revision_read": SCHEMA_REVISION,
            "read_only": self.read_only,
            "standby": self.standby,
            "events": self.events,
            "head": (
                {
                    "seq": self.head_seq,
                    "hash": self.head_hash,
                    "recorded_at": self.head_recorded_at,
                }
                if self.head_seq
                else None
            ),
            "controllers_enforced": (
                None if self.actors_bound is None else self.controllers is not None
            ),
            "controllers": list(self.controllers) if self.controllers is not None else None,
            "actors_bound": self.actors_bound,
            "can_change_the_log": [{"role": role, "why": why} for role, why in self.changers],
            "closed_through": dict(sorted(self.closed_through.items())),
            "replay": (
                {"lsn": self.replay_lsn, "last_commit": self.replayed_at} if self.standby else None
            ),
            **({"error": self.problem} if self.problem else {}),
        }

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs, in the order a person reads them."""
        lines = [
            ("database", self.database),
            ("backend", f"{self.backend} {self.server_version}"),
            ("schema revision", self._revision()),
            (
                "read-only",
                ("yes (a hot standby)" if self.standby else "yes") if self.read_only else "no",
            ),
            ("events", str(self.events)),
        ]
        if self.head_seq:
            lines += [
                ("head seq", str(self.head_seq)),
                ("head hash", self.head_hash or ""),
                ("head recorded_at", self.head_recorded_at or ""),
            ]
        if self.actors_bound is not None:
            lines += [
                (
                    "controllers",
                    "not enforced (no controller granted)"
                    if self.controllers is None
                    else (", ".join(self.controllers) or "none (every controller revoked)"),
                ),
                (
                    "actors bound",
                    "yes (each event's actor is the login role recording it)"
                    if self.actors_bound
                    else "no",
                ),
            ]
        if self.changers:
            lines.append(
                (
                    "can change the log",
                    ", ".join(f"{role} ({why})" for role, why in self.changers),
                )
            )
        for region, through in sorted(self.closed_through.items()):
            lines.append((f"closed through ({region})", through or "open (reopened)"))
        if self.standby:
            lines += [
                ("replayed to", self.replay_lsn or "nothing yet"),
                ("last replayed commit", self.replayed_at or "none yet"),
            ]
        return lines


def ledger_status(ledger: Ledger) -> Status:
    from ledger.migrate import current_revision

    engine = ledger.engine
    revision = current_revision(engine)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            version = connection.exec_driver_sql("SHOW server_version").scalar()
            read_only = connection.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            standby = bool(connection.exec_driver_sql("SELECT pg_is_in_recovery()").scalar())
        else:
            version = sqlite3.sqlite_version
            path = engine.url.database
            read_only = path is not None and os.path.exists(path) and not os.access(path, os.W_OK)
            standby = False
        has_log = inspect(connection).has_table("events")
        events, head = _head(connection) if has_log else (0, None)
        replay: tuple | None = None
        if standby:
            replay = connection.exec_driver_sql(
                "SELECT pg_last_wal_replay_lsn()::text, "
                "to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
            ).first()
        replay_lsn, replayed_at = replay if replay else (None, None)
        versioned = has_log and any(
            column["name"] == "version" for column in inspect(connection).get_columns("events")
        )
        closed = closed_through(connection, versioned) if has_log else {}
        rules = None
        if postgres and has_log:
            from ledger.privileges import role_rules_of

            rules = role_rules_of(connection)
        changers: tuple[tuple[str, str], ...] = ()
        if postgres and has_log:
            from ledger.privileges import roles_that_can_change_the_log

            changers = tuple(roles_that_can_change_the_log(connection))
    return Status(
        database=describe_url(engine),
        backend="postgresql" if postgres else "sqlite",
        server_version=str(version),
        schema_revision=revision,
        read_only=read_only,
        standby=standby,
        events=events,
        head_seq=head[0] if head else 0,
        head_hash=head[1] if head else None,
        head_recorded_at=head[2] if head else None,
        closed_through=closed,
        replay_lsn=replay_lsn,
        replayed_at=replayed_at,
        controllers=rules.controllers if rules else None,
        actors_bound=rules.actors_bound if rules else None,
        changers=changers,
    )


def _head(connection: Connection) -> tuple[int, tuple[int, str, str] | None]:
    """The number of rows and the head the next append extends (the end of the run of seqs from
    1), not the highest seq: a row forged far beyond the chain must not show as its head."""
    from ledger.log import chain_head

    count = connection.exec_driver_sql("SELECT count(*) FROM events").scalar() or 0
    seq, digest, recorded_at = chain_head(connection)
    return count, (seq, digest, recorded_at) if seq else None


def closed_through(connection: Connection, versioned: bool = True) -> dict[str, str | None]:
    """Each region's closed-through date, as ISO text (None: its books are open again), folded
    by the closed-books rule itself (ledger.semantics.periods). Read from the log by type, so
    it works on any ledger, whatever read models it has; each payload brought to the current
    version of its type first (a log older than event versions, `versioned` False, holds
    version 1 only). Status reads without verifying: a period event whose payload names no
    region, or no date as a date, is left out rather than stopping the report."""
    version = "version" if versioned else "1"
    rows = connection.exec_driver_sql(
        f"SELECT seq, type, {version}, payload FROM events "
        f"WHERE type IN ({markers(connection, 2)}) ORDER BY seq",
        PERIOD_TYPES,
    )
    readable = (
        (seq, type_, document)
        for seq, type_, stored_version, payload in rows
        if _readable(document := upcast(type_, stored_version, json.loads(payload)))
    )
    return {
        region: state.closed_through.isoformat() if state.closed_through else None
        for region, state in period_states(readable).items()
    }


def _readable(document: object) -> bool:
    if not (isinstance(document, dict) and isinstance(document.get("region"), str)):
        return False
    through = document.get("through")
    if through is None:
        return True
    try:
        return isinstance(through, str) and bool(date.fromisoformat(through))
    except ValueError:
        return False
