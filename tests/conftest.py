"""Shared fixtures: a new ledger database on each backend, the demo, and the `ledger` command.

SQLite runs always. PostgreSQL runs when LEDGER_TEST_POSTGRES names a server (as .ci/run sets
it); each test gets its own schema there, dropped afterwards, so tests never see each other,
and tests run in parallel (pytest-xdist) without meeting. A ledger's schema and the demo come
from templates made once per test process (see databases.py).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from databases import new_demo, new_ledger, postgres_schema, skip_without_postgres

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


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


@pytest.fixture
def demo(db_url):
    """db_url holds the demo, as `ledger demo` loads it (a copy of the one this test process
    loaded first); returns db_url."""
    new_demo(db_url)
    return db_url


class FreshDatabases:
    """New ledgers on one backend, one per `with databases() as url:` block — for hypothesis
    tests, which need a new ledger per example, not per test."""

    def __init__(self, backend: str, folder):
        self.backend = backend
        self.folder = folder
        self.count = 0

    @contextmanager
    def __call__(self):
        if self.backend == "postgres":
            with postgres_schema() as url:
                new_ledger(url)
                yield url
            return
        self.count += 1
        url = f"sqlite:///{self.folder / f'ledger-{self.count}.db'}"
        new_ledger(url)
        yield url


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

    new_ledger(db_url)
    with Ledger.open(db_url) as opened:
        yield opened


def _create_ledger(url: str) -> None:
    """The ledger's schema on a database without tables; a database that has some is left as it
    is (the command under test then says what it makes of it)."""
    from ledger.errors import LedgerError

    try:
        new_ledger(url)
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
            # Only init and demo create a ledger: a test that starts with another command gets
            # one created first, as `ledger init` would.
            _create_ledger(db_url)
        first = False
        return runner.invoke(
            main, ["--db", db_url, *map(str, args)], input=input, catch_exceptions=False
        )

    return invoke


# Under pytest-xdist (`-n 2 --dist loadgroup`, as .ci/run runs the suite), the tests that share
# one costly thing per module run on one worker, so that it is built once: a streaming standby
# (a copy of the whole server), the demo served over HTTP, a browser. Everything else spreads
# over the workers; what the tests make on the server has names of their own (databases.py).
XDIST_GROUPS = {
    "test_standby.py": "standby",
    "test_web_pages.py::test_a_standby_is_served_as_the_primary_answers": "standby",
    "test_web_api.py": "web_api",
    "test_web_browser.py": "browser",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.name
        name = XDIST_GROUPS.get(f"{module}::{item.originalname}") or XDIST_GROUPS.get(module)
        if name is not None:
            item.add_marker(pytest.mark.xdist_group(name))
