"""The test databases: the PostgreSQL server the tests use, a new schema on it for each test, and
new ledgers made quickly from templates.

Migrating a new database takes alembic a while (a second on PostgreSQL), and loading the demo
longer (several seconds), so each test process (each pytest-xdist worker) does it once, into a
template, and gives a test a copy: a copy of the SQLite file, or the template schema's
`pg_dump` replayed into the test's own schema. `tests/test_templates.py` checks that a copy is
the schema a migration makes. Without `pg_dump` (of the server's major version or later) the
PostgreSQL tests migrate each schema themselves, as `ledger init` does: slower, but the same.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")
# .ci/run sets LEDGER_REQUIRE_POSTGRES=1: a PostgreSQL test that cannot run is then a failure.
REQUIRE_POSTGRES = os.environ.get("LEDGER_REQUIRE_POSTGRES") == "1"
# "gw0", "gw1", … under pytest-xdist; in every name a test makes on the shared server.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# The name the template's dump carries in place of the schema it is replayed into.
PLACEHOLDER = "ledger_template_schema_placeholder"


def cannot(reason: str) -> None:
    """Skip, or fail under LEDGER_REQUIRE_POSTGRES=1 (CI), where nothing may skip."""
    if REQUIRE_POSTGRES:
        pytest.fail(f"LEDGER_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def skip_without_postgres() -> None:
    if not POSTGRES_URL:
        cannot("LEDGER_TEST_POSTGRES is not set")


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def schema_of(url: str) -> str | None:
    """The schema a URL made by `with_search_path` selects."""
    found = re.search(r"options=([^&]*)", url)
    if not found:
        return None
    options = unquote(found.group(1))
    named = re.search(r"-csearch_path=(\S+)", options)
    return named.group(1) if named else None


@functools.cache
def admin() -> Engine:
    """One autocommit engine on the test server for this process, to make and drop schemas."""
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    atexit.register(engine.dispose)
    return engine


def new_schema_name(prefix: str = "t") -> str:
    return f"{prefix}_{WORKER}_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[str]:
    """A URL whose connections live in a new, empty schema of the test server, dropped after
    (skips, or fails under CI, without a server)."""
    skip_without_postgres()
    schema = new_schema_name(prefix)
    with admin().connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield with_search_path(POSTGRES_URL, schema)
    finally:
        with admin().connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


# -- the templates --------------------------------------------------------------------------------


@functools.cache
def _scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"ledger-templates-{WORKER}-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL (no query, not in memory)."""
    if not url.startswith("sqlite:///") or "?" in url or url == "sqlite:///:memory:":
        return None
    return Path(url.removeprefix("sqlite:///"))


@functools.cache
def _sqlite_template(kind: str) -> Path:
    """A SQLite ledger made once for this process: the schema alone, or the demo."""
    path = _scratch() / f"{kind}.db"
    url = f"sqlite:///{path}"
    _build(kind, url)
    assert not Path(f"{path}-wal").exists(), "the template's WAL was not checkpointed"
    return path


def _build(kind: str, url: str) -> None:
    from ledger.app import Ledger

    if kind == "ledger":
        Ledger.open(url).close()
        return
    from click.testing import CliRunner

    from commands import main

    # As `run("demo")` does in a test (`run` sets LEDGER_ACTOR=tester).
    result = CliRunner().invoke(main, ["--db", url, "demo"], env={"LEDGER_ACTOR": "tester"})
    assert result.exit_code == 0, result.output


def _pg_dump() -> str | None:
    """A pg_dump of the server's major version (or, from PATH, any: it says when too old)."""
    with admin().connect() as connection:
        major = connection.execute(text("SHOW server_version_num")).scalar()[:-4]
    exact = Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")
    return str(exact) if exact.exists() else shutil.which("pg_dump")


@functools.cache
def _postgres_template(kind: str) -> str | None:
    """The SQL that rebuilds a PostgreSQL ledger made once for this process (the schema alone,
    or the demo), its schema named PLACEHOLDER; None when pg_dump cannot make it."""
    program = _pg_dump()
    if program is None:
        warnings.warn("no pg_dump: each PostgreSQL test migrates its own schema", stacklevel=2)
        return None
    schema = new_schema_name("template")
    with admin().connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        _build(kind, with_search_path(POSTGRES_URL, schema))
        with admin().connect() as connection:
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY 1"),
                {"schema": schema},
            ).scalars()
            # pg_dump leaves out an owner-only ACL, which `ledger init` writes out in full by
            # revoking PUBLIC's rights (ledger.migrate.revoke_public): so does the copy.
            revokes = [f'REVOKE ALL ON "{schema}"."{table}" FROM PUBLIC;' for table in tables]
        server = make_url(POSTGRES_URL)
        environment = {**os.environ}
        if server.password:
            environment["PGPASSWORD"] = str(server.password)
        dumped = subprocess.run(
            [
                program,
                "--host",
                server.host or "127.0.0.1",
                "--port",
                str(server.port or 5432),
                "--username",
                server.username or "postgres",
                "--dbname",
                server.database or "postgres",
                "--schema",
                schema,
                "--inserts",
                "--no-owner",
            ],
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
        )
    finally:
        with admin().connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    if dumped.returncode != 0:
        warnings.warn(
            f"pg_dump failed, each PostgreSQL test migrates its own schema: {dumped.stderr}",
            stacklevel=2,
        )
        return None
    lines = []
    for line in dumped.stdout.splitlines():
        if line.startswith("\\") or line == f"CREATE SCHEMA {schema};":
            continue  # psql's meta-commands; the test's schema exists already
        # Settings for this script only, not for the pooled connection that runs it.
        line = re.sub(r"^SET (\w+) = ", r"SET LOCAL \1 = ", line)
        line = line.replace("'search_path', '', false)", "'search_path', '', true)")
        lines.append(line)
    script = "\n".join([*lines, *revokes])
    assert PLACEHOLDER not in script
    return re.sub(rf"\b{re.escape(schema)}\b", PLACEHOLDER, script).replace(
        f'"{PLACEHOLDER}"', PLACEHOLDER
    )


def _is_empty_schema(connection, schema: str) -> bool:
    return not connection.execute(
        text(
            "SELECT 1 FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n "
            "ON n.oid = c.relnamespace WHERE n.nspname = :schema LIMIT 1"
        ),
        {"schema": schema},
    ).first()


def _from_template(kind: str, url: str) -> bool:
    """Make the ledger of `kind` at url from this process's template, when url is a new
    database: a SQLite file not there yet, or an empty schema of the test server. Whether it
    did."""
    path = _sqlite_file(url)
    if path is not None:
        if path.exists() or not path.parent.is_dir():
            return False
        shutil.copyfile(_sqlite_template(kind), path)
        return True
    schema = schema_of(url)
    if not (POSTGRES_URL and schema and url == with_search_path(POSTGRES_URL, schema)):
        return False
    with admin().connect() as connection:
        if not _is_empty_schema(connection, schema):
            return False
    script = _postgres_template(kind)
    if script is None:
        return False
    quoted = f'"{schema}"' if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema) else schema
    raw = admin().raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(script.replace(PLACEHOLDER, quoted))  # one statement list, one transaction
        cursor.close()
    finally:
        raw.close()
    return True


def new_ledger(url: str) -> None:
    """The ledger's schema on the database at url, as `Ledger.open(url)` makes it: copied from
    the template when the database is new (a SQLite file not there yet, an empty schema of the
    test server); else by Ledger.open itself, which then says what it makes of the database."""
    from ledger.app import Ledger
    from ledger.db import make_engine

    # The refusals of Ledger.open before it touches a database (a bad URL, LEDGER_LOCK_TIMEOUT).
    make_engine(url).dispose()
    if not _from_template("ledger", url):
        Ledger.open(url).close()


def new_demo(url: str) -> None:
    """The demo at url, a new database, as `ledger --db url demo` loads it (copied from a
    template made once per process)."""
    if not _from_template("demo", url):
        _build("demo", url)
