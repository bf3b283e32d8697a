"""Progress for the long runs: `verify --deep`, `rebuild` (and `--check`) and `import` draw a bar
on stderr when stderr is a terminal, and print nothing more anywhere else; the library reports
progress through a plain `progress(done, total)` callback; the time left is estimated from the
rate over the whole run, so bursts of work do not make it jump."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from commands.progress import Eta, duration
from ledger.app import Ledger
from ledger.packaged import fixture

LEDGER = Path(sys.executable).parent / "ledger"
DEMO = fixture("demo.jsonl")
DEMO_EVENTS = len(DEMO.read_text(encoding="utf-8").splitlines())


@pytest.fixture
def demo_db(tmp_path) -> str:
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as books:
        books.import_file(DEMO, actor="fixture")
    return str(path)


def with_stderr_on_a_terminal(args: list[str], timeout: float = 120) -> tuple[int, str, str]:
    """Run `ledger ARGS` with stderr on a pseudo-terminal and stdout on a pipe: (status,
    stdout, what the terminal received)."""
    leader, follower = pty.openpty()
    environment = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    environment.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [str(LEDGER), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=environment,
    )
    os.close(follower)
    received = []
    while True:
        ready, _, _ = select.select([leader], [], [], timeout)
        if not ready:
            process.kill()
            raise AssertionError(f"ledger {' '.join(args)}: nothing for {timeout} s")
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process has ended
            break
        if not data:
            break
        received.append(data)
    os.close(leader)
    stdout = process.stdout.read().decode()
    process.wait(timeout)
    return process.returncode, stdout, b"".join(received).decode("utf-8", "replace")


def not_on_a_terminal(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LEDGER), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["verify", "--deep"], "checking the chain"),
        (["rebuild", "--check"], "reading the log"),
        (["rebuild"], "reading the log"),
    ],
)
def test_a_long_check_shows_progress_on_a_terminal_and_nothing_in_a_pipe(demo_db, args, label):
    piped = not_on_a_terminal(["--db", demo_db, *args])
    status, stdout, terminal = with_stderr_on_a_terminal(["--db", demo_db, *args])

    assert piped.returncode == 0 and piped.stderr == ""
    assert status == 0
    assert stdout == piped.stdout  # the report itself is the same, and only on stdout
    assert label in terminal
    assert "error" not in terminal


def test_the_replay_is_named_once_it_starts(demo_db):
    _, _, terminal = with_stderr_on_a_terminal(["--db", demo_db, "verify", "--deep"])
    _, _, rebuilt = with_stderr_on_a_terminal(["--db", demo_db, "rebuild", "--check"])

    # The last step drawn before the bar goes: every event replayed, the tables compared.
    assert "comparing the read models with the replay" in terminal
    assert f"{DEMO_EVENTS}/{DEMO_EVENTS} events" in terminal
    assert "comparing with the read models" in rebuilt


def test_import_shows_a_bar_on_a_terminal_and_nothing_in_a_pipe(tmp_path):
    big = tmp_path / "big.jsonl"
    lines = fixture("minimal.jsonl").read_text(encoding="utf-8").splitlines()
    with big.open("w", encoding="utf-8") as out:
        out.write("\n".join(lines[:1]) + "\n")
        for step in range(8000):
            revision = {
                "type": "budget.revised",
                "effective": "2025-01-01",
                "region": "CN",
                "year": 2025,
                "amount": str(step + 1),
                "reason": "a long enough reason to make the file pass one mebibyte " * 2,
            }
            out.write(json.dumps(revision) + "\n")
    assert big.stat().st_size > 1 << 20
    piped_db, terminal_db = tmp_path / "piped.db", tmp_path / "terminal.db"
    for db in (piped_db, terminal_db):
        Ledger.open(db).close()

    piped = not_on_a_terminal(["--db", str(piped_db), "import", str(big)])
    status, stdout, terminal = with_stderr_on_a_terminal(
        ["--db", str(terminal_db), "import", str(big)]
    )

    assert piped.returncode == 0 and piped.stderr == ""
    assert status == 0 and stdout == piped.stdout == (
        "imported 8001 events (seq 1-8001), 0 already recorded\n"
    )
    assert "importing big.jsonl" in terminal


def test_the_library_reports_progress_per_batch_up_to_the_whole_log(demo_db):
    with Ledger.open(demo_db) as books:
        deep: list[tuple[int, int]] = []
        assert books.verify_deep(progress=lambda done, total: deep.append((done, total)))[1] is None
        rebuilt: list[tuple[int, int]] = []
        books.rebuild(check=True, progress=lambda done, total: rebuilt.append((done, total)))

    for calls in (deep, rebuilt):
        assert calls and calls[-1] == (DEMO_EVENTS, DEMO_EVENTS)
        assert [done for done, _ in calls] == sorted({done for done, _ in calls})


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_time_left_holds_steady_through_bursts_of_work():
    """An import reads a batch in a blink and then writes it, in half a second or in one and a
    half by turns: 5,000 events arrive at once, then nothing for a while, 100 times. A rate
    over the last batch alone would swing the estimate threefold at every report; over the
    whole run it stays close to the truth (once two seconds have passed), closer as the run
    goes on, and counts down between reports."""
    clock = Clock()
    eta = Eta(clock)
    total, batch = 500_000, 5_000
    writes = [0.5 if number % 2 else 1.5 for number in range(100)]
    started = [sum(writes[:number]) for number in range(101)]
    estimates = []
    for number in range(100):
        clock.now = started[number]
        eta.report(number * batch, total)  # the batch is read: the count leaps
        left = eta.seconds_left()
        clock.now = started[number + 1] - 0.01  # then it is written, with no report between
        later = eta.seconds_left()
        if left is not None:
            truth = started[100] - started[number]
            # Within a fifth of the truth from the start, a twentieth after a fifth of the work.
            share = 0.2 if number < 20 else 0.05
            assert abs(left - truth) <= max(1.0, share * truth), (number, left, truth)
            assert later < left
            estimates.append((share, left))
    assert len(estimates) >= 95
    # Never up by more than that share from one report to the next (the old bar: 1 s to 29 s).
    for (_, before), (share, after) in zip(estimates, estimates[1:], strict=False):
        assert after <= before * (1 + share), (before, after)


def test_no_estimate_before_the_run_has_gone_on_long_enough():
    clock = Clock()
    eta = Eta(clock)
    eta.report(0, 1000)
    clock.now = 1.5
    eta.report(500, 1000)
    assert eta.seconds_left() is None  # after one batch or two, a guess would be noise
    clock.now = 3.0
    eta.report(600, 1000)
    assert eta.seconds_left() == pytest.approx(400 * 3.0 / 600)


def test_durations_read_as_minutes_and_seconds():
    assert [duration(s) for s in (0, 59.4, 61, 3725)] == ["0:00", "0:59", "1:01", "1:02:05"]
