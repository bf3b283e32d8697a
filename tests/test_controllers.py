"""Who may record what, enforced by PostgreSQL itself (SPEC §4.9): controllers (`ledger db
grant-controller`) and bound actors (`ledger db bind-actors`). Tested as an attacker holding a
writer's login would try: through the CLI, a direct INSERT with psql, SET ROLE, a SECURITY
DEFINER function, and by switching the checks off."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from test_approvals import PO_2, REFUSAL

from ledger.privileges import CONTROLLER_TYPES, NOT_POSTGRES, controller_group

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")
MINIMAL = Path(__file__).parent.parent / "fixtures" / "minimal.jsonl"


def cli(url: str, *args: str, actor: str | None = None):
    """`ledger --db URL ARGS`; without `actor`, neither --actor nor LEDGER_ACTOR is given."""
    from commands import main

    options = ["--actor", actor] if actor else []
    return CliRunner(env={"LEDGER_ACTOR": None}).invoke(main, ["--db", url, *options, *args])


@pytest.fixture
def make_role(postgres_url):
    """new(kind) → (a new LOGIN-able role name, the URL that logs in as it); every role made,
    and the ledger's controller group, are dropped afterwards."""
    names: list[str] = []

    def new(kind: str) -> tuple[str, str]:
        name = f"ledger_{kind}_{uuid.uuid4().hex[:10]}"
        names.append(name)
        return name, make_url(postgres_url).set(username=name).render_as_string(hide_password=False)

    yield new
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        names.append(controller_group(connection))
        for name in names:
            if connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}
            ).first():
                connection.execute(text(f'DROP OWNED BY "{name}"'))
                connection.execute(text(f'DROP ROLE "{name}"'))
    admin.dispose()


def sql(url: str, *statements: str, params: dict | None = None):
    """Run statements in one transaction as the URL's role; returns the last result's rows."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            rows = None
            for statement in statements:
                result = connection.execute(text(statement), params or {})
                rows = result.fetchall() if result.returns_rows else None
            return rows
    finally:
        engine.dispose()


def refusal(url: str, *statements: str, params: dict | None = None) -> str:
    """The database's error for statements that must fail (rolled back)."""
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's error, whichever
        sql(url, *statements, params=params)
    return str(caught.value)


# A row for events as a writer could write it by hand: a plausible seq, recorded_at and chain
# links (the hash is not checked by the database: `verify` finds it). The role triggers run
# before the row is stored, whatever its content.
FORGED = (
    "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
    "prev_hash, hash, version) SELECT coalesce(max(seq), 0) + 1, gen_random_uuid()::text, "
    ":type, DATE '2025-01-01', to_char(clock_timestamp() AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), :actor, 'forged', '{}', repeat('0', 64), "
    "repeat('0', 64), 1 FROM events"
)


def given_a_ledger(owner_url: str) -> None:
    assert cli(owner_url, "init").exit_code == 0
    assert cli(owner_url, "import", str(MINIMAL), actor="fixture").exit_code == 0


def event_count(url: str) -> int:
    return sql(url, "SELECT count(*) FROM events")[0][0]


@pytest.fixture
def controlled(postgres_url, make_role):
    """A ledger with a writer and a controller: (owner URL, writer, writer URL, controller,
    controller URL)."""
    given_a_ledger(postgres_url)
    writer, writer_url = make_role("writer")
    controller, controller_url = make_role("controller")
    assert cli(postgres_url, "db", "grant-writer", writer).exit_code == 0
    # Before any controller, a writer may still record a budget.
    before = cli(writer_url, "budget", "revise", "MY", "2025", "100", actor=writer)
    assert before.exit_code == 0, before.output
    granted = cli(postgres_url, "db", "grant-controller", controller)
    assert granted.exit_code == 0, granted.output
    assert granted.stdout == (
        f"created role {controller}: controller on schema {schema_of(postgres_url)}\n"
    )
    return postgres_url, writer, writer_url, controller, controller_url


def schema_of(url: str) -> str:
    return sql(url, "SELECT current_schema()")[0][0]


# -- controllers ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_from_the_first_controller_on_only_controllers_record_budgets(controlled):
    owner_url, writer, writer_url, controller, controller_url = controlled
    count = event_count(owner_url)

    refused = cli(writer_url, "budget", "revise", "CN", "2025", "900000", actor=writer)

    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: refused by the database: budget.revised may be recorded only by a controller, "
        f"and login role {writer} is not one (the owner can make it one: ledger db "
        f"grant-controller {writer})\n"
    )
    assert event_count(owner_url) == count
    # The writer still records everything else; the controller and the owner record budgets.
    assert cli(writer_url, "fx", "set", "EUR", "CNY", "7.8", actor=writer).exit_code == 0
    assert (
        cli(controller_url, "budget", "revise", "CN", "2025", "1", actor=controller).exit_code == 0
    )
    assert cli(owner_url, "budget", "revise", "CN", "2025", "2", actor="owner").exit_code == 0
    assert cli(writer_url, "verify").exit_code == 0


@pytest.mark.postgres
@pytest.mark.parametrize("event_type", CONTROLLER_TYPES)
def test_every_controller_type_is_refused_to_a_direct_insert(controlled, event_type):
    _, writer, writer_url, _, controller_url = controlled

    message = refusal(writer_url, FORGED, params={"type": event_type, "actor": writer})

    assert f"{event_type} may be recorded only by a controller" in message
    assert "ledger db grant-controller" in message
    # The controller passes this check (the row is rolled back).
    sql(controller_url, FORGED, "ROLLBACK", params={"type": event_type, "actor": "x"})


@pytest.mark.postgres
def test_a_direct_insert_with_psql_is_refused(controlled):
    owner_url, writer, _, _, _ = controlled
    url = make_url(owner_url)
    count = event_count(owner_url)
    statement = FORGED.replace(":type", "'policy.changed'").replace(":actor", f"'{writer}'")

    result = subprocess.run(
        [
            "psql",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            writer,
            "-d",
            url.database,
            "-c",
            f"SET search_path = {schema_of(owner_url)}",
            "-c",
            statement,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "policy.changed may be recorded only by a controller" in result.stderr
    assert event_count(owner_url) == count


@pytest.mark.postgres
def test_set_role_and_security_definer_functions_do_not_make_a_controller(controlled, make_role):
    owner_url, writer, writer_url, controller, _ = controlled
    # A role with insert rights the writer may SET ROLE to: still the writer's login.
    helper, _ = make_role("helper")
    sql(owner_url, f'CREATE ROLE "{helper}" NOLOGIN', f'GRANT "{helper}" TO "{writer}"')
    assert cli(owner_url, "db", "grant-writer", helper).exit_code == 0
    params = {"type": "budget.revised", "actor": writer}
    assert "only by a controller" in refusal(
        writer_url, f'SET ROLE "{helper}"', FORGED, params=params
    )
    # Neither the controller nor the owner can be SET ROLE to.
    assert "permission denied" in refusal(writer_url, f'SET ROLE "{controller}"')
    assert "permission denied" in refusal(writer_url, "SET ROLE postgres")
    # SECURITY DEFINER functions owned by the controller, and by the owner, run as them: the
    # login that calls them is still the writer's.
    for owner in (controller, "postgres"):
        name = f"sneak_{uuid.uuid4().hex[:8]}"
        sql(
            owner_url,
            f"CREATE FUNCTION {name}() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ "
            + FORGED.replace(":type", "'budget.revised'").replace(":actor", f"'{writer}'")
            + " $$",
            f'ALTER FUNCTION {name}() OWNER TO "{owner}"',
            f'GRANT EXECUTE ON FUNCTION {name}() TO "{writer}"',
        )
        assert "only by a controller" in refusal(writer_url, f"SELECT {name}()")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "DROP TRIGGER ledger_controllers ON events",
        "ALTER TABLE events DISABLE TRIGGER ledger_controllers",
        "ALTER TABLE events DISABLE TRIGGER ALL",
        "CREATE OR REPLACE FUNCTION ledger_controller_check() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "DROP FUNCTION ledger_controller_check() CASCADE",
        "SET session_replication_role = replica",
    ],
)
def test_a_writer_cannot_switch_the_controller_check_off(controlled, statement):
    owner_url, writer, writer_url, _, _ = controlled

    message = refusal(writer_url, statement)

    assert "must be owner" in message or "permission denied" in message, message
    # Still on.
    assert "only by a controller" in refusal(
        writer_url, FORGED, params={"type": "period.closed", "actor": writer}
    )


@pytest.mark.postgres
def test_a_controller_whose_membership_is_revoked_is_refused(controlled):
    owner_url, _, _, controller, controller_url = controlled
    sql(owner_url, f'REVOKE "{controller_group_of(owner_url)}" FROM "{controller}"')

    result = cli(controller_url, "budget", "revise", "CN", "2025", "5", actor=controller)

    assert result.exit_code == 1
    assert f"login role {controller} is not one" in result.stderr
    status = cli(owner_url, "status")
    assert re.search(r"^controllers: +none \(every controller revoked\)$", status.stdout, re.M)


def controller_group_of(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return controller_group(connection)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_status_names_the_controllers_and_whether_actors_are_bound(postgres_url, make_role):
    given_a_ledger(postgres_url)
    before = cli(postgres_url, "status")
    assert re.search(r"^controllers: +not enforced \(no controller granted\)$", before.stdout, re.M)
    assert re.search(r"^actors bound: +no$", before.stdout, re.M)
    first, _ = make_role("ctl")
    second, _ = make_role("ctl")
    for role in (second, first):
        assert cli(postgres_url, "db", "grant-controller", role).exit_code == 0
    assert cli(postgres_url, "db", "bind-actors").stdout == (
        "actors are bound: each event's actor must be the login role recording it\n"
    )
    assert cli(postgres_url, "db", "bind-actors").stdout == "actors were bound already\n"

    after = cli(postgres_url, "status")

    assert re.search(f"^controllers: +{', '.join(sorted((first, second)))}$", after.stdout, re.M)
    assert re.search(
        r"^actors bound: +yes \(each event's actor is the login role recording it\)$",
        after.stdout,
        re.M,
    )


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["pg_monitor", "pg_write_all_data", "postgres"])
def test_grant_controller_refuses_built_in_roles_superusers_and_the_owner(postgres_url, role):
    given_a_ledger(postgres_url)

    result = cli(postgres_url, "db", "grant-controller", role)

    assert result.exit_code == 1
    assert result.stderr.startswith("error: role: ")
    assert len(result.stderr.splitlines()) == 1
    # Nothing was turned on.
    assert "not enforced" in cli(postgres_url, "status").stdout


@pytest.mark.postgres
def test_grant_controller_refuses_the_owner_of_the_tables(postgres_url, make_role):
    given_a_ledger(postgres_url)
    role, _ = make_role("owner")
    sql(postgres_url, f'CREATE ROLE "{role}" LOGIN', f'ALTER TABLE events OWNER TO "{role}"')

    result = cli(postgres_url, "db", "grant-controller", role)

    assert result.exit_code == 1
    assert "owns the ledger's tables" in result.stderr


def test_roles_commands_on_sqlite_are_refused_with_one_line(tmp_path):
    db = str(tmp_path / "ledger.db")
    assert cli(db, "init").exit_code == 0
    for args in (("db", "grant-controller", "carol"), ("db", "bind-actors")):
        result = cli(db, *args)
        assert (result.exit_code, result.stderr) == (1, f"error: {NOT_POSTGRES}\n")


# -- bound actors ---------------------------------------------------------------------------------


@pytest.fixture
def bound(controlled):
    owner_url = controlled[0]
    assert cli(owner_url, "db", "bind-actors").exit_code == 0
    return controlled


@pytest.mark.postgres
def test_bound_actors_default_to_the_login_role_and_refuse_another_name(bound):
    owner_url, writer, writer_url, _, _ = bound

    default = cli(writer_url, "fx", "set", "EUR", "CNY", "7.8")
    same = cli(writer_url, "fx", "set", "EUR", "CNY", "7.9", actor=writer)
    other = cli(writer_url, "fx", "set", "EUR", "CNY", "8.0", actor="bob")

    assert default.exit_code == 0, default.output
    assert same.exit_code == 0, same.output
    assert other.exit_code == 1
    assert other.stderr == (
        f"error: refused by the database: actor 'bob' is not the login role {writer}: actors "
        f"are bound to database logins (ledger db bind-actors); record as {writer}, or log in "
        "as 'bob'\n"
    )
    actors = sql(owner_url, "SELECT actor FROM events WHERE type = 'fx.rate_set' ORDER BY seq")
    assert [actor for (actor,) in actors][-2:] == [writer, writer]
    # The owner is exempt (copy and restore keep every recorded actor).
    assert cli(owner_url, "fx", "set", "EUR", "CNY", "8.1", actor="anyone").exit_code == 0


@pytest.mark.postgres
def test_bound_actors_hold_against_set_role_definer_functions_and_psql(bound, make_role):
    owner_url, writer, writer_url, controller, _ = bound
    params = {"type": "supplier.registered", "actor": controller}
    assert "is not the login role" in refusal(writer_url, FORGED, params=params)
    helper, _ = make_role("helper")
    sql(owner_url, f'CREATE ROLE "{helper}" NOLOGIN', f'GRANT "{helper}" TO "{writer}"')
    assert cli(owner_url, "db", "grant-writer", helper).exit_code == 0
    as_helper = {"type": "supplier.registered", "actor": helper}
    assert "is not the login role" in refusal(
        writer_url, f'SET ROLE "{helper}"', FORGED, params=as_helper
    )
    name = f"sneak_{uuid.uuid4().hex[:8]}"
    sql(
        owner_url,
        f"CREATE FUNCTION {name}() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ "
        + FORGED.replace(":type", "'supplier.registered'").replace(":actor", f"'{controller}'")
        + " $$",
        f'ALTER FUNCTION {name}() OWNER TO "{controller}"',
        f'GRANT EXECUTE ON FUNCTION {name}() TO "{writer}"',
    )
    assert "is not the login role" in refusal(writer_url, f"SELECT {name}()")
    url = make_url(owner_url)
    result = subprocess.run(
        [
            "psql",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            url.host or "127.0.0.1",
            "-U",
            writer,
            "-d",
            url.database,
            "-c",
            f"SET search_path = {schema_of(owner_url)}",
            "-c",
            FORGED.replace(":type", "'supplier.registered'").replace(":actor", "'bob'"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "actor 'bob' is not the login role" in result.stderr
    for statement in (
        "DROP TRIGGER ledger_bound_actors ON events",
        "ALTER TABLE events DISABLE TRIGGER ledger_bound_actors",
    ):
        assert "must be owner" in refusal(writer_url, statement)


@pytest.mark.postgres
def test_four_eyes_between_two_database_logins(bound, make_role):
    """Worked-example step 13 in spirit, with a budget cap: alice's order is refused, bob (a
    controller) approves it, alice records it again; neither can pass as the other."""
    owner_url, alice, alice_url, bob, bob_url = bound
    assert (
        cli(
            owner_url,
            "policy",
            "set",
            "budget_cap",
            "--region",
            "CN",
            "--mode",
            "block",
            "--effective",
            "2025-01-01",
            actor="owner",
        ).exit_code
        == 0
    )
    refused = cli(alice_url, *PO_2[:2], "PO-3", *PO_2[3:])
    assert refused.exit_code == 1
    found = REFUSAL.search(refused.stderr.rstrip("\n"))
    assert found, refused.stderr
    event_id, digest = found["event_id"], found["digest"]

    # alice cannot approve as bob, nor approve at all (approval.granted is a controller type).
    as_bob = cli(alice_url, "approve", event_id, "--digest", digest, "--reason", "ok", actor=bob)
    assert "is not the login role" in as_bob.stderr
    herself = cli(alice_url, "approve", event_id, "--digest", digest, "--reason", "ok")
    assert "approval.granted may be recorded only by a controller" in herself.stderr
    approved = cli(
        bob_url, "approve", event_id, "--digest", digest, "--reason", "agreed", "--approval", "A-1"
    )
    assert approved.exit_code == 0, approved.output
    # bob cannot record it (his own approval), nor record it as alice.
    assert "four eyes" in cli(bob_url, *PO_2[:2], "PO-3", *PO_2[3:], "--event-id", event_id).stderr
    as_alice = cli(bob_url, *PO_2[:2], "PO-3", *PO_2[3:], "--event-id", event_id, actor=alice)
    assert "is not the login role" in as_alice.stderr

    accepted = cli(alice_url, *PO_2[:2], "PO-3", *PO_2[3:], "--event-id", event_id)

    assert accepted.exit_code == 0, accepted.output
    rows = sql(owner_url, "SELECT actor FROM events WHERE event_id = :id", params={"id": event_id})
    assert rows == [(alice,)]
    listed = cli(owner_url, "approval", "list", "--format", "csv").stdout.splitlines()
    assert listed[1].startswith(f"A-1,{event_id},{digest},{bob},")
    assert listed[1].endswith(f",agreed,{int(accepted.stdout)}")


# -- copy and restore onto an enforced ledger -----------------------------------------------------


@pytest.mark.postgres
def test_copy_and_restore_onto_an_enforced_ledger_need_the_owner(bound, tmp_path):
    owner_url, writer, writer_url, _, _ = bound
    source = str(tmp_path / "source.db")
    assert cli(source, "init").exit_code == 0
    assert cli(source, "import", str(MINIMAL), actor="fixture").exit_code == 0
    assert cli(source, "fx", "set", "EUR", "CNY", "7.8", actor="someone").exit_code == 0
    export = tmp_path / "events.csv"
    assert cli(source, "export", "events", "-o", str(export)).exit_code == 0
    owner = make_url(owner_url).username

    as_writer = cli(source, "copy", writer_url)
    restored = cli(writer_url, "restore", str(export))

    for result in (as_writer, restored):
        assert result.exit_code == 1
        assert result.stderr == (
            "error: the target ledger has controllers and bound actors: copy and restore keep "
            f"every actor as recorded, which only the owner of events may; run it as {owner} "
            f"(not {writer})\n"
        )
    # As the owner, onto an empty ledger with bound actors: every actor kept.
    from servers import postgres_schema

    with postgres_schema() as fresh:
        assert cli(fresh, "init").exit_code == 0
        assert cli(fresh, "db", "bind-actors").exit_code == 0
        copied = cli(source, "copy", fresh)
        assert copied.exit_code == 0, copied.output
        actors = sql(fresh, "SELECT DISTINCT actor FROM events ORDER BY actor")
        assert actors == [("fixture",), ("someone",)]
        assert cli(fresh, "verify").exit_code == 0


@pytest.mark.postgres
def test_the_demo_refuses_a_ledger_with_bound_actors(postgres_url):
    assert cli(postgres_url, "init").exit_code == 0
    assert cli(postgres_url, "db", "bind-actors").exit_code == 0

    result = cli(postgres_url, "demo")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: this ledger binds actors to login roles (ledger db bind-actors), and the demo's "
        "events carry the actors of its story; run the demo on a ledger of its own\n"
    )
    assert event_count(postgres_url) == 0


# -- through PgBouncer ----------------------------------------------------------------------------


@pytest.fixture
def pool_ledger(make_role):
    """A new database (a pooler cannot pass a search_path) holding a ledger with bound actors
    and a writer: (its direct URL, the writer)."""
    name = f"ledger_bound_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    direct = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        given_a_ledger(direct)
        writer, _ = make_role("pooled")
        assert cli(direct, "db", "grant-writer", writer).exit_code == 0
        assert cli(direct, "db", "bind-actors").exit_code == 0
        yield direct, writer
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _through(direct: str, port: int, user: str) -> str:
    from servers import with_port

    return with_port(
        make_url(direct).set(username=user).render_as_string(hide_password=False), port
    )


@pytest.mark.postgres
def test_bound_actors_through_pgbouncer_per_user_pools_are_the_login_roles(pool_ledger):
    from servers import pgbouncer

    direct, writer = pool_ledger
    with pgbouncer("transaction", users=(writer,)) as port:
        pooled = _through(direct, port, writer)
        recorded = cli(pooled, "fx", "set", "EUR", "CNY", "7.8")
        other = cli(pooled, "fx", "set", "EUR", "CNY", "7.9", actor="bob")
    assert recorded.exit_code == 0, recorded.output
    assert "is not the login role" in other.stderr
    rows = sql(direct, "SELECT actor FROM events ORDER BY seq DESC LIMIT 1")
    assert rows == [(writer,)]


@pytest.mark.postgres
def test_a_pooler_that_logs_everyone_in_as_one_server_user_is_refused(pool_ledger):
    from servers import pgbouncer

    direct, writer = pool_ledger
    server = make_url(POSTGRES_URL).username or "postgres"
    count = event_count(direct)
    with pgbouncer("transaction", users=(writer,), server_user=server) as port:
        result = cli(_through(direct, port, writer), "fx", "set", "EUR", "CNY", "7.8")

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: actors are bound to login roles, but this connection logs in to the server as "
        f"{server}, not as {writer} (the URL's user): a pooler that maps its clients onto one "
        "server user would make every actor the same; give each person a pool of their own "
        "(PgBouncer: no user= in [databases])\n"
    )
    assert event_count(direct) == count


@pytest.mark.postgres
def test_the_library_records_under_the_login_role_when_actors_are_bound(bound, monkeypatch):
    from ledger.app import Ledger

    owner_url, writer, writer_url, _, _ = bound
    monkeypatch.setenv("LEDGER_ACTOR", "someone-else")
    with Ledger.open(writer_url, create=False) as books:
        seq = books.record(
            "fx.rate_set", {"base": "EUR", "quote": "CNY", "rate": "7.8"}, effective="2025-01-02"
        ).seq
    assert sql(owner_url, f"SELECT actor FROM events WHERE seq = {seq}") == [(writer,)]
