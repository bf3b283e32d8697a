"""A target that `copy` or `restore` creates is whole or absent: a SQLite file is written under a
temporary name next to it and renamed when complete; a PostgreSQL database it creates (when the
server has none of that name) is dropped again when the command fails."""

# ruff: noqa: F811 (the fixture sqlite_file comes from test_copy)

from __future__ import annotations

import os
import uuid

import pytest
from databases import POSTGRES_URL, skip_without_postgres
from invalid_exports import make_case
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from test_copy import given_the_demo, head_hash, ledger, sqlite_file  # noqa: F401

from ledger.moving import opened_target


def test_a_new_sqlite_target_appears_only_when_the_copy_is_complete(tmp_path):
    path = tmp_path / "copy.db"

    with opened_target(str(path)) as target:
        assert not path.exists()
        assert str(target.engine.url.database).startswith(str(tmp_path / ".copy.db.partial-"))
    assert path.exists()
    assert sorted(os.listdir(tmp_path)) == ["copy.db"]


def test_a_copy_onto_a_new_sqlite_path_leaves_only_the_finished_ledger(sqlite_file, tmp_path):
    source = sqlite_file("source.db")
    given_the_demo(source)
    target = tmp_path / "copy.db"

    copied = ledger(source, "copy", str(target))

    assert f"to sqlite:///{target}" in copied.stdout
    assert head_hash(str(target)) == head_hash(source)
    assert not [name for name in os.listdir(tmp_path) if ".partial-" in name]


def test_a_failed_restore_onto_a_new_sqlite_path_leaves_nothing(sqlite_file, tmp_path):
    source = sqlite_file("source.db")
    given_the_demo(source)
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "-o", str(export))
    bad = tmp_path / "bad.csv"
    make_case(export, "unknown-region", bad)
    target = tmp_path / "restored.db"

    ledger(str(target), "restore", str(bad), code=1)

    assert not target.exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".restored.db")]


@pytest.fixture
def missing_database():
    """The URL of a PostgreSQL database that does not exist yet (dropped afterwards if made)."""
    skip_without_postgres()
    name = f"ledger_new_{uuid.uuid4().hex[:10]}"
    yield name, make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_exists(name: str) -> bool:
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect() as connection:
            return bool(
                connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first()
            )
    finally:
        admin.dispose()


@pytest.mark.postgres
def test_copy_onto_a_postgres_database_that_does_not_exist_creates_it(
    sqlite_file, missing_database
):
    name, url = missing_database
    source = sqlite_file("source.db")
    given_the_demo(source)

    ledger(source, "copy", url)

    assert database_exists(name)
    assert head_hash(url) == head_hash(source)


@pytest.mark.postgres
def test_a_failed_copy_drops_the_postgres_database_it_created(
    sqlite_file, tmp_path, missing_database
):
    from invalid_exports import read_rows
    from test_invalid_exports import forged_source

    name, url = missing_database
    source = sqlite_file("source.db")
    given_the_demo(source)
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "-o", str(export))
    bad = tmp_path / "bad.csv"
    make_case(export, "quantity-minus-5", bad)
    forged = forged_source(tmp_path / "forged.db", read_rows(bad))

    refused = ledger(forged, "copy", url, code=1)

    assert "verify --deep" in refused.stderr
    assert not database_exists(name)


def test_a_copy_killed_part_way_leaves_no_ledger_at_the_target_path(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from generate import generate

    events = tmp_path / "events.jsonl"
    with open(events, "w", encoding="utf-8") as out:
        generate(30_000, out)
    source = tmp_path / "source.db"
    ledger(str(source), "init")
    ledger(str(source), "import", str(events))
    target = tmp_path / "copy.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from commands import main; sys.exit(main())",
            "--db",
            str(source),
            "copy",
            str(target),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if any(name.startswith(".copy.db.partial-") for name in os.listdir(tmp_path)):
            time.sleep(0.3)  # well into the copy
            break
        time.sleep(0.01)
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert killed, "the copy ended before it could be killed"
    assert not target.exists()
