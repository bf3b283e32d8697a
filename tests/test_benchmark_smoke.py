"""The benchmark cannot rot: `benchmarks/run.py --smoke` (N = 2,000) runs every step, on SQLite
and, when LEDGER_TEST_POSTGRES names a server, on PostgreSQL. Timing never fails it; a step that
fails does (exit status 1). The runner drives the `ledger` script installed beside this Python.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Long runs (many random streams, several processes): left out of the inner loop.
pytestmark = pytest.mark.slow

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
HEADER = (
    "| step | ledger | baseline (same run) | ratio | peak RSS | target, as a ratio "
    "| peer: eventsourcing |"
)
STEPS = [
    "import (whole command)",
    "query budget, in-process",
    "query shares, whole command",
    "compliance, in-process",
    "report, whole command",
    "export events (whole command)",
    "verify (whole command)",
    "rebuild (whole command)",
    "restore of an export (whole command)",
    "`ledger --help`",
    "`query budget` on a tiny ledger",
]


def run_smoke(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    if not RUN.exists():
        pytest.skip("benchmarks/ is not part of this checkout")
    env = {k: v for k, v in os.environ.items() if k not in ("LEDGER_DB", "LEDGER_BENCH_POSTGRES")}
    return subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--workdir", str(tmp_path), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )


def check(result: subprocess.CompletedProcess, backend: str) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"### {backend}, N = 2,000" in result.stdout
    assert HEADER in result.stdout
    for step in STEPS:
        assert f"| {step}" in result.stdout, step
    assert "FAILED" not in result.stdout


def test_smoke_sqlite(tmp_path):
    check(run_smoke(tmp_path, "--backend", "sqlite"), "sqlite")


@pytest.mark.postgres
def test_smoke_postgresql(tmp_path, postgres_url):
    # The runner works in schemas of its own inside the given database and drops them.
    # postgres_url skips (or, under LEDGER_REQUIRE_POSTGRES=1, fails) without a server; the smoke
    # run makes and drops schemas of its own in that server's database.
    server = os.environ["LEDGER_TEST_POSTGRES"]
    check(run_smoke(tmp_path, "--backend", "postgresql", "--postgres", server), "postgresql")
