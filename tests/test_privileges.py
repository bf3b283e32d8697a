"""Least-privilege roles on PostgreSQL: a writer appends and keeps the read models, a reader only
reads, and neither can change or remove an event — even once the owner has switched the log's
triggers off."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ledger.errors import LedgerDatabaseError
from ledger.privileges import NOT_POSTGRES

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")

MINIMAL = Path(__file__).parent.parent / "fixtures" / "minimal.jsonl"


def cli(url: str, *args: str):
    from commands import main

    return CliRunner().invoke(main, ["--db", url, "--actor", "tester", *args])


@pytest.fixture
def make_role(postgres_url):
    """A function returning a new role name (unique per test) and the URL that logs in as it;
    every role is dropped afterwards, with whatever it was granted."""
    names: list[str] = []

    def make(kind: str) -> tuple[str, str]:
        name = f"ledger_{kind}_{uuid.uuid4().hex[:10]}"
        names.append(name)
        return name, make_url(postgres_url).set(username=name).render_as_string(hide_password=False)

    yield make
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            if connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}
            ).first():
                connection.execute(text(f'DROP OWNED BY "{name}"'))
                connection.execute(text(f'DROP ROLE "{name}"'))
    admin.dispose()


def as_role(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def as_owner(postgres_url: str, *statements: str) -> None:
    as_role(postgres_url, "; ".join(statements))


def given_a_ledger(postgres_url: str) -> None:
    assert cli(postgres_url, "init").exit_code == 0
    result = cli(postgres_url, "import", str(MINIMAL))
    assert result.exit_code == 0, result.output


@pytest.mark.postgres
def test_a_writer_records_events_and_keeps_the_read_models(postgres_url, make_role):
    from ledger.app import Ledger

    given_a_ledger(postgres_url)
    role, writer_url = make_role("writer")

    granted = cli(postgres_url, "db", "grant-writer", role)
    recorded = cli(writer_url, "fx", "set", "EUR", "CNY", "7.8", "--effective", "2025-01-01")
    with Ledger.open(writer_url) as books:
        books.record(
            "order.placed",
            {
                "order": "PO-9",
                "region": "CN",
                "supplier": "huawei",
                "sku": "x",
                "quantity": 2,
                "unit_price": "10",
                "currency": "CNY",
            },
            effective="2025-04-01",
            actor="writer",
        )
        amended = books.record(
            "order.amended",
            {"order": "PO-9", "quantity": 3},
            effective="2025-04-02",
            actor="writer",
        )

    assert (granted.exit_code, granted.stdout.startswith(f"created role {role}: writer")) == (
        0,
        True,
    )
    assert recorded.exit_code == 0, recorded.output
    assert cli(writer_url, "verify").stdout.startswith(f"ok: {amended.seq} events")
    assert cli(writer_url, "rebuild", "--check").exit_code == 0
    assert cli(writer_url, "rebuild").exit_code == 0


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET actor = 'someone else'",
        "DELETE FROM events WHERE seq = 3",
        "TRUNCATE events",
        "ALTER TABLE events DISABLE TRIGGER ALL",
        "DROP TABLE events",
    ],
)
def test_a_writer_cannot_change_the_log_even_with_the_triggers_off(
    postgres_url, make_role, statement
):
    given_a_ledger(postgres_url)
    role, writer_url = make_role("writer")
    assert cli(postgres_url, "db", "grant-writer", role).exit_code == 0
    as_owner(postgres_url, "ALTER TABLE events DISABLE TRIGGER ALL")

    with pytest.raises(DBAPIError, match="permission denied|must be owner"):
        as_role(writer_url, statement)

    verified = cli(postgres_url, "verify")
    assert verified.exit_code == 0 and verified.stdout.startswith("ok: 9 events"), verified.output


@pytest.mark.postgres
def test_a_reader_queries_and_verifies_but_cannot_write(postgres_url, make_role):
    from ledger.app import Ledger

    given_a_ledger(postgres_url)
    role, reader_url = make_role("reader")
    assert cli(postgres_url, "db", "grant-reader", role).exit_code == 0

    commitments = cli(reader_url, "query", "commitments", "--as-of", "2025-03-01", "--region", "CN")
    verified = cli(reader_url, "verify")
    exported = cli(reader_url, "export", "events")

    assert commitments.exit_code == 0, commitments.output
    assert "order,PO-2,CN,nvidia,h20,10,open,720000.00,CNY" in commitments.stdout
    assert verified.exit_code == 0 and verified.stdout.startswith("ok: 9 events")
    assert exported.exit_code == 0 and len(exported.stdout.splitlines()) == 10
    # The writer may use the driver's COPY directly, whose errors are psycopg's own.
    with (
        Ledger.open(reader_url) as books,
        pytest.raises(LedgerDatabaseError, match="permission denied"),
    ):
        books.record(
            "fx.rate_set",
            {"base": "EUR", "quote": "CNY", "rate": "7.8"},
            effective="2025-01-01",
            actor="reader",
        )
    # Through the command line: one line naming the database's reason, never a traceback.
    refused = cli(reader_url, "fx", "set", "EUR", "CNY", "7.8", "--effective", "2025-01-01")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: database: ") and "permission denied" in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.output
    for statement in [
        "INSERT INTO regions SELECT 'XX', name, country, currency, effective, 99 FROM regions "
        "WHERE region = 'CN'",
        "DELETE FROM orders",
        "UPDATE order_buckets SET units = 0",
    ]:
        with pytest.raises(DBAPIError, match="permission denied"):
            as_role(reader_url, statement)
    assert cli(postgres_url, "rebuild", "--check").exit_code == 0


@pytest.mark.postgres
def test_a_writer_made_a_reader_loses_its_write_rights(postgres_url, make_role):
    given_a_ledger(postgres_url)
    role, url = make_role("writer")
    assert cli(postgres_url, "db", "grant-writer", role).exit_code == 0

    regranted = cli(postgres_url, "db", "grant-reader", role)

    assert regranted.stdout.startswith(f"updated role {role}: reader")
    with pytest.raises(DBAPIError, match="permission denied"):
        as_role(
            url,
            "INSERT INTO fx_rates SELECT 99, base, quote, rate, effective FROM fx_rates LIMIT 1",
        )


@pytest.mark.postgres
def test_a_role_name_that_is_not_a_plain_identifier_is_refused(postgres_url):
    assert cli(postgres_url, "init").exit_code == 0
    result = cli(postgres_url, "db", "grant-writer", 'x"; DROP TABLE events; --')

    assert result.exit_code == 1
    assert result.stderr.startswith("error: role: ") and result.stderr.count("\n") == 1


def test_roles_on_sqlite_are_refused_with_one_line(tmp_path):
    database = tmp_path / "ledger.db"

    for command in ("grant-writer", "grant-reader"):
        result = cli(str(database), "db", command, "somebody")
        assert result.exit_code == 1
        assert result.stderr == f"error: {NOT_POSTGRES}\n"
    assert not database.exists()


# -- roles that cannot be made least-privilege (issue 11 item 9) ---------------------------------


def privilege(url: str, role: str, right: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT has_table_privilege(:role, 'events', :right)"),
                {"role": role, "right": right},
            ).scalar()
    finally:
        engine.dispose()


def refused(result, *words: str) -> bool:
    lines = result.stderr.splitlines()
    return (
        result.exit_code == 1
        and len(lines) == 1
        and lines[0].startswith("error: role: ")
        and all(word in lines[0] for word in words)
        and "Traceback" not in result.output
    )


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["grant-writer", "grant-reader"])
@pytest.mark.parametrize(
    "role", ["pg_read_all_data", "pg_write_all_data", "PG_monitor", "pg_nonexistent_x"]
)
def test_built_in_roles_are_refused(postgres_url, kind, role):
    given_a_ledger(postgres_url)
    result = cli(postgres_url, "db", kind, role)
    assert refused(result, "built-in"), result.output
    if role == "pg_read_all_data":
        assert not privilege(postgres_url, role, "INSERT")


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["grant-writer", "grant-reader"])
def test_a_superuser_is_refused_and_keeps_its_rights(postgres_url, make_role, kind):
    given_a_ledger(postgres_url)
    role, _ = make_role("super")
    as_owner(postgres_url, f'CREATE ROLE "{role}" SUPERUSER')
    result = cli(postgres_url, "db", kind, role)
    assert refused(result, role, "superuser"), result.output
    connected_as = make_url(postgres_url).username
    assert refused(cli(postgres_url, "db", kind, connected_as), "superuser")
    assert privilege(postgres_url, connected_as, "INSERT")


@pytest.mark.postgres
def test_the_owner_of_the_tables_is_refused_and_keeps_its_rights(postgres_url, make_role):
    given_a_ledger(postgres_url)
    role, _ = make_role("owner")
    as_owner(postgres_url, f'CREATE ROLE "{role}" LOGIN', f'ALTER TABLE events OWNER TO "{role}"')
    for kind in ("grant-writer", "grant-reader"):
        result = cli(postgres_url, "db", kind, role)
        assert refused(result, role, "owns"), result.output
    assert privilege(postgres_url, role, "INSERT") and privilege(postgres_url, role, "SELECT")


@pytest.mark.postgres
def test_an_ordinary_role_is_still_granted(postgres_url, make_role):
    given_a_ledger(postgres_url)
    role, _ = make_role("plain")
    result = cli(postgres_url, "db", "grant-writer", role)
    assert result.exit_code == 0, result.output
    assert privilege(postgres_url, role, "INSERT")
