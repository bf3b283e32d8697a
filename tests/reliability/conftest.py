"""The figures of each reliability run: `LEDGER_RELIABILITY_REPORT=FILE` appends them to FILE, one
JSON object per line, for the table in docs/reliability.md."""

from __future__ import annotations

import json
import os

import pytest
from harness import FULL


@pytest.fixture
def figures(request):
    """Call with the figures of a run; they go to LEDGER_RELIABILITY_REPORT, when it is set."""

    def record(**values) -> None:
        report = os.environ.get("LEDGER_RELIABILITY_REPORT")
        if report:
            entry = {"test": request.node.nodeid, "full": FULL, **values}
            with open(report, "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\n")

    return record
