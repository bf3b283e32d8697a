"""Through PgBouncer in transaction pooling mode, where consecutive transactions of one client may
run on different server connections: concurrent writers still leave a gapless, verified log, and
an import, a copy and the reports work as they do directly."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import pytest
from click.testing import CliRunner
from servers import POSTGRES_URL, pgbouncer, skip_without_postgres, with_port
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from commands import main
from ledger.packaged import fixture

pytestmark = pytest.mark.postgres

WRITERS = 4
EVENTS_PER_WRITER = 50

WRITER = textwrap.dedent(
    """
    import sys
    from ledger.app import Ledger

    url, writer, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with Ledger.open(url) as books:
        print("ready", flush=True)
        sys.stdin.readline()
        for number in range(count):
            code = f"w{writer}-{number}"
            # One transaction per event: after a few, the driver would prepare the statements it
            # repeats, on whichever server connection the pooler lent it that time.
            books.record("supplier.registered", {"supplier": code, "name": code, "country": "CN"},
                         effective="2025-01-01", actor=f"writer-{writer}")
    print("done", flush=True)
    """
)


def ledger(db: str, *args: str):
    return CliRunner().invoke(
        main, ["--db", db, "--actor", "tester", *args], catch_exceptions=False
    )


@pytest.fixture
def pooled_database():
    """A new database on the test server (a pooler hands out server connections, so a
    per-connection search_path cannot select a schema); yields its URL through PgBouncer."""
    skip_without_postgres()
    name = f"ledger_pool_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with pgbouncer("transaction") as port:
            yield with_port(
                make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False),
                port,
            )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_concurrent_writers_through_pgbouncer_leave_a_gapless_verified_log(
    pooled_database, tmp_path
):
    assert ledger(pooled_database, "init").exit_code == 0
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, pooled_database, str(writer), str(EVENTS_PER_WRITER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for writer in range(WRITERS)
    ]
    try:
        for process in writers:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in writers:
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [process.communicate(timeout=300) for process in writers]
    finally:
        for process in writers:
            if process.poll() is None:
                process.kill()

    for process, (out, err) in zip(writers, outcomes, strict=True):
        assert (process.returncode, out.strip(), err) == (0, "done", "")
    verified = ledger(pooled_database, "verify")
    assert verified.stdout.startswith(f"ok: {WRITERS * EVENTS_PER_WRITER} events, head "), (
        verified.stderr
    )
    engine = create_engine(pooled_database)
    with engine.connect() as connection:
        seqs = [row[0] for row in connection.execute(text("SELECT seq FROM events ORDER BY seq"))]
    engine.dispose()
    assert seqs == list(range(1, WRITERS * EVENTS_PER_WRITER + 1))


def test_import_copy_and_reports_through_pgbouncer(pooled_database, tmp_path):
    direct = f"sqlite:///{tmp_path / 'direct.db'}"
    ledger(direct, "init")
    ledger(direct, "import", str(fixture("demo.jsonl")))

    ledger(pooled_database, "init")
    imported = ledger(pooled_database, "import", str(fixture("demo.jsonl")))
    copied = ledger(pooled_database, "copy", f"sqlite:///{tmp_path / 'copy.db'}")

    assert imported.exit_code == 0, imported.stderr
    assert copied.exit_code == 0, copied.stderr
    for args in [
        ("query", "budget", "--as-of", "2025-12-31"),
        ("compliance", "--as-of", "2025-12-31"),
        ("query", "commitments", "--as-of", "2025-12-31"),
    ]:
        assert ledger(pooled_database, *args).stdout == ledger(direct, *args).stdout
    assert ledger(pooled_database, "rebuild", "--check").exit_code == 0
