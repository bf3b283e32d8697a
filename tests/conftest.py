"""Shared fixtures: a fresh ledger database on each backend, and the `ledger` command.

SQLite runs always. PostgreSQL runs when LEDGER_TEST_POSTGRES names a server (as .ci/run sets
it); each test gets its own schema there, dropped afterwards, so tests never see each other.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")
# .ci/run sets LEDGER_REQUIRE_POSTGRES=1: a PostgreSQL test that cannot run is then a failure.
REQUIRE_POSTGRES = os.environ.get("LEDGER_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def postgres_schema():
    """A PostgreSQL URL whose connections live in a new, empty schema, dropped afterwards."""
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


def skip_without_postgres() -> None:
    if POSTGRES_URL:
        return
    if REQUIRE_POSTGRES:
        pytest.fail("LEDGER_REQUIRE_POSTGRES=1 but LEDGER_TEST_POSTGRES is not set")
    pytest.skip("LEDGER_TEST_POSTGRES is not set")


@pytest.fixture
def postgres_url():
    """A PostgreSQL URL whose connections live in a new, empty schema."""
    skip_without_postgres()
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A database URL for a new ledger: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


class FreshDatabases:
    """New, empty databases on one backend, one per `with databases() as url:` block — for
    hypothesis tests, which need a fresh database per example, not per test."""

    def __init__(self, backend: str, folder):
        self.backend = backend
        self.folder = folder
        self.count = 0

    @contextmanager
    def __call__(self):
        if self.backend == "postgres":
            with postgres_schema() as url:
                yield url
            return
        self.count += 1
        yield f"sqlite:///{self.folder / f'ledger-{self.count}.db'}"


@pytest.fixture(params=BACKENDS)
def databases(request, tmp_path):
    """A `FreshDatabases` factory on each backend."""
    if request.param == "postgres":
        skip_without_postgres()
    return FreshDatabases(request.param, tmp_path)


@pytest.fixture
def ledger(db_url):
    """An open `Ledger` on a new database (schema created)."""
    from ledger.app import Ledger

    with Ledger.open(db_url) as opened:
        yield opened


def _create_ledger(url: str) -> None:
    """The ledger's schema on a database without tables; a database that has some is left as it
    is (the command under test then says what it makes of it)."""
    from ledger.app import Ledger
    from ledger.errors import LedgerError

    try:
        Ledger.open(url).close()
    except LedgerError:
        pass  # a schema of another kind, or an environment the command refuses (LEDGER_LOCK_TIMEOUT)


@pytest.fixture
def run(db_url, monkeypatch):
    """Run `ledger --db <db_url> ARGS…` in-process; returns click's Result (stdout/stderr apart)."""
    from commands import main

    monkeypatch.setenv("LEDGER_ACTOR", "tester")
    runner = CliRunner()
    first = True

    def invoke(*args: str, input: str | None = None):
        nonlocal first
        if first and not {"init", "demo"} & set(map(str, args)):
            # Only init and demo create a ledger (SPEC §5): a test that starts with another
            # command gets one created first, as `ledger init` would.
            _create_ledger(db_url)
        first = False
        return runner.invoke(
            main, ["--db", db_url, *map(str, args)], input=input, catch_exceptions=False
        )

    return invoke
