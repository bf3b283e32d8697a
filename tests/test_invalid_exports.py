"""Chained but invalid events (tests/invalid_exports.py makes them) are refused by `restore` and
`copy` in one line naming the seq and `verify --deep`, never with a traceback, and nothing is
written; `verify --export` names those whose envelope breaks its format."""

# ruff: noqa: F811 (the fixtures sqlite_file and target_url come from test_copy)

from __future__ import annotations

import pytest
from invalid_exports import CASES, make_case, read_rows
from sqlalchemy import create_engine, text
from test_copy import (  # noqa: F401
    given_the_demo,
    holds_no_events,
    ledger,
    sqlite_file,
    target_url,
)


@pytest.fixture(scope="module")
def valid_export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("valid")
    db = f"sqlite:///{folder / 'demo.db'}"
    given_the_demo(db)
    path = folder / "events.csv"
    ledger(db, "export", "events", "-o", str(path))
    return path


def one_line(result) -> str:
    line = result.stderr.strip()
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert len(line.splitlines()) == 1, result.stderr
    return line


@pytest.mark.parametrize("case", sorted(CASES))
def test_restore_refuses_a_chained_but_invalid_event_in_one_line(
    valid_export, tmp_path, target_url, case
):
    bad = tmp_path / f"{case}.csv"
    seq = make_case(valid_export, case, bad)

    refused = ledger(target_url, "restore", str(bad), code=1)

    line = one_line(refused)
    assert f"seq {seq}:" in line, line
    if case != "recorded-at-decreasing":  # a chain problem: the order of the log itself
        assert "verify --deep" in line, line
    assert "nothing was written" in line or "line" in line, line
    assert holds_no_events(target_url)


@pytest.mark.parametrize("case", sorted(CASES))
def test_verify_export_names_a_broken_envelope_and_passes_what_only_a_replay_can_tell(
    valid_export, tmp_path, case
):
    bad = tmp_path / f"{case}.csv"
    seq = make_case(valid_export, case, bad)
    payload_only = CASES[case][2]

    checked = ledger("unused.db", "verify", "--export", str(bad), code=0 if payload_only else 1)

    if not payload_only:
        line = one_line(checked)
        assert line.startswith(f"error: seq {seq}: "), line


def forged_source(path, rows) -> str:
    """A SQLite ledger whose log holds these rows, inserted with plain INSERT rights."""
    db = f"sqlite:///{path}"
    ledger(db, "init")
    engine = create_engine(db)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, "
                "payload, prev_hash, hash, version) VALUES (:seq, :event_id, :type, :effective, "
                ":recorded_at, :actor, :reason, :payload, :prev_hash, :hash, 1)"
            ),
            [{**row, "seq": int(row["seq"]), "reason": row["reason"] or None} for row in rows],
        )
    engine.dispose()
    return db


@pytest.mark.parametrize("case", sorted(CASES))
def test_copy_refuses_a_chained_but_invalid_event_in_one_line(
    valid_export, tmp_path, target_url, case
):
    bad = tmp_path / f"{case}.csv"
    seq = make_case(valid_export, case, bad)
    source = forged_source(tmp_path / "forged.db", read_rows(bad))

    refused = ledger(source, "copy", target_url, code=1)

    line = one_line(refused)
    assert f"seq {seq}:" in line, line
    if case != "recorded-at-decreasing":
        assert "verify --deep" in line, line
    assert holds_no_events(target_url)


@pytest.mark.parametrize("case", sorted(case for case in CASES if not CASES[case][2]))
def test_verify_names_a_stored_row_whose_envelope_breaks_its_format(valid_export, tmp_path, case):
    bad = tmp_path / f"{case}.csv"
    seq = make_case(valid_export, case, bad)
    source = forged_source(tmp_path / "forged.db", read_rows(bad))

    checked = ledger(source, "verify", code=1)

    assert one_line(checked).startswith(f"error: seq {seq}: "), checked.stderr


@pytest.mark.parametrize("case", sorted(case for case in CASES if CASES[case][2]))
def test_verify_deep_names_what_only_a_replay_can_tell(valid_export, tmp_path, case):
    bad = tmp_path / f"{case}.csv"
    seq = make_case(valid_export, case, bad)
    source = forged_source(tmp_path / "forged.db", read_rows(bad))

    ledger(source, "verify")
    checked = ledger(source, "verify", "--deep", code=1)

    assert one_line(checked).startswith(f"error: seq {seq}: "), checked.stderr
