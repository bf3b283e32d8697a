"""Moving a ledger: `ledger copy` between SQLite and PostgreSQL and `ledger restore` from an
audit export keep every event as stored (the same head hash, the same reports), catch a copy up
with only the missing events, and refuse a target that differs without writing anything."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from servers import postgres_schema
from sqlalchemy import create_engine, text

from commands import main
from ledger.chain import chain_hash
from ledger.packaged import fixture

# The demo's events: the fixture holds one per line.
DEMO_EVENTS = len(fixture("demo.jsonl").read_text(encoding="utf-8").splitlines())

# Reports compared between a source and its copy: (arguments, …) as a user would type them.
REPORTS = [
    ("query", "budget", "--as-of", "2025-06-30"),
    ("query", "budget", "--as-of", "2025-12-31", "--upto-seq", "40"),
    ("query", "commitments", "--as-of", "2025-12-31"),
    ("query", "shares", "--as-of", "2025-12-31", "--region", "CN"),
    ("compliance", "--as-of", "2025-12-31"),
    ("log", "--id", "MY-L-04"),
    ("export", "events"),
    ("verify",),
]


def ledger(db: str, *args: str, code: int = 0):
    result = CliRunner().invoke(
        main, ["--db", db, "--actor", "tester", *args], catch_exceptions=False
    )
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    return result


def given_the_demo(db: str) -> None:
    ledger(db, "init")
    ledger(db, "import", str(fixture("demo.jsonl")))


def reports(db: str) -> list[str]:
    return [ledger(db, *args).stdout for args in REPORTS]


def events_table(db: str) -> list[tuple]:
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            return [
                tuple(map(str, row))
                for row in connection.execute(text("SELECT * FROM events ORDER BY seq"))
            ]
    finally:
        engine.dispose()


def status(db: str) -> dict[str, str]:
    lines = ledger(db, "status").stdout.splitlines()
    return {label: value.strip() for label, value in (line.split(":", 1) for line in lines)}


def holds_no_events(db: str) -> bool:
    """No ledger at all (a failed copy or restore onto a new target creates none), or one
    without events (a target that was an empty ledger before)."""
    result = CliRunner().invoke(main, ["--db", db, "status"])
    if result.exit_code == 1:
        return result.stderr.startswith("error: no ledger ")
    return result.exit_code == 0 and status(db)["events"] == "0"


def head_hash(db: str) -> str:
    return ledger(db, "verify").stdout.split("head ")[1].strip()


@pytest.fixture
def sqlite_file(tmp_path):
    def make(name: str) -> str:
        return f"sqlite:///{tmp_path / name}"

    return make


@pytest.mark.postgres
def test_copy_sqlite_to_postgres_to_sqlite_keeps_every_event_and_every_report(
    sqlite_file, postgres_url
):
    source, back = sqlite_file("pilot.db"), sqlite_file("back.db")
    given_the_demo(source)

    to_server = ledger(source, "copy", postgres_url)
    to_file = ledger(postgres_url, "copy", back)

    assert f"copied {DEMO_EVENTS} events (seq 1-{DEMO_EVENTS})" in to_server.stdout
    assert f"copied {DEMO_EVENTS} events (seq 1-{DEMO_EVENTS})" in to_file.stdout
    assert head_hash(source) == head_hash(postgres_url) == head_hash(back)
    assert reports(postgres_url) == reports(source) == reports(back)
    assert events_table(back) == events_table(source)
    ledger(postgres_url, "rebuild", "--check")
    ledger(back, "rebuild", "--check")


@pytest.mark.postgres
def test_copy_postgres_to_postgres(postgres_url):
    given_the_demo(postgres_url)
    with postgres_schema() as replica:
        ledger(postgres_url, "copy", replica)

        assert reports(replica) == reports(postgres_url)
        ledger(replica, "rebuild", "--check")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target_url(request, sqlite_file):
    if request.param == "sqlite":
        yield sqlite_file("target.db")
        return
    with postgres_schema() as url:
        yield url


def test_copy_into_an_existing_empty_schema_and_the_copy_is_a_working_ledger(
    sqlite_file, target_url
):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(target_url, "init")

    ledger(source, "copy", target_url)
    recorded = ledger(target_url, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")

    assert recorded.stdout.strip().endswith(str(DEMO_EVENTS + 1))
    ledger(target_url, "verify")
    ledger(target_url, "rebuild", "--check")


def test_repeating_a_copy_adds_only_the_missing_events(sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(source, "copy", target_url)

    again = ledger(source, "copy", target_url)
    ledger(source, "order", "amend", "CN-PO-0001", "--quantity", "5", "--effective", "2025-11-30")
    ledger(source, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")
    caught_up = ledger(source, "copy", target_url)

    assert again.stdout.startswith("up to date: nothing copied")
    assert f"copied 2 events (seq {DEMO_EVENTS + 1}-{DEMO_EVENTS + 2})" in caught_up.stdout
    assert events_table(target_url) == events_table(source)
    assert reports(target_url) == reports(source)
    ledger(target_url, "rebuild", "--check")


def test_a_diverging_target_is_refused_naming_the_first_differing_seq_and_nothing_is_written(
    sqlite_file, target_url
):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(source, "copy", target_url)
    ledger(source, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")
    ledger(source, "fx", "set", "USD", "CNY", "7.4", "--effective", "2025-12-31")
    ledger(target_url, "fx", "set", "USD", "CNY", "9.9", "--effective", "2025-12-31")
    before = events_table(target_url)

    refused = ledger(source, "copy", target_url, code=1)

    assert refused.stderr.startswith(
        f"error: the target differs from the source from seq {DEMO_EVENTS + 1} on"
    )
    assert len(refused.stderr.strip().splitlines()) == 1
    assert events_table(target_url) == before


def test_a_target_longer_than_the_source_is_refused(sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(source, "copy", target_url)
    ledger(target_url, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")

    refused = ledger(source, "copy", target_url, code=1)

    assert f"from seq {DEMO_EVENTS + 1} on" in refused.stderr
    assert len(events_table(target_url)) == DEMO_EVENTS + 1


def test_a_source_whose_chain_is_broken_is_refused_and_nothing_is_written(sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    engine = create_engine(source)
    with engine.begin() as connection:
        # A row that bypassed the ledger: INSERT is allowed, but its hash is not the chain's.
        connection.execute(
            text(
                "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
                "prev_hash, hash) SELECT seq + 1, 'forged', type, effective, recorded_at, actor, reason, "
                f"payload, hash, hash FROM events WHERE seq = {DEMO_EVENTS}"
            )
        )
    engine.dispose()

    refused = ledger(source, "copy", target_url, code=1)

    assert refused.stderr.startswith(
        f"error: the source: seq {DEMO_EVENTS + 1}: hash does not match"
    )
    assert "nothing was written" in refused.stderr
    assert holds_no_events(target_url)


def test_restore_from_an_export_with_a_byte_order_mark_gives_the_same_ledger(
    tmp_path, sqlite_file, target_url
):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(
        source,
        "order",
        "place",
        "PO-Q",
        "--region",
        "CN",
        "--supplier",
        "huawei",
        "--sku",
        "x",
        "--quantity",
        "1",
        "--unit-price",
        "10",
        "--currency",
        "CNY",
        "--effective",
        "2025-12-01",
        "--reason",
        "=SUM(A1) and a, comma",
    )
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "--excel", "-o", str(export))

    restored = ledger(target_url, "restore", str(export))

    assert f"restored {DEMO_EVENTS + 1} events (seq 1-{DEMO_EVENTS + 1})" in restored.stdout
    assert head_hash(target_url) == head_hash(source)
    assert reports(target_url) == reports(source)
    ledger(target_url, "rebuild", "--check")


def test_restore_catches_up_from_a_longer_export(tmp_path, sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(source, "copy", target_url)
    ledger(source, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "-o", str(export))

    restored = ledger(target_url, "restore", str(export))

    assert f"restored 1 event (seq {DEMO_EVENTS + 1}-{DEMO_EVENTS + 1})" in restored.stdout
    assert head_hash(target_url) == head_hash(source)


@pytest.mark.parametrize("tamper", ["hash", "payload", "header"])
def test_a_bad_export_writes_nothing(tmp_path, sqlite_file, target_url, tamper):
    source = sqlite_file("source.db")
    given_the_demo(source)
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "-o", str(export))
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    if tamper == "hash":
        cells = lines[40].rstrip("\n").rsplit(",", 1)
        lines[40] = cells[0] + "," + "0" * 64 + "\n"
    elif tamper == "payload":
        number = next(n for n, line in enumerate(lines) if n > 30 and '""region"":""CN""' in line)
        lines[number] = lines[number].replace('""region"":""CN""', '""region"":""EU""', 1)
    else:
        lines[0] = lines[0].replace("payload", "body")
    export.write_text("".join(lines), encoding="utf-8")

    refused = ledger(target_url, "restore", str(export), code=1)

    assert refused.stderr.startswith("error: ")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert holds_no_events(target_url)


def test_status_shows_the_head_and_each_regions_closed_through_date(sqlite_file, target_url):
    given_the_demo(target_url)
    head = events_table(target_url)[-1]
    # Period events as the periods work records them, written raw so that this test does not
    # depend on the `period` commands: status reads them by type from the log.
    prev, seq = head[-1], int(head[0])
    engine = create_engine(target_url)
    with engine.begin() as connection:
        for payload in (
            '{"region":"CN","through":"2025-06-30"}',
            '{"region":"MY","through":"2025-03-31"}',
            '{"reason":"restate","region":"MY"}',
        ):
            seq += 1
            type_ = "period.reopened" if "reason" in payload else "period.closed"
            digest = chain_hash(
                prev, seq, f"p-{seq}", type_, "2025-07-01", head[4], "cfo", None, payload
            )
            connection.execute(
                text(
                    "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
                    "prev_hash, hash) VALUES (:seq, :id, :type, :effective, :at, 'cfo', NULL, :payload, :prev, :hash)"
                ),
                {
                    "seq": seq,
                    "id": f"p-{seq}",
                    "type": type_,
                    "effective": "2025-07-01",
                    "at": head[4],
                    "payload": payload,
                    "prev": prev,
                    "hash": digest,
                },
            )
            prev = digest
    engine.dispose()

    shown = status(target_url)

    assert shown["schema revision"] != ""
    assert shown["read-only"] == "no"
    assert (shown["events"], shown["head seq"], shown["head hash"]) == (
        str(DEMO_EVENTS + 3),
        str(DEMO_EVENTS + 3),
        prev,
    )
    assert shown["closed through (CN)"] == "2025-06-30"
    assert shown["closed through (MY)"] == "open (reopened)"


def test_status_masks_the_password(postgres_url):
    ledger(postgres_url, "init")
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@", 1)

    shown = ledger(with_password, "status").stdout

    assert "s3cret" not in shown
    assert status(with_password)["database"].startswith("postgresql+psycopg://postgres:***@")


# -- a copy or restore that cannot do what was asked never looks like success ------------------


def _pg_spelled_otherwise(url: str) -> str:
    """The same PostgreSQL database and schema, reached under another host name."""
    return (
        url.replace("127.0.0.1", "localhost")
        if "127.0.0.1" in url
        else url.replace("localhost", "127.0.0.1")
    )


def test_copy_onto_its_own_sqlite_file_under_another_spelling_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    given_the_demo("sqlite:///ledger.db")
    (tmp_path / "alias.db").symlink_to(tmp_path / "ledger.db")
    for target in (
        str(tmp_path / "ledger.db"),
        "./ledger.db",
        str(tmp_path / "sub" / ".." / "ledger.db"),
        "alias.db",
    ):
        (tmp_path / "sub").mkdir(exist_ok=True)
        result = ledger("ledger.db", "copy", target, code=1)
        assert result.stderr == "error: copy: the target is the source database\n"
        assert result.stdout == ""


def test_copy_onto_its_own_postgres_schema_under_another_host_name_is_refused(postgres_url):
    given_the_demo(postgres_url)
    result = ledger(postgres_url, "copy", _pg_spelled_otherwise(postgres_url), code=1)
    assert result.stderr == "error: copy: the target is the source database\n"


def test_copy_into_a_missing_folder_names_the_folder_and_creates_nothing(tmp_path):
    source = f"sqlite:///{tmp_path / 'ledger.db'}"
    given_the_demo(source)
    target = tmp_path / "no-such-folder" / "copy.db"
    result = ledger(source, "copy", str(target), code=1)
    assert (
        result.stderr
        == f"error: cannot create {target}: the folder {target.parent} does not exist\n"
    )
    assert "--db" not in result.stderr
    assert not target.parent.exists()


def test_copy_from_a_missing_ledger_creates_no_target(tmp_path):
    result = ledger(str(tmp_path / "missing.db"), "copy", str(tmp_path / "copy.db"), code=1)
    assert result.stderr.startswith("error: no ledger at ")
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_a_copy_that_fails_leaves_no_new_empty_target_file(tmp_path, sqlite_file):
    source = sqlite_file("source.db")
    given_the_demo(source)
    engine = create_engine(source)
    with engine.begin() as connection:  # a writer who bypasses the triggers breaks event 3
        connection.execute(text("DROP TRIGGER events_refuse_update"))
        connection.execute(text("UPDATE events SET actor = 'mallory' WHERE seq = 3"))
    engine.dispose()
    ledger(source, "copy", str(tmp_path / "copy.db"), code=1)
    assert not (tmp_path / "copy.db").exists()


def test_a_bad_export_restored_onto_a_new_path_creates_no_database(tmp_path):
    bad = tmp_path / "not-an-export.csv"
    bad.write_text("seq,foo\n1,2\n", encoding="utf-8")
    result = ledger(str(tmp_path / "restored.db"), "restore", str(bad), code=1)
    assert "not an export of `ledger export events`" in result.stderr
    assert not (tmp_path / "restored.db").exists()


def test_restore_into_a_missing_folder_names_the_folder(tmp_path, sqlite_file):
    source = sqlite_file("source.db")
    given_the_demo(source)
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "-o", str(export))
    target = tmp_path / "nowhere" / "restored.db"
    result = ledger(str(target), "restore", str(export), code=1)
    assert (
        result.stderr
        == f"error: cannot create {target}: the folder {target.parent} does not exist\n"
    )


def test_a_target_that_cannot_be_opened_is_named_as_the_target_not_as_db(tmp_path):
    source = str(tmp_path / "ledger.db")
    given_the_demo(source)
    folder = ledger(source, "copy", str(tmp_path), code=1)
    assert folder.stderr == f"error: TARGET: {tmp_path} is a directory, not a ledger file\n"
    unreachable = ledger(source, "copy", "postgresql://auditor:s3cret@127.0.0.1:1/ledger", code=1)
    assert unreachable.stderr.startswith("error: TARGET: cannot open the database: ")
    assert "s3cret" not in unreachable.stderr and len(unreachable.stderr.splitlines()) == 1


def test_status_shows_the_chains_head_not_a_row_forged_beyond_it(target_url):
    given_the_demo(target_url)
    before = status(target_url)
    engine = create_engine(target_url)
    with engine.begin() as connection:  # a writer role can INSERT: a row far past the chain
        connection.execute(
            text(
                "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
                "prev_hash, hash) SELECT 4611686018427387905, 'forged', type, effective, recorded_at, actor, "
                f"reason, payload, hash, hash FROM events WHERE seq = {DEMO_EVENTS}"
            )
        )
    engine.dispose()
    shown = ledger(target_url, "status", code=1)
    lines = dict(line.split(":", 1) for line in shown.stdout.splitlines())
    assert lines["head seq"].strip() == before["head seq"] == str(DEMO_EVENTS)
    assert lines["head hash"].strip() == before["head hash"]
    assert shown.stderr == (
        f"error: the events table holds {DEMO_EVENTS + 1} rows but its chain runs "
        f"1…{DEMO_EVENTS}; run `ledger verify`\n"
    )


def test_a_target_with_other_tables_is_named_as_the_target_and_kept(tmp_path):
    source = str(tmp_path / "ledger.db")
    given_the_demo(source)
    other = tmp_path / "other.db"
    engine = create_engine(f"sqlite:///{other}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    engine.dispose()
    refused = ledger(source, "copy", str(other), code=1)
    assert refused.stderr == (
        "error: the database has tables but no ledger schema; point TARGET at a ledger database\n"
    )
    assert other.exists()


def test_restore_from_a_pipe_says_so_and_creates_nothing(tmp_path, sqlite_file):
    source = sqlite_file("source.db")
    given_the_demo(source)
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "-o", str(export))
    pipe = tmp_path / "events.fifo"
    os.mkfifo(pipe)
    result = ledger(str(tmp_path / "restored.db"), "restore", str(pipe), code=1)
    assert result.stderr == (
        f"error: {pipe}: not a regular file; restore reads the export twice "
        "(checked whole, then loaded), so save it to a file first\n"
    )
    assert not (tmp_path / "restored.db").exists()


def test_an_empty_target_is_a_usage_error_not_the_default_ledger(tmp_path, monkeypatch):
    source = str(tmp_path / "source.db")
    given_the_demo(source)
    monkeypatch.chdir(tmp_path)
    result = ledger(source, "copy", "", code=2)
    assert (
        result.stderr == "error: Invalid value for TARGET: is empty; give a URL or a SQLite path\n"
    )
    assert not (tmp_path / "ledger.db").exists()


def test_a_source_with_a_row_forged_beyond_its_chain_is_refused(sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    engine = create_engine(source)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
                "prev_hash, hash) SELECT 4611686018427387905, 'forged', type, effective, recorded_at, actor, "
                f"reason, payload, hash, hash FROM events WHERE seq = {DEMO_EVENTS}"
            )
        )
    engine.dispose()
    refused = ledger(source, "copy", target_url, code=1)
    assert refused.stderr == (
        f"error: the source: seq 4611686018427387905: a row outside the chain "
        f"1…{DEMO_EVENTS} (run `ledger verify`); nothing was written\n"
    )
    assert holds_no_events(target_url)
