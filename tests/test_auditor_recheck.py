"""An auditor re-checks `ledger export events` with nothing but csv, json and hashlib (SPEC §2.2),
and agrees with `ledger verify`; `ledger verify --export` finds a tampered copy.

The re-check below deliberately imports nothing from the ledger: it is what an auditor writes
from the SPEC alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.chain import EXPORT_COLUMNS
from ledger.io import export_lines, export_row, write_csv


def auditor_recheck(path) -> tuple[int, str]:
    """(count, head) of a valid export; raises AssertionError naming the first bad seq."""
    prev, count = "0" * 64, 0
    with open(path, newline="", encoding="utf-8") as stream:
        for count, row in enumerate(csv.DictReader(stream), start=1):

            def unguard(cell: str) -> str:
                return cell[1:] if cell.startswith("'") else cell

            event = {
                "seq": int(row["seq"]),
                "event_id": row["event_id"],
                "type": row["type"],
                "effective": row["effective"],
                "recorded_at": row["recorded_at"],
                "actor": unguard(row["actor"]),
                "reason": unguard(row["reason"]) if row["reason"] else None,
                "payload": json.loads(row["payload"]),
            }
            text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest = hashlib.sha256((prev + "\n" + text).encode("utf-8")).hexdigest()
            assert event["seq"] == count, f"broken at seq {row['seq']}"
            assert row["prev_hash"] == prev, f"broken at seq {row['seq']}"
            assert row["hash"] == digest, f"broken at seq {row['seq']}"
            prev = digest
    return count, prev


# Actors and reasons a spreadsheet would run as formulas, or that stress CSV quoting and UTF-8.
AWKWARD = [
    ('=HYPERLINK("http://x")', "=1+1"),
    ("+a.chen", "+49 30 1234"),
    ("-b.ng", "-20% after review"),
    ("@c.li", "@mention"),
    ("'d.wu", "'already quoted'"),
    ("''e.tan", "''two quotes"),
    ("\tf.ho", "\tleading tab"),
    ("张伟", "预算调整：第二季度 «revised» ✓"),
    ("o'brien", 'says "hello",\nthen a second line\r\nand a third'),
    ("g.kim", "\rcarriage return first, and one\rinside"),
    ("j\rxu", "\rbare\rcarriage\rreturns"),
    ("h.lee", "control \x01 and \x1f characters, and a trailing space "),
    ("i.ma", ""),
]


def given_awkward_events(run) -> None:
    for number, (actor, reason) in enumerate(AWKWARD):
        result = run(
            "--actor",
            actor,
            "supplier",
            "register",
            f"s{number}",
            "--name",
            f'=Supplier {number}, "Ltd"',
            "--country",
            "CN",
            "--effective",
            "2025-01-01",
            "--reason",
            reason,
        )
        assert result.exit_code == 0, result.stderr


def verified(run, *args: str) -> tuple[int, str]:
    result = run("verify", *args)
    assert result.exit_code == 0, result.stderr
    words = result.stdout.split()  # "ok: N events, head H"
    assert words[0] == "ok:" and words[3] == "head"
    return int(words[1]), words[4]


def test_the_auditors_recheck_agrees_with_ledger_verify(run, tmp_path):
    given_awkward_events(run)
    export = tmp_path / "events.csv"

    assert run("export", "events", "-o", str(export)).exit_code == 0

    count, head = verified(run)
    assert count == len(AWKWARD)
    assert auditor_recheck(export) == (count, head)
    assert verified(run, "--export", str(export)) == (count, head)


def test_the_export_to_stdout_is_the_same_file(run, tmp_path):
    given_awkward_events(run)
    export = tmp_path / "events.csv"
    run("export", "events", "-o", str(export))

    streamed = run("export", "events")

    assert streamed.stdout_bytes == export.read_bytes()


def test_the_formula_guard_is_undone_by_removing_one_quote(run, tmp_path):
    given_awkward_events(run)
    export = tmp_path / "events.csv"
    run("export", "events", "-o", str(export))

    with open(export, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))

    for row, (actor, reason) in zip(rows, AWKWARD, strict=True):
        guarded = actor.startswith(("=", "+", "-", "@", "\t", "\r", "'"))
        assert row["actor"] == ("'" + actor if guarded else actor)
        assert row["reason"] == (
            "'" + reason if reason.startswith(("=", "+", "-", "@", "\t", "\r", "'")) else reason
        )
        assert json.loads(row["payload"])["name"].startswith("=Supplier")  # payload: never guarded


def test_an_upto_seq_export_rechecks_to_that_head(run, tmp_path):
    given_awkward_events(run)
    export = tmp_path / "first-five.csv"

    run("export", "events", "-o", str(export), "--upto-seq", "5")

    count, head = auditor_recheck(export)
    assert count == 5
    assert verified(run, "--export", str(export)) == (5, head)


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("payload", lambda cell: cell.replace('"CN"', '"US"')),
        ("actor", lambda cell: cell + "x"),
        ("reason", lambda cell: "-" + cell),
        ("effective", lambda cell: "2025-01-02"),
        ("hash", lambda cell: "f" * 64),
    ],
)
def test_a_tampered_copy_of_the_export_fails_at_the_changed_seq(run, tmp_path, column, change):
    given_awkward_events(run)
    export, tampered = tmp_path / "events.csv", tmp_path / "tampered.csv"
    run("export", "events", "-o", str(export))
    with open(export, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        columns, rows = reader.fieldnames, list(reader)
    rows[2][column] = change(rows[2][column])
    with open(tampered, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    result = run("verify", "--export", str(tampered))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: seq 3") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr + result.stdout
    with pytest.raises(AssertionError, match="broken at seq 3"):
        auditor_recheck(tampered)
    assert run("verify", "--export", str(export)).exit_code == 0


def test_a_dropped_row_in_the_export_is_named(run, tmp_path):
    given_awkward_events(run)
    export = tmp_path / "events.csv"
    run("export", "events", "-o", str(export))
    with open(export, newline="", encoding="utf-8") as stream:
        records = list(csv.reader(stream))
    del records[3]  # header, seq 1, seq 2, [seq 3], seq 4 …
    with open(export, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(records)

    result = run("verify", "--export", str(export))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: seq 4")


def test_a_truncated_export_row_is_a_clear_error_not_a_traceback(run, tmp_path):
    given_awkward_events(run)
    export = tmp_path / "events.csv"
    run("export", "events", "-o", str(export))
    with open(export, newline="", encoding="utf-8") as stream:
        records = list(csv.reader(stream))
    records[2] = records[2][:5]
    with open(export, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(records)

    result = run("verify", "--export", str(export))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


text = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12
) | st.sampled_from(
    ["=1+1", "a,b", 'say "hi"', "line\nbreak", "cr\ronly", "crlf\r\nx", "'quoted", ""]
)


@given(actor=text, reason=st.none() | text, payload=text, event_id=text)
def test_the_export_writer_quotes_exactly_as_the_csv_module(actor, reason, payload, event_id):
    """export_lines writes cells directly for speed; csv.writer (the careful, CRLF-quoting one
    every other listing uses) is the reference."""
    row = (
        7,
        event_id,
        "order.placed",
        "2025-01-02",
        "2025-01-02T00:00:00.000000Z",
        actor,
        reason,
        payload,
        "0" * 64,
        "f" * 64,
    )
    reference = io.StringIO()
    write_csv(reference, EXPORT_COLUMNS, [export_row(row)])

    assert export_lines([row]) == reference.getvalue().split("\n", 1)[1]
