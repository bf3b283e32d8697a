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
            current = str(connection.execute(text("SELECT current_schema()")).scalar())
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


# -- controllers and bound actors -----------------------------------------------------
#
# Both are triggers on `events`, installed by the owner of the ledger's tables (who alone can
# drop or disable them: a writer holds no right on the table but SELECT and INSERT). They judge
# `session_user`, the role that logged in, never `current_user`: SET ROLE and SECURITY DEFINER
# functions change the latter only. The owner of `events` (and a superuser, who can do anything
# anyway) is exempt, so that migrations, `copy` and `restore` keep every event as recorded.

CONTROLLER_TYPES = (
    "budget.revised",
    "budget.transferred",
    "policy.changed",
    "period.closed",
    "period.reopened",
    "approval.granted",
)
# The SQLSTATEs of the two refusals (class "LD": the ledger's own), which ledger.db turns into
# one line.
CONTROLLER_REFUSED = "LDC01"
ACTOR_REFUSED = "LDA01"
CONTROLLER_TRIGGER = "ledger_controllers"
ACTOR_TRIGGER = "ledger_bound_actors"
_IS_OWNER = (
    "pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')"
)


@dataclass(frozen=True)
class RoleRules:
    """What the database enforces for a ledger: its controllers (None: no controller check) and
    whether actors are bound to login roles."""

    controllers: tuple[str, ...] | None
    actors_bound: bool
    owner: str | None


def controller_group(connection: Connection) -> str:
    """The NOLOGIN role whose members are the controllers of this ledger (one per database and
    schema: roles are shared by every database of a server)."""
    return str(
        connection.execute(
            text(
                "SELECT 'ledger_controllers_' || "
                "left(md5(current_database() || '.' || current_schema()), 16)"
            )
        ).scalar()
    )


def role_rules(target) -> RoleRules:
    """The controllers and bound actors of a ledger (none on SQLite)."""
    engine: Engine = getattr(target, "engine", target)
    if engine.dialect.name != "postgresql":
        return RoleRules(None, False, None)
    with engine.connect() as connection:
        return role_rules_of(connection)


def role_rules_of(connection: Connection) -> RoleRules:
    triggers = set(
        connection.execute(
            text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = "
                "to_regclass(quote_ident(current_schema()) || '.events')"
            )
        ).scalars()
    )
    owner = connection.execute(
        text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'events'"
        )
    ).scalar()
    controllers = None
    if CONTROLLER_TRIGGER in triggers:
        controllers = tuple(
            connection.execute(
                text(
                    "SELECT member.rolname FROM pg_auth_members m "
                    "JOIN pg_roles grp ON grp.oid = m.roleid "
                    "JOIN pg_roles member ON member.oid = m.member "
                    "WHERE grp.rolname = :group ORDER BY member.rolname"
                ),
                {"group": controller_group(connection)},
            ).scalars()
        )
    return RoleRules(controllers, ACTOR_TRIGGER in triggers, owner)


def grant_controller(target, role: str) -> Grant:
    """Make `role` a writer that may also record the controller types (budgets, transfers,
    policies, closes and reopenings, approvals), and turn the database's controller check on for
    the ledger if this is its first controller. Refused as for grant_writer (built-in roles,
    superusers, the owner)."""
    grant = grant_writer(target, role)
    engine: Engine = getattr(target, "engine", target)
    quote = engine.dialect.identifier_preparer.quote
    try:
        with engine.begin() as connection:
            group = controller_group(connection)
            exists = connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :group"), {"group": group}
            ).first()
            if not exists:
                connection.execute(text(f"CREATE ROLE {quote(group)} NOLOGIN"))
            connection.execute(text(f"GRANT {quote(group)} TO {quote(role)}"))
            _install_controller_check(connection, group)
    except LedgerDatabaseError as error:
        raise LedgerDatabaseError(
            error.reason, orig=error.orig, context=f"cannot make {role} a controller"
        ) from None
    return Grant(role, "controller", grant.created, grant.schema)


def _install_controller_check(connection: Connection, group: str) -> None:
    types = ", ".join(f"'{name}'" for name in CONTROLLER_TYPES)
    connection.execute(
        text(
            f"""
            CREATE OR REPLACE FUNCTION ledger_controller_check() RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
            BEGIN
                IF pg_has_role(session_user, '{group}', 'MEMBER') OR {_IS_OWNER} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION USING ERRCODE = '{CONTROLLER_REFUSED}', MESSAGE = format(
                    '%s may be recorded only by a controller, and login role %s is not one '
                    '(the owner can make it one: ledger db grant-controller %s)',
                    NEW.type, session_user, session_user);
            END
            $$
            """
        )
    )
    connection.execute(text(f"DROP TRIGGER IF EXISTS {CONTROLLER_TRIGGER} ON events"))
    connection.execute(
        text(
            f"CREATE TRIGGER {CONTROLLER_TRIGGER} BEFORE INSERT ON events FOR EACH ROW "
            f"WHEN (NEW.type IN ({types})) EXECUTE FUNCTION ledger_controller_check()"
        )
    )
    connection.execute(text("REVOKE ALL ON FUNCTION ledger_controller_check() FROM PUBLIC"))


def bind_actors(target) -> bool:
    """From now on the database refuses an event whose actor is not the login role inserting it
    (the owner of `events` excepted). Returns False when actors were bound already."""
    engine: Engine = getattr(target, "engine", target)
    if engine.dialect.name != "postgresql":
        raise LedgerError(NOT_POSTGRES)
    try:
        with engine.begin() as connection:
            if role_rules_of(connection).actors_bound:
                return False
            connection.execute(
                text(
                    f"""
                    CREATE OR REPLACE FUNCTION ledger_bound_actor_check() RETURNS trigger
                    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
                    BEGIN
                        IF {_IS_OWNER} THEN
                            RETURN NEW;
                        END IF;
                        RAISE EXCEPTION USING ERRCODE = '{ACTOR_REFUSED}', MESSAGE = format(
                            'actor %s is not the login role %s: actors are bound to database '
                            'logins (ledger db bind-actors); record as %s, or log in as %s',
                            quote_literal(NEW.actor), session_user, session_user,
                            quote_literal(NEW.actor));
                    END
                    $$
                    """
                )
            )
            connection.execute(
                text(
                    f"CREATE TRIGGER {ACTOR_TRIGGER} BEFORE INSERT ON events FOR EACH ROW "
                    "WHEN (NEW.actor IS DISTINCT FROM session_user::text) "
                    "EXECUTE FUNCTION ledger_bound_actor_check()"
                )
            )
            connection.execute(
                text("REVOKE ALL ON FUNCTION ledger_bound_actor_check() FROM PUBLIC")
            )
    except LedgerDatabaseError as error:
        raise LedgerDatabaseError(
            error.reason, orig=error.orig, context="cannot bind actors"
        ) from None
    return True


def login_actor(target) -> str | None:
    """The actor a command records under by default: the login role when actors are bound, else
    None (the caller's own default). Refuses a connection whose server login is not the URL's
    user, as through a pooler that maps its clients onto one server user (PgBouncer's
    `user=` in [databases]): every actor would be the same."""
    engine: Engine = getattr(target, "engine", target)
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        if not role_rules_of(connection).actors_bound:
            return None
        login = connection.execute(text("SELECT session_user::text")).scalar()
    named = engine.url.username
    if named and named != login:
        raise LedgerError(
            f"actors are bound to login roles, but this connection logs in to the server as "
            f"{login}, not as {named} (the URL's user): a pooler that maps its clients onto one "
            f"server user would make every actor the same; give each person a pool of their own "
            f"(PgBouncer: no user= in [databases])"
        )
    return login


def require_owner_when_enforced(connection: Connection) -> None:
    """`copy` and `restore` onto a ledger with controllers or bound actors keep every actor as
    recorded, which only the owner of `events` may: refuse any other login, naming the owner."""
    if connection.dialect.name != "postgresql":
        return
    rules = role_rules_of(connection)
    if rules.controllers is None and not rules.actors_bound:
        return
    exempt = connection.execute(
        text(
            "SELECT pg_has_role(session_user, relowner, 'MEMBER'), session_user::text "
            "FROM pg_class WHERE oid = to_regclass(quote_ident(current_schema()) || '.events')"
        )
    ).first()
    if exempt is not None and not exempt[0]:
        enforced = " and ".join(
            part
            for part, on in (
                ("controllers", rules.controllers is not None),
                ("bound actors", rules.actors_bound),
            )
            if on
        )
        raise LedgerError(
            f"the target ledger has {enforced}: copy and restore keep every actor as recorded, "
            f"which only the owner of events may; run it as {rules.owner} (not {exempt[1]})"
        )
