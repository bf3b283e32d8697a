"""Anchors: a head written down elsewhere catches a rewrite that recomputed every later hash —
the one tampering the chain alone cannot show."""

from __future__ import annotations

import json
from datetime import date

from given import given_china_books
from sqlalchemy import text

from ledger.chain import GENESIS_HASH, chain_hash

JAN_1 = date(2025, 1, 1)


def given_five_events(ledger) -> None:
    """China's books (tests/given.py), then CN's 2026 budget by `cfo`."""
    given_china_books(ledger)
    ledger.record(
        "budget.revised",
        {"region": "CN", "year": 2026, "amount": "2000000"},
        effective=JAN_1,
        actor="cfo",
    )


def rewrite_history(ledger, seq: int, old: str, new: str) -> None:
    """What an owner with a database console could do: switch the guards off, change one event's
    payload and recompute the hash of it and of every event after it, so the chain verifies."""
    postgres = ledger.engine.dialect.name == "postgresql"
    with ledger.engine.begin() as connection:
        if postgres:
            connection.execute(text("ALTER TABLE events DISABLE TRIGGER ALL"))
        else:
            connection.execute(text("DROP TRIGGER events_refuse_update"))
        rows = connection.exec_driver_sql(
            "SELECT seq, event_id, type, effective, recorded_at, actor, reason, payload FROM events "
            "ORDER BY seq"
        ).fetchall()
        prev = GENESIS_HASH
        for number, event_id, type_, effective, recorded_at, actor, reason, payload in rows:
            if number == seq:
                assert old in payload
                payload = payload.replace(old, new)
            digest = chain_hash(
                prev, number, event_id, type_, str(effective), recorded_at, actor, reason, payload
            )
            if number >= seq:
                connection.execute(
                    text(
                        "UPDATE events SET payload = :p, prev_hash = :prev, hash = :h "
                        "WHERE seq = :s"
                    ),
                    {"p": payload, "prev": prev, "h": digest, "s": number},
                )
            prev = digest


def test_an_anchor_holds_the_head_of_the_log(ledger, run, tmp_path):
    given_five_events(ledger)
    seq, head = ledger.head()

    result = run("anchor", "-o", tmp_path / "anchor.json")
    anchor = json.loads((tmp_path / "anchor.json").read_text())

    assert result.exit_code == 0
    assert result.stderr == f"anchored seq 5 (head {head}) in {tmp_path / 'anchor.json'}\n"
    assert (anchor["format"], anchor["seq"], anchor["hash"]) == ("ledger-anchor/1", seq, head)
    assert anchor["recorded_at"] == list(ledger.events())[-1].recorded_at
    assert anchor["taken_at"].endswith("Z") and anchor["taken_at"] >= anchor["recorded_at"]


def test_the_log_extended_by_appends_still_extends_its_anchor(ledger, run, tmp_path):
    given_five_events(ledger)
    (tmp_path / "anchor.json").write_text(run("anchor").stdout)
    ledger.record(
        "fx.rate_set", {"base": "EUR", "quote": "CNY", "rate": "7.8"}, effective=JAN_1, actor="t"
    )

    result = run("verify", "--anchor", tmp_path / "anchor.json")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        f"ok: 6 events, head {ledger.head()[1]}, extends the anchor at seq 5 "
    )


def test_an_anchor_of_an_empty_log_is_extended_by_any_valid_log(ledger, run, tmp_path):
    (tmp_path / "anchor.json").write_text(run("anchor").stdout)
    given_five_events(ledger)

    assert json.loads((tmp_path / "anchor.json").read_text())["seq"] == 0
    assert run("verify", "--anchor", tmp_path / "anchor.json").exit_code == 0


def test_a_rewritten_history_passes_verify_but_not_verify_anchor(ledger, run, tmp_path):
    given_five_events(ledger)
    (tmp_path / "anchor.json").write_text(run("anchor").stdout)

    rewrite_history(ledger, 3, '"1000000"', '"9000000"')
    plain = run("verify")
    anchored = run("verify", "--anchor", tmp_path / "anchor.json")

    assert list(ledger.events())[2].payload["amount"] == "9000000"
    assert plain.exit_code == 0 and plain.stdout.startswith("ok: 5 events"), plain.stderr
    assert anchored.exit_code == 1
    assert anchored.stdout == ""
    assert anchored.stderr.startswith(f"error: anchor {tmp_path / 'anchor.json'}: seq 5: hash ")
    assert "the log was rewritten" in anchored.stderr and anchored.stderr.count("\n") == 1


def test_a_rewrite_before_an_older_anchor_is_caught_too(ledger, run, tmp_path):
    given_five_events(ledger)
    (tmp_path / "old.json").write_text(run("anchor").stdout)
    ledger.record(
        "fx.rate_set", {"base": "EUR", "quote": "CNY", "rate": "7.8"}, effective=JAN_1, actor="t"
    )

    rewrite_history(ledger, 2, '"Huawei"', '"Huawei Shell Co"')

    assert run("verify").exit_code == 0
    assert run("verify", "--anchor", tmp_path / "old.json").stderr.startswith(
        f"error: anchor {tmp_path / 'old.json'}: seq 5: hash "
    )


def test_an_anchor_beyond_the_head_means_events_were_removed(ledger, run, tmp_path):
    given_five_events(ledger)
    anchor = json.loads(run("anchor").stdout)
    anchor["seq"] = 7
    (tmp_path / "anchor.json").write_text(json.dumps(anchor))

    result = run("verify", "--anchor", tmp_path / "anchor.json")

    assert result.exit_code == 1
    assert "the log has 5 events, fewer than the anchor's seq 7" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_broken_chain_is_reported_as_by_plain_verify_and_refuses_an_anchor(ledger, run, tmp_path):
    given_five_events(ledger)
    (tmp_path / "anchor.json").write_text(run("anchor").stdout)
    with ledger.engine.begin() as connection:
        if ledger.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE events DISABLE TRIGGER ALL"))
        else:
            connection.execute(text("DROP TRIGGER events_refuse_update"))
        connection.execute(text("UPDATE events SET actor = 'mallory' WHERE seq = 4"))

    anchored = run("verify", "--anchor", tmp_path / "anchor.json")
    refused = run("anchor")

    assert (anchored.exit_code, anchored.stderr) == (1, run("verify").stderr)
    assert anchored.stderr.startswith("error: seq 4: ")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert (
        refused.stderr == "error: seq 4: hash does not match the event's content; no anchor taken\n"
    )


def test_a_file_that_is_not_an_anchor_is_refused_with_one_line(ledger, run, tmp_path):
    given_five_events(ledger)
    cases = {
        "garbage.json": b"\xff\xfe not json",
        "csv.json": b"seq,hash\n5,abc\n",
        "list.json": b"[1, 2]",
        "wrong.json": json.dumps(
            {
                "format": "ledger-anchor/1",
                "seq": "5",
                "hash": "0" * 64,
                "recorded_at": None,
                "taken_at": "x",
            }
        ).encode(),
        "short.json": json.dumps(
            {
                "format": "ledger-anchor/1",
                "seq": 5,
                "hash": "abc",
                "recorded_at": None,
                "taken_at": "x",
            }
        ).encode(),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)

        result = run("verify", "--anchor", tmp_path / name)

        assert result.exit_code == 1, name
        assert (
            result.stderr.startswith(f"error: {tmp_path / name}: ")
            and result.stderr.count("\n") == 1
        )


def test_an_export_is_checked_against_an_anchor(ledger, run, tmp_path):
    """SPEC §5: `verify --export FILE --anchor A` proves the file extends the anchored head."""
    given_five_events(ledger)
    (tmp_path / "anchor.json").write_text(run("anchor").stdout)
    run("export", "events", "-o", tmp_path / "events.csv")
    run("export", "events", "--upto-seq", 3, "-o", tmp_path / "short.csv")
    other = json.loads((tmp_path / "anchor.json").read_text())
    other["hash"] = "f" * 64
    (tmp_path / "other.json").write_text(json.dumps(other))

    good = run("verify", "--anchor", tmp_path / "anchor.json", "--export", tmp_path / "events.csv")
    short = run("verify", "--anchor", tmp_path / "anchor.json", "--export", tmp_path / "short.csv")
    forged = run("verify", "--anchor", tmp_path / "other.json", "--export", tmp_path / "events.csv")

    assert good.exit_code == 0 and "extends the anchor at seq 5" in good.stdout
    assert short.exit_code == 1 and "fewer than the anchor's seq 5" in short.stderr
    assert forged.exit_code == 1 and "seq 5: hash" in forged.stderr
    assert short.stderr.count("\n") == forged.stderr.count("\n") == 1
