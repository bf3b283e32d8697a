"""The log's integrity under an upgrade, a stalled writer and a concurrent rebuild: revision 0003
refuses seq < 1 without touching stored events; writers wait a bounded time for the write lock
and then say who holds it; a rebuild and an import exclude each other; anchors are not
overwritten by accident."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import create_engine, insert, select, text

from ledger.app import Ledger
from ledger.db import APPEND_LOCK_KEY, make_engine
from ledger.migrate import alembic_config
from ledger.packaged import fixture
from ledger.schema import SCHEMA_REVISION, events

JAN_1 = date(2025, 1, 1)


def test_upgrading_a_log_that_holds_a_seq_0_row_keeps_it_and_verify_names_it(db_url, tmp_path):
    """Revision 0003 adds the guard without failing on, or changing, rows already stored."""
    from alembic import command

    with Ledger.open(f"sqlite:///{tmp_path / 'reference.db'}") as reference:
        reference.import_file(fixture("minimal.jsonl"), actor="demo")
        with reference.engine.connect() as connection:
            # As an older revision stores it: without the payload version (revision 0004).
            log = [
                {name: value for name, value in row._mapping.items() if name != "version"}
                for row in connection.execute(select(events).order_by(events.c.seq))
            ]
    stray = {**log[0], "seq": 0, "event_id": "00000000-0000-4000-8000-000000000000"}
    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(insert(events), [*log, stray])
    engine.dispose()

    # The database as it is (opening a ledger for anything but init refuses an old revision).
    with Ledger(make_engine(db_url)) as books:
        assert books.init() == ("0002", SCHEMA_REVISION)
        with books.engine.connect() as connection:
            after = [
                dict(row._mapping)
                for row in connection.execute(select(events).order_by(events.c.seq))
            ]
        report = books.verify()

        # Unchanged, each row read as written by version 1 of its type (revision 0004's default).
        assert after == [{**row, "version": 1} for row in (stray, *log)]
        assert not report.ok and report.broken_seq == 0 and "outside the chain" in report.problem
        assert books.head()[0] == len(log)
        with pytest.raises(Exception, match="(?i)seq|check"), books.engine.begin() as connection:
            connection.execute(insert(events), [{**stray, "seq": -1, "event_id": "1" * 36}])


# -- a stalled writer ---------------------------------------------------------------------------


def test_a_writer_waits_a_bounded_time_and_names_who_holds_the_lock_on_postgres(
    postgres_url, run_on, monkeypatch
):
    with Ledger.open(postgres_url):
        pass
    holder = create_engine(postgres_url, connect_args={"application_name": "stalled-writer"})
    with holder.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        connection.execute(
            text("SELECT pg_advisory_lock(:key, hashtext(current_schema()))"),
            {"key": APPEND_LOCK_KEY},
        )
        connection.commit()
        monkeypatch.setenv("LEDGER_LOCK_TIMEOUT", "0.5")
        started = time.monotonic()

        recorded = run_on(
            postgres_url, "fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01"
        )
        rebuilt = run_on(postgres_url, "rebuild")

        waited = time.monotonic() - started
    holder.dispose()

    for result in (recorded, rebuilt):
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1, result.stderr
        assert f"pid {pid}" in result.stderr and "'stalled-writer'" in result.stderr
        assert "LEDGER_LOCK_TIMEOUT" in result.stderr
    assert waited < 20
    monkeypatch.delenv("LEDGER_LOCK_TIMEOUT")
    assert (
        run_on(postgres_url, "fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01").stdout
        == "1\n"
    )


@contextmanager
def another_schema():
    """A second PostgreSQL schema for a test that needs two ledgers in one database."""
    import os
    import uuid
    from urllib.parse import quote

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(os.environ["LEDGER_TEST_POSTGRES"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = os.environ["LEDGER_TEST_POSTGRES"]
        yield f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_append_lock_is_the_ledgers_own_schema(postgres_url, run_on, monkeypatch):
    """Two ledgers in two schemas of one database do not wait for each other."""
    with another_schema() as other_url:
        for url in (postgres_url, other_url):
            with Ledger.open(url):
                pass
        holder = create_engine(other_url)
        with holder.connect() as connection:
            connection.execute(
                text("SELECT pg_advisory_lock(:key, hashtext(current_schema()))"),
                {"key": APPEND_LOCK_KEY},
            )
            connection.commit()
            monkeypatch.setenv("LEDGER_LOCK_TIMEOUT", "0.5")

            mine = run_on(
                postgres_url, "fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01"
            )
            theirs = run_on(
                other_url, "fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01"
            )
        holder.dispose()

    assert mine.exit_code == 0 and mine.stdout == "1\n"
    assert theirs.exit_code == 1 and "append lock is held by pid" in theirs.stderr


def test_a_writer_waits_a_bounded_time_for_the_sqlite_file(tmp_path, run_on, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.open(url):
        pass
    holder = create_engine(url, isolation_level="AUTOCOMMIT")
    with holder.connect() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        monkeypatch.setenv("LEDGER_LOCK_TIMEOUT", "0.3")

        recorded = run_on(url, "fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01")
        rebuilt = run_on(url, "rebuild")

        connection.exec_driver_sql("ROLLBACK")
    holder.dispose()

    for result in (recorded, rebuilt):
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and "locked by another writer" in result.stderr
    assert (
        run_on(url, "fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01").stdout == "1\n"
    )


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan", "inf", "1e9", "٣"])
def test_a_lock_timeout_that_is_not_a_number_of_seconds_is_one_line(run, monkeypatch, value):
    assert run("verify").exit_code == 0  # the ledger exists before the setting goes wrong
    monkeypatch.setenv("LEDGER_LOCK_TIMEOUT", value)

    result = run("fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01")

    assert result.exit_code == 1
    assert (
        result.stderr.startswith("error: LEDGER_LOCK_TIMEOUT: ") and result.stderr.count("\n") == 1
    )


@pytest.fixture
def run_on(monkeypatch):
    """Run `ledger --db URL ARGS…` in-process, for tests that need more than one database."""
    from click.testing import CliRunner

    from commands import main

    monkeypatch.setenv("LEDGER_ACTOR", "tester")

    def invoke(url, *args):
        return CliRunner().invoke(main, ["--db", url, *map(str, args)], catch_exceptions=False)

    return invoke


# -- a rebuild during an import -----------------------------------------------------------------

OPENING = 17  # regions, suppliers, rates and budgets at the start of every generated file


def round_files(folder, rounds: int, size: int) -> list:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "reliability"))
    from eventfile import events as generated

    files = []
    opening = generated(OPENING)[:OPENING]
    for number in range(rounds):
        records = (opening if number == 0 else []) + generated(OPENING + size, tag=f"r{number}")[
            OPENING:
        ]
        path = folder / f"round-{number}.jsonl"
        path.write_text("".join(json.dumps(record) + "\n" for record in records))
        files.append(path)
    return files


def committed(books: Ledger) -> list[tuple]:
    return [
        (row["region"], str(row["committed"]))
        for row in books.query_budget(as_of=date(2026, 12, 31), year=2025)
    ]


@pytest.mark.slow
def test_a_rebuild_and_an_import_exclude_each_other(db_url, tmp_path):
    """20 rounds of an import while rebuilds run: afterwards the read models equal a fresh
    rebuild, and the totals equal those of a clean ledger fed the same files."""
    files = round_files(tmp_path, rounds=20, size=40)
    errors: list[BaseException] = []
    done = threading.Event()

    def rebuild_loop():
        with Ledger.open(db_url) as books:
            while not done.is_set():
                try:
                    books.rebuild()
                except BaseException as error:  # noqa: BLE001 - reported by the test below
                    errors.append(error)
                    return

    with Ledger.open(db_url) as books:
        books.import_file(files[0], actor="gen")
        rebuilder = threading.Thread(target=rebuild_loop)
        rebuilder.start()
        try:
            for path in files[1:]:
                books.import_file(path, actor="gen")
        finally:
            done.set()
            rebuilder.join(timeout=120)
        check = books.rebuild(check=True)
        totals = committed(books)

    # The reference: the same files imported one after another, with nothing else going on.
    with Ledger.open(f"sqlite:///{tmp_path / 'clean.db'}") as clean:
        for path in files:
            clean.import_file(path, actor="gen")
        expected = committed(clean)

    assert errors == []
    assert check.differences == ()
    assert totals == expected and any(amount != "0" for _, amount in totals)


def test_rebuild_takes_the_append_lock_on_postgres(postgres_url):
    """While a rebuild's transaction is open, the lock is held: another writer cannot take it."""
    from ledger.db import write_transaction

    with Ledger.open(postgres_url) as books:
        books.import_file(fixture("minimal.jsonl"), actor="demo")
        with write_transaction(books.engine, commit=False):
            probe = create_engine(postgres_url)
            with probe.connect() as connection:
                taken = connection.execute(
                    text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))"),
                    {"key": APPEND_LOCK_KEY},
                ).scalar()
            probe.dispose()
    assert taken is False


# -- anchors ------------------------------------------------------------------------------------


def test_anchor_does_not_overwrite_a_file_unless_forced(run, tmp_path):
    run("fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01")
    target = tmp_path / "anchor.json"
    target.write_text("kept\n")

    refused = run("anchor", "-o", target)
    kept = target.read_text()
    forced = run("anchor", "-o", target, "--force")
    missing_folder = run("anchor", "-o", tmp_path / "no" / "such" / "anchor.json")

    assert (
        refused.exit_code == 1 and refused.stderr.count("\n") == 1 and "--force" in refused.stderr
    )
    assert kept == "kept\n"
    assert forced.exit_code == 0 and json.loads(target.read_text())["seq"] == 1
    assert missing_folder.exit_code == 1 and missing_folder.stderr.count("\n") == 1


def test_verify_deep_checks_the_database_not_an_export(run, tmp_path):
    run("fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01")
    run("export", "events", "-o", tmp_path / "events.csv")

    result = run("verify", "--deep", "--export", tmp_path / "events.csv")

    assert result.exit_code == 2 and result.stderr.count("\n") == 1
