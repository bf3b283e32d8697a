"""A large import file is read and validated in a second process (ledger.pipeline): the log it
builds, the problems it reports (with their line numbers) and the errors that stop it are those
of reading the file in one process.
"""

from __future__ import annotations

import importlib.util
import io
import json
import pickle
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.app import Ledger
from ledger.errors import BatchError, LedgerError
from ledger.events import PAYLOAD_TYPES, NewEvent
from ledger.io import MAX_LINE_BYTES
from ledger.pipeline import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="the second process is forked")

GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"


def generate(count: int, out, seed: int) -> None:
    """The benchmark's generator of valid event streams."""
    spec = importlib.util.spec_from_file_location("ledger_benchmark_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their own module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.generate(count, out, seed=seed)


def events_file(tmp_path, count: int = 3000) -> list[str]:
    out = io.StringIO()
    generate(count, out, seed=7)
    return out.getvalue().splitlines()


def stored(ledger: Ledger) -> list[tuple]:
    with ledger.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT seq, event_id, type, effective, actor, reason, payload, version "
                    "FROM events ORDER BY seq"
                )
            )
        ]


def import_both_ways(databases, path) -> list:
    outcomes = []
    for parallel in (False, True):
        with databases() as url:
            ledger = Ledger.open(url)
            try:
                try:
                    result = ledger.import_file(path, parallel=parallel)
                    outcome = ("imported", result.added, result.added_by_type, stored(ledger))
                except BatchError as error:
                    outcome = ("problems", [str(problem) for problem in error.problems])
                except LedgerError as error:
                    outcome = ("error", type(error).__name__, str(error))
                outcome += (stored(ledger) if outcome[0] != "imported" else [],)
            finally:
                ledger.close()
        outcomes.append(outcome)
    return outcomes


def test_a_file_read_in_a_second_process_builds_the_same_log(databases, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(events_file(tmp_path)) + "\n", encoding="utf-8")

    in_one, in_two = import_both_ways(databases, path)

    assert in_one[0] == "imported" and in_one[1] == 3000
    assert in_two == in_one


def test_bad_lines_are_reported_with_the_same_numbers_and_nothing_is_written(databases, tmp_path):
    lines = events_file(tmp_path)
    record = json.loads(lines[2500])
    lines[10] = "{not json"
    lines[2500] = json.dumps({**record, "effective": "2025-02-30"})
    lines[2800] = json.dumps({**record, "event_id": None, "type": "order.shipped"})
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    in_one, in_two = import_both_ways(databases, path)

    assert in_one[0] == "problems"
    assert [problem.split(":")[0] for problem in in_one[1]][:1] == ["line 11"]
    assert any(problem.startswith("line 2501: effective") for problem in in_one[1])
    assert in_two == in_one
    assert in_one[-1] == []


def test_an_error_that_stops_the_reading_stops_the_import_the_same_way(databases, tmp_path):
    lines = events_file(tmp_path)
    lines.insert(2000, "x" * (MAX_LINE_BYTES + 10))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    in_one, in_two = import_both_ways(databases, path)

    assert "line 2001" in str(in_one)
    assert in_two == in_one
    assert in_one[-1] == []


def test_an_unreadable_format_is_refused_before_anything_starts(tmp_path):
    path = tmp_path / "events.txt"
    path.write_text("{}\n", encoding="utf-8")
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        with pytest.raises(LedgerError, match="cannot tell the format"):
            ledger.import_file(path, parallel=True)
    finally:
        ledger.close()


def test_an_event_crosses_between_processes_unchanged():
    payload = PAYLOAD_TYPES["policy.changed"].model_validate(
        {"policy": "min_domestic_share", "region": "CN", "threshold": "0.30"}
    )
    event = NewEvent("policy.changed", payload=payload, effective=None, actor="a")

    copy = pickle.loads(pickle.dumps(event, pickle.HIGHEST_PROTOCOL))

    assert copy == event
    assert type(copy.payload) is type(payload)
    assert copy.payload.__dict__ == payload.__dict__
    assert (
        copy.payload.model_fields_set
        == payload.model_fields_set
        == {
            "policy",
            "region",
            "threshold",
        }
    )
    assert copy.payload.canonical_text() == payload.canonical_text()


def test_a_second_process_is_started_for_a_large_file_when_a_core_is_idle(tmp_path, monkeypatch):
    from ledger import pipeline

    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_text("{}\n", encoding="utf-8")
    large.write_bytes(b" " * pipeline.PARALLEL_MIN_BYTES)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)

    monkeypatch.setattr(pipeline.os, "getloadavg", lambda: (0.3, 0.0, 0.0))
    assert pipeline.worth_a_second_process(large)
    assert not pipeline.worth_a_second_process(small)
    assert not pipeline.worth_a_second_process(tmp_path)

    monkeypatch.setattr(pipeline.os, "getloadavg", lambda: (1.7, 0.0, 0.0))
    assert not pipeline.worth_a_second_process(large)
