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

from sqlalchemy import Connection, Engine, bindparam, text
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
            rights = effective_rights(connection, role, kind)
            if rights:
                # Rolled back with the grant: the role is left as it was.
                raise LedgerError(
                    f"role: {role} could still {', '.join(rights)} events after the grant "
                    f"(through PUBLIC or a role it belongs to; `ledger init` revokes PUBLIC's "
                    f"rights); nothing was granted"
                )
    except LedgerDatabaseError as error:
        raise LedgerDatabaseError(
            error.reason, orig=error.orig, context=f"cannot grant {kind} rights to {role}"
        ) from None
    return Grant(role, kind, created, current)


# Built-in roles whose members can change any table or own the database (PostgreSQL 14 and later).
POWERFUL_BUILT_INS = ("pg_write_all_data", "pg_database_owner")
# The rights on the log that no least-privilege role may hold, whoever gave them (PUBLIC, a role
# it belongs to): a writer adds events, nothing more; a reader not even that.
FORBIDDEN = {
    "writer": ("UPDATE", "DELETE", "TRUNCATE"),
    "reader": ("INSERT", "UPDATE", "DELETE", "TRUNCATE"),
}


def events_owner(connection: Connection) -> str | None:
    return connection.execute(
        text(
            "SELECT pg_get_userbyid(relowner) FROM pg_class "
            "WHERE oid = to_regclass(quote_ident(current_schema()) || '.events')"
        )
    ).scalar()


def _refuse_powerful(connection: Connection, role: str) -> None:
    """Refuse a role that rights cannot limit: a superuser, the owner of the log (or a member of
    the owner's role, which can act as it), a CREATEROLE role (it can grant itself any role), a
    BYPASSRLS role, and members of pg_write_all_data or pg_database_owner; a member of a role
    that is one of these, too (it can SET ROLE to it). A role not created yet is none of these."""
    found = connection.execute(
        text("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = :role"),
        {"role": role},
    ).first()
    if found is None:
        return
    owner = events_owner(connection)
    reason = _power(connection, role, owner)
    if reason:
        raise LedgerError(f"role: {role} {reason}, so it cannot be made a least-privilege role")


def _power(connection: Connection, role: str, owner: str | None) -> str | None:
    """Why `role` can do more than rights allow, or None."""
    rows = connection.execute(
        text(
            "SELECT rolname, rolsuper, rolcreaterole, rolbypassrls FROM pg_roles "
            "WHERE pg_has_role(:role, oid, 'MEMBER') ORDER BY rolname = :role DESC, rolname"
        ),
        {"role": role},
    ).all()
    for name, superuser, createrole, bypassrls in rows:
        through = "" if name == role else f" through its membership in {name}"
        if superuser:
            return f"is a superuser{through}; rights cannot limit it"
        if owner is not None and name == owner:
            if name == role:
                return "owns the ledger's tables (the owner is for migrations, copy and restore)"
            return f"is a member of the owner's role {owner} and can act as it"
        if createrole:
            return f"has CREATEROLE{through}: it can grant itself the owner's role"
        if bypassrls:
            return f"has BYPASSRLS{through}"
        if name in POWERFUL_BUILT_INS:
            return f"is a member of {name}, which can change every table"
    return None


def effective_rights(connection: Connection, role: str, kind: str) -> list[str]:
    """The rights on `events` that `role` holds but a role of this kind must not, however it
    holds them (granted to it, to PUBLIC, or to a role it inherits from)."""
    return [
        right
        for right in FORBIDDEN[kind]
        if connection.execute(
            text("SELECT has_table_privilege(:role, 'events', :right)"),
            {"role": role, "right": right},
        ).scalar()
    ]


def roles_that_can_change_the_log(connection: Connection) -> list[tuple[str, str]]:
    """Every role (built-in roles aside) that can UPDATE, DELETE or TRUNCATE `events`, or that
    rights cannot limit: (role, why), the owner first."""
    owner = events_owner(connection)
    if owner is None:
        return []
    found = []
    built_ins = " ".join(
        f"OR pg_has_role(r.oid, '{name}', 'MEMBER')"
        for (name,) in connection.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname IN :names").bindparams(
                bindparam("names", expanding=True)
            ),
            {"names": list(POWERFUL_BUILT_INS)},
        )
    )
    for (name,) in connection.execute(
        text(
            "SELECT rolname FROM pg_roles AS r WHERE rolname NOT LIKE 'pg\\_%' AND (rolsuper "
            "OR rolcreaterole OR rolbypassrls OR pg_has_role(r.oid, :owner, 'MEMBER') "
            f"OR has_table_privilege(r.oid, 'events', 'UPDATE, DELETE, TRUNCATE') {built_ins}) "
            "ORDER BY rolname <> :owner, rolname"
        ),
        {"owner": owner},
    ):
        why = _power(connection, name, owner)
        if why is None:
            rights = effective_rights(connection, name, "writer")
            if rights:
                why = f"holds {', '.join(rights)} on events"
        if why is not None:
            found.append((name, why.split(";")[0].split(":")[0]))
    return found


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
