"""What the reliability tests share: their sizes (CI or full), running `ledger` and small
Python programs in processes of their own, and checking a database after the fact."""

from __future__ import annotations

import os
import subprocess
import sys

# One rule for a PostgreSQL schema per database the tests make (tests/databases.py); these tests
# need several per test.
from databases import postgres_schema  # noqa: F401

FULL = os.environ.get("LEDGER_RELIABILITY_FULL") == "1"
POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")


def size(ci: int, full: int) -> int:
    """The CI-sized figure, or the full one under LEDGER_RELIABILITY_FULL=1."""
    return full if FULL else ci


def spawn(program: str, *args: str, cwd, **popen) -> subprocess.Popen:
    """A Python program in a process of its own, run outside the source tree so that it imports
    the installed package, as the tests do."""
    return subprocess.Popen(
        [sys.executable, "-c", program, *map(str, args)],
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )


# `ledger ARGS…` in a process: the command-line entry point, without relying on a script in PATH.
LEDGER = "import sys; from commands import main; sys.argv[0] = 'ledger'; main()"


def ledger_process(*args: str, cwd, **popen) -> subprocess.Popen:
    return spawn(LEDGER, *args, cwd=cwd, **popen)


def assert_log_is_sound(url: str) -> int:
    """The chain verifies and the read models equal a rebuild from the log; returns the count."""
    from ledger.app import Ledger

    with Ledger.open(url) as books:
        report = books.verify()
        assert report.ok, f"seq {report.broken_seq}: {report.problem}"
        rebuilt = books.rebuild(check=True)
        assert rebuilt.differences == (), rebuilt.differences
        return report.count
