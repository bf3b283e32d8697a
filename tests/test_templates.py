"""The test suite's own shortcut: a ledger or a demo copied from a template (databases.py) is the
database that `ledger init` or `ledger demo` makes — the same tables, columns, constraints,
indexes, triggers, functions and privileges, and the same rows."""

from __future__ import annotations

import pytest
from databases import new_demo, new_ledger, postgres_schema, schema_of
from sqlalchemy import create_engine, inspect, text

from ledger.app import Ledger

POSTGRES_CATALOG = {
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length,
               numeric_precision, numeric_scale, is_nullable, column_default, is_identity
        FROM information_schema.columns WHERE table_schema = :schema ORDER BY 1, 3""",
    "constraints": """
        SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
        FROM pg_constraint AS c JOIN pg_class AS t ON t.oid = c.conrelid
        WHERE t.relnamespace = to_regnamespace(:schema) ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, replace(indexdef, :schema || '.', 'SCHEMA.')
        FROM pg_indexes WHERE schemaname = :schema ORDER BY 1, 2""",
    "triggers": """
        SELECT c.relname, t.tgname, t.tgenabled, replace(pg_get_triggerdef(t.oid), :schema || '.', 'SCHEMA.')
        FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
        WHERE c.relnamespace = to_regnamespace(:schema) AND NOT t.tgisinternal ORDER BY 1, 2""",
    "functions": """
        SELECT p.proname, replace(pg_get_functiondef(p.oid), :schema || '.', 'SCHEMA.'), p.proacl
        FROM pg_proc AS p WHERE p.pronamespace = to_regnamespace(:schema) ORDER BY 1""",
    "relations": """
        SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner), c.relacl::text
        FROM pg_class AS c WHERE c.relnamespace = to_regnamespace(:schema) ORDER BY 1""",
}


def described(url: str) -> dict:
    """What a database's ledger schema is: its catalog, and every table's rows."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                found = {
                    "master": connection.execute(
                        text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
                    ).all(),
                    "journal_mode": connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
                    "user_version": connection.exec_driver_sql("PRAGMA user_version").scalar(),
                }
            else:
                schema = schema_of(url)
                found = {
                    name: connection.execute(text(query), {"schema": schema}).all()
                    for name, query in POSTGRES_CATALOG.items()
                }
            for table in sorted(inspect(connection).get_table_names()):
                found[f"rows of {table}"] = sorted(
                    connection.execute(text(f'SELECT * FROM "{table}"')).all(), key=repr
                )
        return found
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_new_databases(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
        return
    with postgres_schema() as first, postgres_schema() as second:
        yield first, second


def test_a_ledger_from_the_template_is_the_one_a_migration_makes(two_new_databases):
    copied, migrated = two_new_databases
    new_ledger(copied)
    Ledger.open(migrated).close()
    assert described(copied) == described(migrated)
    assert described(copied)["rows of alembic_version"]


def test_the_demo_from_the_template_is_the_one_ledger_demo_loads(two_new_databases, run_cli):
    copied, loaded = two_new_databases
    new_demo(copied)
    result = run_cli(loaded, "demo")
    assert result.exit_code == 0, result.output
    assert described(copied) == described(loaded)
    with Ledger.open(copied, create=False) as books:
        assert books.verify().count > 100


@pytest.fixture
def run_cli(monkeypatch):
    from click.testing import CliRunner

    from commands import main

    monkeypatch.setenv("LEDGER_ACTOR", "tester")

    def invoke(url: str, *args: str):
        return CliRunner().invoke(main, ["--db", url, *args])

    return invoke


def test_a_database_that_is_not_new_is_left_to_ledger_open(tmp_path):
    """A file already there is not overwritten by the template: Ledger.open says what it is."""
    from ledger.errors import SchemaError

    path = tmp_path / "other.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE mine (x INTEGER)"))
    engine.dispose()
    with pytest.raises(SchemaError, match="has tables but no ledger schema"):
        new_ledger(f"sqlite:///{path}")
