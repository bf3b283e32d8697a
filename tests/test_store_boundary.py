"""The store boundary: a notebook sees the database's refusals as LedgerDatabaseError (a
LedgerError), never as a SQLAlchemy or driver exception, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.app import Ledger
from ledger.errors import LedgerConstraintError, LedgerDatabaseError, LedgerError

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def given_a_region(ledger: Ledger) -> None:
    ledger.record(
        "region.opened",
        {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"},
        effective=date(2025, 1, 1),
    )


def raw(ledger: Ledger, statement: str) -> None:
    """A statement run as an operator with a console would, outside the library."""
    engine = create_engine(ledger.engine.url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_that_cannot_be_reached_is_a_ledger_error(backend, tmp_path, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'no such folder' / 'ledger.db'}"
    else:
        url = (
            make_url(request.getfixturevalue("postgres_url"))
            .set(port=1, password="s3cret")
            .render_as_string(hide_password=False)
        )

    with pytest.raises(LedgerDatabaseError) as raised:
        Ledger.open(url)

    assert isinstance(raised.value, LedgerError)
    assert str(raised.value).startswith("--db: cannot open the database: ")
    assert "\n" not in str(raised.value) and "s3cret" not in str(raised.value)
    assert raised.value.orig is not None


def test_a_dropped_table_is_a_ledger_error(ledger):
    given_a_region(ledger)
    raw(ledger, "DROP TABLE order_buckets")

    with pytest.raises(LedgerDatabaseError, match=r"^database: .*order_buckets"):
        ledger.query_budget(as_of=date(2025, 6, 30))


def test_a_dropped_log_is_a_ledger_error_for_every_reader(ledger):
    given_a_region(ledger)
    raw(
        ledger,
        "DROP TABLE events CASCADE"
        if ledger.engine.dialect.name == "postgresql"
        else "DROP TABLE events",
    )

    with pytest.raises(LedgerDatabaseError):
        list(ledger.events())
    with pytest.raises(LedgerDatabaseError):
        ledger.verify()
    with pytest.raises(LedgerDatabaseError):
        given_a_region(ledger)


def test_a_sqlite_file_opened_read_only_refuses_writes_as_a_ledger_error(tmp_path):
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as ledger:
        given_a_region(ledger)

    with Ledger.open(f"sqlite:///file:{path}?mode=ro&uri=true", create=False) as ledger:
        assert len(list(ledger.events())) == 1
        with pytest.raises(LedgerDatabaseError, match="readonly|read-only"):
            ledger.record(
                "supplier.registered",
                {"supplier": "huawei", "name": "Huawei", "country": "CN"},
                effective=date(2025, 1, 1),
            )
        assert len(list(ledger.events())) == 1


@pytest.mark.postgres
def test_a_role_without_privileges_is_refused_as_a_ledger_error(postgres_url):
    with Ledger.open(postgres_url) as ledger:
        given_a_region(ledger)
        with ledger.engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar()
    role = f"ledger_nobody_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        # It may see the tables, not read them.
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
    try:
        url = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
        with pytest.raises(LedgerDatabaseError, match="permission denied") as raised:
            Ledger.open(url, create=False)
        assert raised.value.sqlstate == "42501"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_a_row_the_database_constraints_refuse_is_a_constraint_error(ledger):
    given_a_region(ledger)

    with pytest.raises(LedgerConstraintError), ledger.engine.begin() as connection:
        connection.execute(text("INSERT INTO regions SELECT * FROM regions"))


def test_the_cli_prints_a_database_refusal_as_one_line(run, db_url):
    run(
        "region",
        "open",
        "CN",
        "--name",
        "China",
        "--country",
        "CN",
        "--currency",
        "CNY",
        "--effective",
        "2025-01-01",
    )
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE order_buckets"))
    engine.dispose()

    result = run("query", "budget", "--as-of", "2025-06-30")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: database: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
