"""Concurrent writers: four OS processes appending at once never leave a gap in seq, never lose
or duplicate an event, and never fork the chain (SPEC §2: seq 1, 2, 3 … in append order)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from itertools import pairwise

import pytest

# Long runs (many random streams, several processes): left out of the inner loop.
pytestmark = pytest.mark.slow

WRITERS = 4
EVENTS_PER_WRITER = 500
NAMESPACE = uuid.UUID("6f1d3c1e-0000-4000-8000-00000000c0c0")

# One writer: opens the ledger, says it is ready, waits for "go", then appends its events one
# transaction at a time, so the four writers interleave event by event.
WRITER = textwrap.dedent(
    """
    import sys, uuid
    from ledger.app import Ledger

    url, writer, count, namespace = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), uuid.UUID(sys.argv[4])
    with Ledger.open(url) as books:
        print("ready", flush=True)
        sys.stdin.readline()
        for number in range(count):
            code = f"w{writer}-{number}"
            books.record("supplier.registered", {"supplier": code, "name": code, "country": "CN"},
                         effective="2025-01-01", actor=f"writer-{writer}",
                         event_id=str(uuid.uuid5(namespace, code)))
    print("done", flush=True)
    """
)


def event_id(writer: int, number: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"w{writer}-{number}"))


def test_four_processes_appending_at_once_leave_a_gapless_verified_log(
    ledger, db_url, run, tmp_path
):
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                db_url,
                str(writer),
                str(EVENTS_PER_WRITER),
                str(NAMESPACE),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,  # not the source tree: the writers import the installed package
        )
        for writer in range(WRITERS)
    ]
    try:
        for process in writers:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in writers:  # release them together
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [process.communicate(timeout=300) for process in writers]
    finally:
        for process in writers:
            if process.poll() is None:
                process.kill()

    for process, (out, err) in zip(writers, outcomes, strict=True):
        assert (process.returncode, out.strip(), err) == (0, "done", "")
    events = list(ledger.events())
    assert [event.seq for event in events] == list(range(1, WRITERS * EVENTS_PER_WRITER + 1))
    assert sorted(event.event_id for event in events) == sorted(
        event_id(writer, number) for writer in range(WRITERS) for number in range(EVENTS_PER_WRITER)
    )
    for writer in range(WRITERS):
        mine = [event.payload["supplier"] for event in events if event.actor == f"writer-{writer}"]
        assert mine == [f"w{writer}-{number}" for number in range(EVENTS_PER_WRITER)]
    interleaved = sum(1 for a, b in pairwise(events) if a.actor != b.actor)
    if interleaved < WRITERS:
        pytest.fail(f"the writers ran one after another ({interleaved} switches), not at once")
    verified = run("verify")
    assert verified.exit_code == 0, verified.stderr
    assert verified.stdout.startswith(f"ok: {WRITERS * EVENTS_PER_WRITER} events, head ")
