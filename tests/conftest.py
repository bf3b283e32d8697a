"""Shared fixtures: a fresh ledger database on each backend, and the `ledger` command.

SQLite runs always. PostgreSQL runs when LEDGER_TEST_POSTGRES names a server (as .ci/run sets
it); each test gets its own schema there, dropped afterwards, so tests never see each other.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def postgres_url():
    """A PostgreSQL URL whose connections live in a new, empty schema."""
    if not POSTGRES_URL:
        pytest.skip("LEDGER_TEST_POSTGRES is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(POSTGRES_URL, schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A database URL for a new ledger: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def ledger(db_url):
    """An open `Ledger` on a new database (schema created)."""
    from ledger.app import Ledger

    with Ledger.open(db_url) as opened:
        yield opened


@pytest.fixture
def run(db_url, monkeypatch):
    """Run `ledger --db <db_url> ARGS…` in-process; returns click's Result (stdout/stderr apart)."""
    from commands import main

    monkeypatch.setenv("LEDGER_ACTOR", "tester")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, ["--db", db_url, *map(str, args)], input=input, catch_exceptions=False)

    return invoke
