"""`--format json` on the commands that report what they did or found (status, verify, import,
copy, restore; import spells it --output-format, its --format being the file's): one JSON
document on stdout with the facts of the text, counts as integers and times as ISO text. A
check that fails still exits 1, prints its document with "ok": false, and says the one error
line on stderr. And `log --format json` holds each payload as an object, as stored."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from decimal import Decimal

import pytest

from ledger.packaged import fixture

DEMO = fixture("demo.jsonl")
DEMO_EVENTS = len(DEMO.read_text(encoding="utf-8").splitlines())


def document(result) -> dict:
    """The whole of stdout is one JSON object (json.loads refuses anything after it)."""
    parsed = json.loads(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


def the_one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


@pytest.fixture
def demo(run):
    assert run("import", str(DEMO)).exit_code == 0
    return run


def test_import_reports_as_json_what_it_added(run):
    result = run("import", str(DEMO), "--output-format", "json")

    assert result.exit_code == 0, result.stderr
    imported = document(result)
    assert imported["ok"] is True and imported["dry_run"] is False
    assert (imported["added"], imported["already_recorded"]) == (DEMO_EVENTS, 0)
    assert (imported["first_seq"], imported["last_seq"]) == (1, DEMO_EVENTS)
    assert sum(imported["added_by_type"].values()) == DEMO_EVENTS
    assert imported["added_by_type"]["region.opened"] == DEMO.read_text().count(
        '"type": "region.opened"'
    )
    again = document(run("import", str(DEMO), "--output-format", "json"))
    assert (again["added"], again["already_recorded"], again["first_seq"]) == (0, DEMO_EVENTS, None)


def test_import_dry_run_as_json_counts_per_type_and_writes_nothing(run):
    text = run("import", str(DEMO), "--dry-run").stdout
    result = run("import", str(DEMO), "--dry-run", "--output-format", "json")

    checked = document(result)
    assert checked["dry_run"] is True and checked["added"] == DEMO_EVENTS
    for type_, count in checked["added_by_type"].items():
        assert f"  {type_}: {count}\n" in text
    assert document(run("status", "--format", "json"))["events"] == 0


def test_a_rejected_import_prints_every_bad_line_as_json_and_exits_1(run, tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = fixture("minimal.jsonl").read_text(encoding="utf-8").splitlines()
    lines += ["not json", '{"type": "order.teleported", "effective": "2025-01-01"}']
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run("import", str(bad), "--output-format", "json")

    assert result.exit_code == 1
    rejected = document(result)
    assert rejected["ok"] is False
    assert [problem["line"] for problem in rejected["problems"]] == [10, 11]
    assert rejected["error"] == "nothing was written (2 bad lines)"
    assert result.stderr.strip().splitlines()[-1] == f"error: {rejected['error']}"


def test_import_format_keeps_naming_the_files_format(run, tmp_path):
    twin = tmp_path / "events.txt"
    twin.write_text(fixture("minimal.csv").read_text(encoding="utf-8"), encoding="utf-8")

    assert run("import", str(twin), "--format", "csv").exit_code == 0
    wrong = run("import", str(twin), "--format", "json")
    assert wrong.exit_code == 2
    assert "--output-format json" in wrong.stderr


def test_status_as_json_holds_the_facts_of_the_text(demo):
    text = demo("status").stdout
    status = document(demo("status", "--format", "json"))

    assert status["ok"] is True
    assert status["backend"] in ("sqlite", "postgresql")
    assert status["events"] == DEMO_EVENTS and f"events:              {DEMO_EVENTS}\n" in text
    head = status["head"]
    assert head["seq"] == DEMO_EVENTS and len(head["hash"]) == 64 and head["hash"] in text
    assert head["recorded_at"].endswith("Z") and head["recorded_at"] in text
    assert status["schema_revision"] == status["schema_revision_read"]
    assert status["read_only"] is False
    assert status["closed_through"] == {"CN": "2025-06-30"}
    assert "closed through (CN): 2025-06-30" in text
    if status["backend"] == "sqlite":
        assert status["controllers"] is None and status["actors_bound"] is None
    else:
        assert status["actors_bound"] is False and status["controllers_enforced"] is False


def test_verify_as_json_gives_the_count_and_the_head(demo):
    text = demo("verify").stdout
    checked = document(demo("verify", "--format", "json"))

    assert checked["ok"] is True and checked["checked"] == "database"
    assert text == f"ok: {checked['events']} events, head {checked['head']}\n"
    assert checked["broken_seq"] is None and checked["deep"] is False


def test_verify_deep_as_json_says_each_check_passed(demo):
    checked = document(demo("verify", "--deep", "--format", "json"))

    assert checked["ok"] is True and checked["deep"] is True
    assert checked["entry_rules_pass"] is True and checked["read_models_match"] is True
    assert checked["events"] == DEMO_EVENTS and checked["finding"] is None


def test_a_read_model_that_lies_fails_verify_deep_with_a_json_document(demo, db_url):
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE budgets SET amount = amount * 10"))
    engine.dispose()

    result = demo("verify", "--deep", "--format", "json")

    assert result.exit_code == 1
    failed = document(result)
    assert failed["ok"] is False
    assert failed["entry_rules_pass"] is True and failed["read_models_match"] is False
    assert failed["finding"].startswith("read models: budgets differs")
    assert failed["error"] == the_one_error_line(result)


def test_a_broken_chain_fails_verify_with_a_json_document_naming_the_seq(tmp_path):
    # The log is edited behind its triggers, in a SQLite file: the same on either backend.
    from click.testing import CliRunner

    from commands import main

    path = tmp_path / "ledger.db"
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(path), "init"]).exit_code == 0
    assert runner.invoke(main, ["--db", str(path), "import", str(DEMO)]).exit_code == 0
    database = sqlite3.connect(path)
    database.execute("DROP TRIGGER events_refuse_update")
    database.execute("UPDATE events SET actor = 'mallory' WHERE seq = 40")
    database.commit()
    database.close()

    result = runner.invoke(main, ["--db", str(path), "verify", "--format", "json"])

    assert result.exit_code == 1
    failed = document(result)
    assert (failed["ok"], failed["broken_seq"], failed["events"]) == (False, 40, 39)
    assert failed["problem"] == "hash does not match the event's content"
    assert the_one_error_line(result) == failed["error"]
    assert failed["error"].startswith("seq 40: ")


def test_verify_export_as_json_and_a_tampered_export(demo, tmp_path):
    export = tmp_path / "events.csv"
    assert demo("export", "events", "-o", str(export)).exit_code == 0

    checked = document(demo("verify", "--export", str(export), "--format", "json"))
    assert checked["ok"] is True and checked["checked"] == "export"
    assert checked["file"] == str(export) and checked["events"] == DEMO_EVENTS

    rows = list(csv.reader(io.StringIO(export.read_text(encoding="utf-8"))))
    rows[10][5] = "mallory"
    tampered = tmp_path / "tampered.csv"
    with tampered.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    result = demo("verify", "--export", str(tampered), "--format", "json")

    assert result.exit_code == 1
    failed = document(result)
    assert failed["ok"] is False and failed["error"] == the_one_error_line(result)
    assert "seq 10" in failed["error"]


def test_verify_anchor_as_json(demo, tmp_path):
    anchor = tmp_path / "anchor.json"
    assert demo("anchor", "-o", str(anchor)).exit_code == 0

    checked = document(demo("verify", "--anchor", str(anchor), "--format", "json"))

    assert checked["ok"] is True
    assert checked["anchor"]["seq"] == DEMO_EVENTS and checked["anchor"]["extended"] is True
    assert checked["anchor"]["hash"] == checked["head"]


def test_copy_and_restore_report_as_json(demo, tmp_path):
    from click.testing import CliRunner

    from commands import main

    target = tmp_path / "copy.db"
    copied = document(demo("copy", str(target), "--format", "json"))
    assert copied["ok"] is True
    assert (copied["copied"], copied["already_there"], copied["first_seq"]) == (
        DEMO_EVENTS,
        0,
        1,
    )
    assert copied["head_seq"] == DEMO_EVENTS and len(copied["head_hash"]) == 64
    assert copied["target"].endswith("copy.db")
    again = document(demo("copy", str(target), "--format", "json"))
    assert (again["copied"], again["first_seq"]) == (0, None)

    export = tmp_path / "events.csv"
    demo("export", "events", "-o", str(export))
    restored_db = tmp_path / "restored.db"
    result = CliRunner().invoke(
        main, ["--db", str(restored_db), "restore", str(export), "--format", "json"]
    )
    restored = document(result)
    assert restored["copied"] == DEMO_EVENTS and restored["head_hash"] == copied["head_hash"]
    assert restored["file"] == str(export)


def test_log_json_holds_the_payload_as_an_object_and_money_as_stored(demo):
    logged = json.loads(demo("log", "--type", "order.placed", "--format", "json").stdout)
    exported = list(csv.DictReader(io.StringIO(demo("log", "--format", "csv").stdout)))
    stored = {row["seq"]: row["payload"] for row in exported}

    assert logged
    for event in logged:
        assert isinstance(event["payload"], dict)
        # The CSV keeps the canonical text; the JSON is that very text, parsed.
        assert json.loads(stored[str(event["seq"])]) == event["payload"]
        assert isinstance(event["payload"]["unit_price"], str)
        Decimal(event["payload"]["unit_price"])
        assert isinstance(event["payload"]["quantity"], int)
