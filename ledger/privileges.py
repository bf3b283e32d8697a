"""Least-privilege PostgreSQL roles: a writer appends to the log, a reader only reads.

The log's own triggers refuse UPDATE, DELETE and TRUNCATE, but the table's owner can disable
them. Roles that hold no such right at all keep the log append-only even then: PostgreSQL
checks privileges before it runs any trigger. So day-to-day writers and auditors should connect
as these roles, and only a migration (`ledger init`) needs the owner.

- writer: USAGE on the schema; SELECT and INSERT on `events`; SELECT, INSERT, UPDATE and DELETE
  on the read models (they are derived: appends update order buckets in place, and `ledger
  rebuild` empties and refills them from the log); SELECT on `alembic_version`; USAGE and SELECT
  on the schema's sequences, if any.
- reader: USAGE on the schema; SELECT on every ledger table.

Granting first revokes every right the role has on the ledger's tables, so the role ends with
exactly these, whatever it held before (a writer made a reader loses INSERT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from ledger import schema
from ledger.db import database_url
from ledger.errors import LedgerDatabaseError, LedgerError

ROLE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
READ_MODEL_TABLES = tuple(table.name for table in schema.READ_MODELS)
LEDGER_TABLES = ("events", *READ_MODEL_TABLES, "alembic_version")
NOT_POSTGRES = (
    "database roles exist only on PostgreSQL; protect a SQLite file with file permissions"
)


@dataclass(frozen=True)
class Grant:
    """What a grant did: the role, whether it was created, and the schema it may use."""

    role: str
    kind: str
    created: bool
    schema: str


def require_postgres(db: str | None) -> None:
    """Refuse, before opening anything, a --db that is not PostgreSQL."""
    if make_url(database_url(db)).get_backend_name() != "postgresql":
        raise LedgerError(NOT_POSTGRES)


def grant_writer(target, role: str) -> Grant:
    """Create `role` if missing (LOGIN, no password) and let it append events and maintain the
    read models, never change or remove an event. `target`: an Engine or a Ledger."""
    return _grant(target, role, "writer")


def grant_reader(target, role: str) -> Grant:
    """Create `role` if missing (LOGIN, no password) and let it read every ledger table."""
    return _grant(target, role, "reader")


def _grant(target, role: str, kind: str) -> Grant:
    engine: Engine = getattr(target, "engine", target)
    if engine.dialect.name != "postgresql":
        raise LedgerError(NOT_POSTGRES)
    if not ROLE_PATTERN.fullmatch(role):
        raise LedgerError(
            f"role: {role[:70]!r} is not a plain role name (letters, digits, '_'; at most 63)"
        )
    quote = engine.dialect.identifier_preparer.quote
    if role.lower().startswith("pg_"):
        raise LedgerError(
            f"role: {role} is a built-in PostgreSQL role (pg_*); grant to a role of your own"
        )
    try:
        with engine.begin() as connection:
            current = connection.execute(text("SELECT current_schema()")).scalar()
            _refuse_powerful(connection, role)
            created = _create_role(connection, role, quote)
            _set_privileges(connection, quote(role), quote(current), kind)
    except LedgerDatabaseError as error:
        raise LedgerDatabaseError(
            error.reason, orig=error.orig, context=f"cannot grant {kind} rights to {role}"
        ) from None
    return Grant(role, kind, created, current)


def _refuse_powerful(connection: Connection, role: str) -> None:
    """Refuse a superuser (rights cannot limit it) and the owner of the log (revoking would take
    its own rights away): neither can be made a least-privilege role."""
    superuser = connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).scalar()
    if superuser:
        raise LedgerError(
            f"role: {role} is a superuser; rights cannot limit it, so it cannot be "
            f"made a least-privilege role"
        )
    owner = connection.execute(
        text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'events'"
        )
    ).scalar()
    if owner == role:
        raise LedgerError(
            f"role: {role} owns the ledger's tables; grant to another role (the owner "
            f"is for migrations only)"
        )


def _create_role(connection: Connection, role: str, quote) -> bool:
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if exists:
        return False
    connection.execute(text(f"CREATE ROLE {quote(role)} LOGIN"))
    return True


def _set_privileges(connection: Connection, role: str, schema_name: str, kind: str) -> None:
    def tables(names) -> str:
        return ", ".join(f"{schema_name}.{name}" for name in names)

    statements = [
        f"REVOKE ALL ON {tables(LEDGER_TABLES)} FROM {role}",
        f"GRANT USAGE ON SCHEMA {schema_name} TO {role}",
    ]
    if kind == "writer":
        statements += [
            f"GRANT SELECT, INSERT ON {tables(['events'])} TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables(READ_MODEL_TABLES)} TO {role}",
            f"GRANT SELECT ON {tables(['alembic_version'])} TO {role}",
        ]
        # No table has one today (seq is assigned by the store), but a future read model might.
        if connection.execute(
            text(
                "SELECT 1 FROM information_schema.sequences WHERE sequence_schema = current_schema()"
            )
        ).first():
            statements.append(
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_name} TO {role}"
            )
    else:
        statements.append(f"GRANT SELECT ON {tables(LEDGER_TABLES)} TO {role}")
    for statement in statements:
        connection.execute(text(statement))
