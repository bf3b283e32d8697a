"""Shared fixtures: a new ledger database on each backend, the demo, and the `ledger` command.

SQLite runs always. PostgreSQL runs when LEDGER_TEST_POSTGRES names a server (as .ci/run sets
it); each test gets its own schema there, dropped afterwards, so tests never see each other,
and tests run in parallel (pytest-xdist) without meeting. A ledger's schema and the demo come
from templates made once per test process (see databases.py).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from databases import new_demo, new_ledger, postgres_schema, skip_without_postgres

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _the_controllers_terminal() -> None:
    """A pytest-xdist worker sees COLUMNS and LINES as the main pytest process does. pytest imports
    readline at start, and GNU readline puts COLUMNS=80 and LINES=24 into the process's C-level
    environment (not into os.environ); a worker starts with that environment, so its os.environ
    would hold both, and in-process commands would print tables 80 columns wide instead of as
    wide as they do without xdist. The main process hands its own view down; a worker takes it
    back (keeping the C-level values, which the programs both start inherit alike)."""
    names = ("COLUMNS", "LINES")
    if "PYTEST_XDIST_WORKER" not in os.environ:
        os.environ.setdefault(
            "LEDGER_TEST_TERMINAL", json.dumps({name: os.environ.get(name) for name in names})
        )
        return
    for name, value in json.loads(os.environ.get("LEDGER_TEST_TERMINAL", "{}")).items():
        if value is not None:
            os.environ[name] = value
        elif name in os.environ:
            inherited = os.environ.pop(name)
            os.putenv(name, inherited)


_the_controllers_terminal()


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


def pytest_sessionstart(session):
    """Under LEDGER_REQUIRE_INSTALLED=1 (.ci/run), this process (the main one, or a pytest-xdist
    worker) must import `ledger` and `commands` from the installed package, not the source tree."""
    if os.environ.get("LEDGER_REQUIRE_INSTALLED") != "1":
        return
    import commands
    import ledger

    site = Path(sys.prefix).resolve()
    for module in (ledger, commands):
        where = Path(module.__file__).resolve()
        if site not in where.parents:
            raise pytest.UsageError(f"{module.__name__} is loaded from {where}, not from {site}")
