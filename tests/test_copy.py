"""Moving a ledger: `ledger copy` between SQLite and PostgreSQL and `ledger restore` from an
audit export keep every event as stored (the same head hash, the same reports), catch a copy up
with only the missing events, and refuse a target that differs without writing anything."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from servers import postgres_schema
from sqlalchemy import create_engine, text

from commands import main
from ledger.chain import chain_hash
from ledger.packaged import fixture

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
    result = CliRunner().invoke(main, ["--db", db, "--actor", "tester", *args], catch_exceptions=False)
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
            return [tuple(map(str, row)) for row in connection.execute(text("SELECT * FROM events ORDER BY seq"))]
    finally:
        engine.dispose()


def status(db: str) -> dict[str, str]:
    lines = ledger(db, "status").stdout.splitlines()
    return {label: value.strip() for label, value in (line.split(":", 1) for line in lines)}


def head_hash(db: str) -> str:
    return ledger(db, "verify").stdout.split("head ")[1].strip()


@pytest.fixture
def sqlite_file(tmp_path):
    def make(name: str) -> str:
        return f"sqlite:///{tmp_path / name}"

    return make


@pytest.mark.postgres
def test_copy_sqlite_to_postgres_to_sqlite_keeps_every_event_and_every_report(sqlite_file, postgres_url):
    source, back = sqlite_file("pilot.db"), sqlite_file("back.db")
    given_the_demo(source)

    to_server = ledger(source, "copy", postgres_url)
    to_file = ledger(postgres_url, "copy", back)

    assert "copied 73 events (seq 1-73)" in to_server.stdout
    assert "copied 73 events (seq 1-73)" in to_file.stdout
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


def test_copy_into_an_existing_empty_schema_and_the_copy_is_a_working_ledger(sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(target_url, "init")

    ledger(source, "copy", target_url)
    recorded = ledger(target_url, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")

    assert recorded.stdout.strip().endswith("74")
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
    assert "copied 2 events (seq 74-75)" in caught_up.stdout
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

    assert refused.stderr.startswith("error: the target differs from the source from seq 74 on")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert events_table(target_url) == before


def test_a_target_longer_than_the_source_is_refused(sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(source, "copy", target_url)
    ledger(target_url, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")

    refused = ledger(source, "copy", target_url, code=1)

    assert "from seq 74 on" in refused.stderr
    assert len(events_table(target_url)) == 74


def test_a_source_whose_chain_is_broken_is_refused_and_nothing_is_written(sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    engine = create_engine(source)
    with engine.begin() as connection:
        # A row that bypassed the ledger: INSERT is allowed, but its hash is not the chain's.
        connection.execute(text(
            "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
            "prev_hash, hash) SELECT 74, 'forged', type, effective, recorded_at, actor, reason, payload, "
            "hash, hash FROM events WHERE seq = 73"))
    engine.dispose()

    refused = ledger(source, "copy", target_url, code=1)

    assert refused.stderr.startswith("error: the source: seq 74: hash does not match")
    assert "nothing was written" in refused.stderr
    assert status(target_url)["events"] == "0"


def test_restore_from_an_export_with_a_byte_order_mark_gives_the_same_ledger(tmp_path, sqlite_file, target_url):
    source = sqlite_file("source.db")
    given_the_demo(source)
    ledger(source, "order", "place", "PO-Q", "--region", "CN", "--supplier", "huawei", "--sku", "x",
           "--quantity", "1", "--unit-price", "10", "--currency", "CNY", "--effective", "2025-12-01",
           "--reason", "=SUM(A1) and a, comma")
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "--excel", "-o", str(export))

    restored = ledger(target_url, "restore", str(export))

    assert "restored 74 events (seq 1-74)" in restored.stdout
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

    assert "restored 1 event (seq 74-74)" in restored.stdout
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
    assert status(target_url)["events"] == "0"


def test_status_shows_the_head_and_each_regions_closed_through_date(sqlite_file, target_url):
    given_the_demo(target_url)
    head = events_table(target_url)[-1]
    # Period events as the periods work records them, written raw so that this test does not
    # depend on the `period` commands: status reads them by type from the log.
    prev, seq = head[-1], int(head[0])
    engine = create_engine(target_url)
    with engine.begin() as connection:
        for payload in ('{"region":"CN","through":"2025-06-30"}', '{"region":"MY","through":"2025-03-31"}',
                        '{"reason":"restate","region":"MY"}'):
            seq += 1
            type_ = "period.reopened" if "reason" in payload else "period.closed"
            digest = chain_hash(prev, seq, f"p-{seq}", type_, "2025-07-01", head[4], "cfo", None, payload)
            connection.execute(text(
                "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
                "prev_hash, hash) VALUES (:seq, :id, :type, :effective, :at, 'cfo', NULL, :payload, :prev, :hash)"),
                {"seq": seq, "id": f"p-{seq}", "type": type_, "effective": "2025-07-01", "at": head[4],
                 "payload": payload, "prev": prev, "hash": digest})
            prev = digest
    engine.dispose()

    shown = status(target_url)

    assert shown["schema revision"] != ""
    assert shown["read-only"] == "no"
    assert (shown["events"], shown["head seq"], shown["head hash"]) == ("76", "76", prev)
    assert shown["closed through (CN)"] == "2025-06-30"
    assert shown["closed through (MY)"] == "open (reopened)"


def test_status_masks_the_password(postgres_url):
    ledger(postgres_url, "init")
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@", 1)

    shown = ledger(with_password, "status").stdout

    assert "s3cret" not in shown
    assert status(with_password)["database"].startswith("postgresql+psycopg://postgres:***@")
