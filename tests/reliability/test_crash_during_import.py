"""An import killed at a random moment — the process by SIGKILL, or on PostgreSQL its connection
cut by the server — leaves the log with none or all of the file, a chain that verifies and read
models equal to a rebuild; importing the file again then records each event exactly once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
import uuid
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from eventfile import events, write_jsonl
from harness import POSTGRES_URL, assert_log_is_sound, ledger_process, postgres_schema, size
from sqlalchemy import create_engine, text

FILE_EVENTS = size(ci=3000, full=200_000)
CRASHES = size(ci=3, full=20)
# The moments are random but reproducible: LEDGER_RELIABILITY_SEED picks another sequence.
SEED = int(os.environ.get("LEDGER_RELIABILITY_SEED", "20251"))


@pytest.fixture(scope="module")
def event_file(tmp_path_factory):
    records = events(FILE_EVENTS, seed=7)
    path = write_jsonl(tmp_path_factory.mktemp("crash") / "events.jsonl", records)
    return path, {record["event_id"] for record in records}


@contextmanager
def fresh_database(backend: str, folder, number: int):
    """A new ledger database with its schema, on the backend."""
    from ledger.app import Ledger

    if backend == "postgres":
        with postgres_schema() as url:
            Ledger.open(url).close()
            yield url
        return
    url = f"sqlite:///{folder / f'crash-{number}.db'}"
    Ledger.open(url).close()
    yield url


def named(url: str, name: str) -> str:
    """The URL with an application_name, by which pg_stat_activity shows its connections."""
    return f"{url}{'&' if '?' in url else '?'}application_name={quote(name)}"


def holds_write_lock(url: str, name: str, admin) -> bool:
    """Whether the import has started writing: it holds the append lock (SQLite: the database's
    write lock, which this probe would otherwise take for an instant; PostgreSQL: the
    transaction-level advisory lock, held by a connection with the import's name)."""
    if admin is None:
        probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    with admin.connect() as connection:
        return (
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid) "
                    "WHERE application_name = :name AND locktype = 'advisory' AND granted"
                ),
                {"name": name},
            ).scalar()
            > 0
        )


def start_import(url: str, path, folder, admin) -> tuple:
    """`ledger import` in its own process, returned once it writes (or has ended): (process, its
    application_name, seconds from the start until then, whether it was seen writing)."""
    name = f"ledger-crash-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    process = ledger_process("--db", named(url, name) if admin else url, "import", path, cwd=folder)
    while process.poll() is None:
        if holds_write_lock(url, name, admin):
            return process, name, time.monotonic() - started, True
        time.sleep(0.005)
    return process, name, time.monotonic() - started, False


def writing_seconds(url: str, path, folder, admin) -> float:
    """How long an import of this file writes here, from taking the lock to the end."""
    from ledger.app import Ledger

    Ledger.open(url).close()  # only init and demo create a ledger; import needs one
    process, *_ = start_import(url, path, folder, admin)
    started = time.monotonic()
    out, err = process.communicate(timeout=3600)
    assert process.returncode == 0, err
    return time.monotonic() - started


def assert_none_or_all_then_reimport(url: str, path, event_ids: set[str]) -> int:
    """After a crash: none or all of the file, a sound log; a second import completes it."""
    from commands import main
    from ledger.app import Ledger

    count = assert_log_is_sound(url)
    assert count in (0, len(event_ids)), f"a partial import: {count} of {len(event_ids)} events"
    result = CliRunner().invoke(main, ["--db", url, "--actor", "rerun", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"imported {len(event_ids) - count} event")
    assert assert_log_is_sound(url) == len(event_ids)
    with Ledger.open(url) as books:
        recorded = [event.event_id for event in books.events()]
    assert len(recorded) == len(set(recorded)) and set(recorded) == event_ids
    return count


def crash_imports(backend: str, how: str, event_file, folder, reference: str, rng) -> list[dict]:
    """CRASHES imports, each on a new database, each crashed at a random moment while it
    writes: `how` is "kill" (SIGKILL to the process) or "cut" (the server ends its session)."""
    path, event_ids = event_file
    admin = (
        create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT") if backend == "postgres" else None
    )
    outcomes = []
    try:
        span = writing_seconds(reference, path, folder, admin)
        for number in range(1, CRASHES + 1):
            with fresh_database(backend, folder, number) as url:
                process, name, _, writing = start_import(url, path, folder, admin)
                time.sleep(rng.uniform(0, span))
                crashed = process.poll() is None
                if how == "kill":
                    process.send_signal(signal.SIGKILL)
                else:
                    with admin.connect() as connection:
                        crashed = (
                            connection.execute(
                                text(
                                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE application_name = :name"
                                ),
                                {"name": name},
                            ).scalar()
                            > 0
                        )
                out, err = process.communicate(timeout=600)
                found = assert_none_or_all_then_reimport(url, path, event_ids)
                outcomes.append(
                    {
                        "writing": writing,
                        "crashed": crashed,
                        "found": found,
                        "exit": process.returncode,
                        "traceback": "Traceback" in err,
                        "stderr": err,
                        "seconds": span,
                    }
                )
    finally:
        if admin is not None:
            admin.dispose()
    crashed = sum(outcome["crashed"] for outcome in outcomes)
    assert crashed >= CRASHES // 2, (
        f"only {crashed} of {CRASHES} crashes came before the import ended"
    )
    return outcomes


def summary(outcomes: list[dict]) -> dict:
    return {
        "file_events": FILE_EVENTS,
        "crashes": CRASHES,
        "crashed_while_writing": sum(o["crashed"] and o["writing"] for o in outcomes),
        "left_none": sum(o["found"] == 0 for o in outcomes),
        "left_all": sum(o["found"] > 0 for o in outcomes),
        "import_write_seconds": round(outcomes[0]["seconds"], 1) if outcomes else None,
        "lost": 0,
        "duplicated": 0,
    }


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_an_import_killed_at_random_moments_is_all_or_nothing(
    backend, event_file, tmp_path, request, figures
):
    # The first import runs whole, on the test's own database: how long a crash may wait.
    if backend == "sqlite":
        reference = f"sqlite:///{tmp_path / 'reference.db'}"
    else:
        reference = request.getfixturevalue("postgres_url")

    outcomes = crash_imports(backend, "kill", event_file, tmp_path, reference, random.Random(SEED))

    killed = [outcome for outcome in outcomes if outcome["crashed"]]
    assert all(outcome["exit"] == -signal.SIGKILL for outcome in killed)
    figures(backend=backend, kind="SIGKILL", **summary(outcomes))


@pytest.mark.postgres
def test_an_import_whose_connection_is_cut_at_random_moments_is_all_or_nothing(
    event_file, tmp_path, postgres_url, figures
):
    outcomes = crash_imports(
        "postgres", "cut", event_file, tmp_path, postgres_url, random.Random(SEED + 1)
    )

    for outcome in outcomes:
        assert outcome["exit"] == (1 if outcome["crashed"] and outcome["found"] == 0 else 0)
        if outcome["exit"] == 1:
            # One line naming the database's reason, never a traceback.
            assert not outcome["traceback"], outcome["stderr"]
            assert outcome["stderr"].startswith("error: database: "), outcome["stderr"]
            assert outcome["stderr"].count("\n") == 1, outcome["stderr"]
    figures(
        backend="postgres",
        kind="connection cut",
        **summary(outcomes),
        tracebacks=sum(outcome["traceback"] for outcome in outcomes),
    )
