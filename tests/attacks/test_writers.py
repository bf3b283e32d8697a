"""Writers are only writers: `db grant-writer` and `db grant-reader` refuse every role that rights
cannot limit, check what the role can really do after the grant, and what a writer then tries
(SET ROLE, a SECURITY DEFINER function, switching the triggers off, UPDATE, DELETE, TRUNCATE, a
forged row with a correct hash, a read model edited) is refused or caught."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from attacks.conftest import (
    POSTGRES_URL,
    cli,
    event_count,
    forged_row,
    given_a_ledger,
    insert_row,
    one_line,
    sql,
)

pytestmark = pytest.mark.postgres


def owner_of_events(url: str) -> str:
    return sql(
        url, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'events'::regclass"
    )[0][0]


@pytest.fixture
def ledger_owned_by(postgres_url, make_role):
    """A ledger whose tables belong to a role of its own (not a superuser): (owner, its URL)."""
    owner, owner_url = make_role("owner")
    schema = make_url(postgres_url).query["options"].split("=")[1]
    sql(POSTGRES_URL, f'GRANT ALL ON SCHEMA "{schema}" TO "{owner}"')
    given_a_ledger(owner_url)
    assert owner_of_events(postgres_url) == owner
    return owner, owner_url


@pytest.mark.parametrize(
    ("options", "member_of", "why"),
    [
        ("SUPERUSER", None, "is a superuser"),
        ("CREATEROLE", None, "has CREATEROLE"),
        ("BYPASSRLS", None, "has BYPASSRLS"),
        ("", "pg_write_all_data", "is a member of pg_write_all_data"),
        ("", "OWNER", "is a member of the owner's role"),
        ("", "SUPERUSER_ROLE", "is a superuser through its membership"),
    ],
)
@pytest.mark.parametrize("kind", ["writer", "reader"])
def test_grant_refuses_a_role_that_rights_cannot_limit(
    ledger_owned_by, make_role, options, member_of, why, kind
):
    owner, owner_url = ledger_owned_by
    role, _ = make_role("powerful", options)
    if member_of == "OWNER":
        sql(POSTGRES_URL, f'GRANT "{owner}" TO "{role}"')
    elif member_of == "SUPERUSER_ROLE":
        boss, _ = make_role("boss", "SUPERUSER")
        sql(POSTGRES_URL, f'GRANT "{boss}" TO "{role}"')
    elif member_of:
        sql(POSTGRES_URL, f'GRANT {member_of} TO "{role}"')

    result = cli(owner_url, "db", f"grant-{kind}", role)

    one_line(result, f"role: {role}", why)


@pytest.mark.parametrize("kind", ["writer", "reader"])
def test_grant_refuses_the_owner_and_built_in_roles(ledger_owned_by, kind):
    owner, owner_url = ledger_owned_by

    one_line(cli(owner_url, "db", f"grant-{kind}", owner), f"role: {owner} owns")
    one_line(cli(owner_url, "db", f"grant-{kind}", "pg_monitor"), "built-in")


def test_grant_refuses_a_member_of_pg_database_owner(postgres_url, make_role):
    role, _ = make_role("dbowner")
    database = f"atk_db_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}" OWNER "{role}"'))
    try:
        url = make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)
        assert cli(url, "init").exit_code == 0

        one_line(cli(url, "db", "grant-writer", role), "pg_database_owner")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
        admin.dispose()


def test_a_grant_that_leaves_update_delete_or_truncate_through_public_fails(
    postgres_url, make_role
):
    given_a_ledger(postgres_url)
    sql(postgres_url, "GRANT ALL ON events TO PUBLIC")
    role, _ = make_role("writer", create=False)

    result = cli(postgres_url, "db", "grant-writer", role)

    one_line(result, f"role: {role} could still", "TRUNCATE", "nothing was granted")
    assert not sql(postgres_url, "SELECT 1 FROM pg_roles WHERE rolname = :r", params={"r": role})
    # `ledger init` takes PUBLIC's rights away again; then the grant holds.
    assert cli(postgres_url, "init").exit_code == 0
    assert cli(postgres_url, "db", "grant-writer", role).exit_code == 0


def test_init_revokes_publics_rights_on_the_ledgers_tables(postgres_url):
    given_a_ledger(postgres_url)
    sql(postgres_url, "GRANT ALL ON events, budgets TO PUBLIC")

    assert cli(postgres_url, "init").exit_code == 0

    held = sql(
        postgres_url,
        "SELECT count(*) FROM information_schema.role_table_grants "
        "WHERE grantee = 'PUBLIC' AND table_schema = current_schema()",
    )[0][0]
    assert held == 0


def test_status_lists_every_role_that_can_change_the_log(postgres_url, make_role, writer):
    vandal, _ = make_role("vandal")
    sql(postgres_url, f'GRANT USAGE ON SCHEMA {current_schema(postgres_url)} TO "{vandal}"')
    sql(postgres_url, f'GRANT DELETE ON events TO "{vandal}"')
    creator, _ = make_role("creator", "CREATEROLE")

    shown = cli(postgres_url, "status")

    assert shown.exit_code == 0, shown.output
    line = next(
        line for line in shown.stdout.splitlines() if line.startswith("can change the log:")
    )
    assert f"{vandal} (holds DELETE on events)" in line
    assert f"{creator} (has CREATEROLE)" in line
    writer_role = make_url(writer).username
    assert writer_role not in line


def current_schema(url: str) -> str:
    return sql(url, "SELECT current_schema()")[0][0]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
        "TRUNCATE events",
        "ALTER TABLE events DISABLE TRIGGER ALL",
        "ALTER TABLE events DISABLE TRIGGER events_guard_recorded_at",
        "DROP TRIGGER events_guard_recorded_at ON events",
        "SET session_replication_role = replica",
    ],
)
def test_a_writer_cannot_change_the_log_or_switch_its_guards_off(writer, postgres_url, statement):
    before = sql(postgres_url, "SELECT * FROM events ORDER BY seq")

    with pytest.raises(DBAPIError):
        sql(writer, statement)

    assert sql(postgres_url, "SELECT * FROM events ORDER BY seq") == before


def test_a_writer_cannot_set_role_to_the_owner(writer, postgres_url):
    owner = owner_of_events(postgres_url)

    with pytest.raises(DBAPIError, match="permission denied"):
        sql(writer, f'SET ROLE "{owner}"', "DELETE FROM events")


def test_a_security_definer_function_of_a_writer_runs_with_the_writers_rights(writer, postgres_url):
    before = event_count(postgres_url)

    with pytest.raises(DBAPIError):
        sql(
            writer,
            "CREATE FUNCTION pg_temp.wipe() RETURNS void LANGUAGE sql SECURITY DEFINER "
            "AS 'DELETE FROM events'",
            "SELECT pg_temp.wipe()",
        )

    assert event_count(postgres_url) == before


def test_no_function_of_the_ledger_runs_with_its_owners_rights(postgres_url):
    given_a_ledger(postgres_url)

    definers = sql(
        postgres_url,
        "SELECT proname FROM pg_proc WHERE prosecdef AND pronamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
    )

    assert definers == []


def test_a_forged_row_with_a_correct_hash_and_an_invalid_payload_is_caught(writer, postgres_url):
    row = forged_row(
        writer,
        recorded_at=sql(
            writer,
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')',
        )[0][0],
        type_="order.amended",
        payload='{"order":"PO-404","quantity":-5}',
    )
    insert_row(writer, row)  # what plain INSERT rights allow: the hash is right

    assert cli(writer, "verify").exit_code == 0  # the limit of a hash chain
    one_line(cli(writer, "verify", "--deep"), f"seq {row['seq']}")
    from servers import postgres_schema

    with postgres_schema() as copy:
        one_line(cli(postgres_url, "copy", copy), f"seq {row['seq']}", "verify --deep")
        assert event_count(copy) == 0


def test_a_writer_editing_a_read_model_is_caught_by_verify_deep(writer):
    sql(writer, "UPDATE budgets SET amount = amount * 10")

    assert cli(writer, "verify").exit_code == 0
    one_line(cli(writer, "verify", "--deep"), "read models: budgets differs")


def test_copy_onto_a_postgres_prefix_edited_behind_the_triggers_is_refused(postgres_url, tmp_path):
    from servers import postgres_schema

    given_a_ledger(postgres_url)
    with postgres_schema() as copy:
        assert cli(postgres_url, "copy", copy).exit_code == 0
        assert (
            cli(
                postgres_url, "fx", "set", "EUR", "CNY", "7.9", "--effective", "2025-02-01"
            ).exit_code
            == 0
        )
        sql(
            copy,
            "ALTER TABLE events DISABLE TRIGGER USER",
            "UPDATE events SET reason = 'rewritten' WHERE seq = 3",
            "ALTER TABLE events ENABLE ALWAYS TRIGGER events_refuse_update_delete",
        )
        before = event_count(copy)

        one_line(cli(postgres_url, "copy", copy), "from seq 3 on", "its reason differs")
        assert event_count(copy) == before
