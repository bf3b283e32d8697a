"""Only `init` and `demo` create a ledger (SPEC §5): every other command on a missing database
exits 1 with one line and creates nothing; opening an existing ledger migrates and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from ledger.app import Ledger
from ledger.migrate import current_revision
from ledger.schema import SCHEMA_REVISION

READING_AND_RECORDING = [
    ("query", "budget"),
    ("query", "commitments", "--region", "CN"),
    ("compliance",),
    ("policy", "list"),
    ("log",),
    ("verify",),
    ("export", "events"),
    ("rebuild", "--check"),
    ("fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01"),
    ("region", "open", "CN", "--name", "China", "--country", "CN", "--currency", "CNY"),
]


def ledger_command(*args: str):
    from commands import main

    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


def one_error_line(result) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].count("error:") == 1, (
        result.stderr
    )
    return lines[0]


@pytest.mark.parametrize("args", READING_AND_RECORDING, ids=" ".join)
def test_a_command_on_a_missing_sqlite_file_says_so_and_creates_nothing(tmp_path, args):
    missing = tmp_path / "missing.db"

    result = ledger_command("--db", missing, *args)

    assert result.exit_code == 1
    assert one_error_line(result) == f"error: no ledger at {missing} (create one with ledger init)"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no file, no -wal, no -shm


def test_the_default_ledger_db_is_not_created_by_a_query(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_DB", raising=False)

    result = ledger_command("query", "budget")

    assert one_error_line(result) == "error: no ledger at ledger.db (create one with ledger init)"
    assert list(tmp_path.iterdir()) == []


def test_a_directory_as_db_is_one_line_with_one_prefix(tmp_path):
    result = ledger_command("--db", tmp_path, "query", "budget")

    assert result.exit_code == 1
    assert one_error_line(result) == f"error: --db: {tmp_path} is a directory, not a ledger file"


@pytest.mark.parametrize("creating", [("init",), ("demo",)], ids=" ".join)
def test_init_and_demo_create_the_ledger(tmp_path, creating):
    path = tmp_path / "new.db"

    result = ledger_command("--db", path, *creating)

    assert result.exit_code == 0, result.stderr
    assert ledger_command("--db", path, "verify").exit_code == 0


def test_the_library_still_creates_a_ledger_by_default_for_notebooks(tmp_path):
    path = tmp_path / "notebook.db"

    with Ledger.open(path) as books:
        assert books.query_budget(as_of=date(2025, 1, 1)) == []

    with Ledger.open(path, create=False) as books:
        assert books.head()[0] == 0


def test_the_library_refuses_a_missing_ledger_without_create(tmp_path):
    from ledger.errors import SchemaError

    with pytest.raises(SchemaError, match="no ledger at"):
        Ledger.open(tmp_path / "missing.db", create=False)
    assert list(tmp_path.iterdir()) == []


def test_a_database_without_the_ledger_tables_is_not_a_ledger(db_url):
    """An empty SQLite file or an empty PostgreSQL schema: `no ledger …`, nothing created."""
    engine = create_engine(db_url)
    with engine.connect():
        pass  # creates the empty SQLite file; the PostgreSQL schema exists already
    where = (
        f"at {engine.url.database}" if db_url.startswith("sqlite") else "in postgresql+psycopg://"
    )

    result = ledger_command("--db", db_url, "query", "budget")

    line = one_error_line(result)
    assert line.startswith(f"error: no ledger {where}") and line.endswith(
        "(create one with ledger init)"
    )
    assert inspect(engine).get_table_names() == []
    engine.dispose()


@pytest.mark.postgres
def test_the_password_of_a_missing_ledger_url_is_masked(postgres_url):
    with_password = postgres_url.replace(
        "postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:s3cret@"
    )
    assert "s3cret" in with_password

    result = ledger_command("--db", with_password, "query", "budget")

    line = one_error_line(result)
    assert "s3cret" not in line and "***" in line and "no ledger in" in line


def given_a_ledger_at_revision_0001(db_url) -> None:
    from alembic import command

    from ledger.migrate import alembic_config

    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()


@pytest.mark.skipif(SCHEMA_REVISION == "0001", reason="needs a revision older than the newest")
@pytest.mark.parametrize(
    "args", [("query", "budget"), ("fx", "set", "USD", "CNY", "7.2")], ids=" ".join
)
def test_an_older_schema_asks_for_init_and_is_left_as_it_is(db_url, args):
    """Reading and recording alike: an upgrade rebuilds the read models, which is `init`'s to do."""
    given_a_ledger_at_revision_0001(db_url)

    result = ledger_command("--db", db_url, *args)

    assert result.exit_code == 1
    assert "run `ledger init`" in one_error_line(result)
    engine = create_engine(db_url)
    assert current_revision(engine) == "0001"
    engine.dispose()
    assert ledger_command("--db", db_url, "init").exit_code == 0
    assert ledger_command("--db", db_url, *args).exit_code == 0
