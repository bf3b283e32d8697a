"""`ledger status` shows each region's closed-through date by the closed-books rule itself (the
same fold as `period list` and the entry guard): a close, a partial reopening, a full one."""

from __future__ import annotations

import csv
import io
import json

from ledger.packaged import fixture


def closed_through_by_period_list(run) -> dict[str, str | None]:
    listed = csv.DictReader(io.StringIO(run("period", "list", "--format", "csv").stdout))
    return {row["region"]: row["closed_through"] or None for row in listed if row["seq"]}


def test_status_and_period_list_agree_after_each_period_event(run):
    assert run("import", str(fixture("minimal.jsonl"))).exit_code == 0
    steps = [
        ("close", "CN", "--through", "2025-06-30"),
        ("close", "MY", "--through", "2025-03-31"),
        ("reopen", "CN", "--through", "2025-01-31", "--reason", "restate Q1"),
        ("reopen", "MY", "--reason", "restate everything"),
        ("close", "CN", "--through", "2025-09-30"),
    ]
    seen = []
    for step in steps:
        assert run("period", *step).exit_code == 0, step
        status = json.loads(run("status", "--format", "json").stdout)["closed_through"]
        assert status == closed_through_by_period_list(run), step
        seen.append(status)

    assert seen[2] == {"CN": "2025-01-31", "MY": "2025-03-31"}
    assert seen[3] == {"CN": "2025-01-31", "MY": None}
    assert seen[4] == {"CN": "2025-09-30", "MY": None}
    assert "closed through (MY): open (reopened)" in run("status").stdout
