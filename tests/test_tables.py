"""Tables people can read (issue 14 §3, issue 11 item 11): at 80 columns no number, date, code or
header is split; free text wraps, and a vertical layout takes over when columns cannot fit;
control characters are escaped; `ledger log` streams, pages on a terminal and takes --limit and
--after-seq. The terminal cases run the installed `ledger` in a real pseudo-terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.app import Ledger

ROOT = Path(__file__).parent.parent
DEMO = ROOT / "fixtures" / "demo.jsonl"
LEDGER = Path(sys.executable).parent / "ledger"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def in_terminal(
    args, *, columns=80, env=None, cwd=None, timeout=120
) -> tuple[int, str, float | None]:
    """Run `ledger ARGS` with its stdout on a pseudo-terminal of `columns` columns; return the
    exit status, what it printed (CRLF made LF) and how long until the first byte came."""
    environment = {
        **os.environ,
        "COLUMNS": str(columns),
        "LINES": "40",
        "TERM": "xterm",
        **(env or {}),
    }
    environment = {k: v for k, v in environment.items() if v is not None}
    leader, follower = pty.openpty()
    started = time.monotonic()
    process = subprocess.Popen(
        [str(LEDGER), *args],
        stdin=follower,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=cwd,
        close_fds=True,
    )
    os.close(follower)
    chunks, first = [], None
    while True:
        ready, _, _ = select.select([leader], [], [], timeout)
        if not ready:
            process.kill()
            raise AssertionError(f"ledger {' '.join(args)}: no output for {timeout} s")
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process has ended
            break
        if not data:
            break
        if first is None:
            first = time.monotonic() - started
        chunks.append(data)
    os.close(leader)
    process.wait(timeout)
    return process.returncode, b"".join(chunks).decode("utf-8").replace("\r\n", "\n"), first


@pytest.fixture
def demo(db_url):
    with Ledger.open(db_url) as books:
        books.import_file(DEMO, actor="fixture")
    return db_url


def csv_values(run, *args) -> list[dict]:
    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


AMOUNT = re.compile(r"-?\d+\.\d\d")
# The table's headers that are not the CSV's column names.
HEADERS = {
    "currency": "ccy",
    "utilization": "util",
    "counterparty": "supplier",
    "quantity": "units",
}


def shown(value: str, name: str = "") -> str:
    """How a table shows a CSV cell: amounts and unit counts with thousands separators, a
    utilization or share as a percentage, booleans as yes and no."""
    if name in ("utilization", "share"):
        return f"{Decimal(value) * 100:.2f}%"
    if name in ("quantity", "units"):
        return f"{int(value):,}"
    if name == "domestic":
        return {"true": "yes", "false": "no"}[value]
    if AMOUNT.fullmatch(value) and "." in value:
        whole, cents = value.split(".")
        return f"{int(whole):,}.{cents}"
    return value


@pytest.mark.parametrize(
    "command",
    [
        ["query", "budget", "--as-of", "2025-10-15"],
        ["query", "commitments", "--as-of", "2025-12-31"],
        ["query", "shares", "--as-of", "2025-12-31"],
        ["compliance", "--as-of", "2025-12-31"],
        ["log", "--no-pager", "--limit", "30"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_at_80_columns_no_number_date_code_or_header_is_split(demo, run, command):
    status, printed, _ = in_terminal(["--db", demo, *command], columns=80, env={"PAGER": "cat"})
    assert status == 0, printed
    lines = [ANSI.sub("", line) for line in printed.splitlines()]
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    rows = csv_values(run, *command)
    assert rows
    for row in rows:
        for name, value in row.items():
            if not value or name in ("detail", "reason", "payload", "name", "actor"):
                continue  # free text may wrap; everything else must stay whole on one line
            assert any(shown(value, name) in line for line in lines), (name, value)
        for name in row:
            header = HEADERS.get(name, name)
            assert any(re.search(rf"(^|\s){re.escape(header)}(:|\s|$)", line) for line in lines), (
                name
            )


def test_a_wide_table_falls_back_to_one_field_per_line(demo):
    status, printed, _ = in_terminal(
        ["--db", demo, "log", "--no-pager", "--limit", "2"], columns=80
    )
    assert status == 0
    text = ANSI.sub("", printed)
    assert re.search(r"^seq: +1$", text, re.M) and re.search(r"^seq: +2$", text, re.M)
    assert re.search(r"^effective: +2025-01-01$", text, re.M)
    assert "\n\nseq:" in text  # records are separated


def test_free_text_wraps_before_the_vertical_layout(demo):
    status, printed, _ = in_terminal(
        ["--db", demo, "compliance", "--as-of", "2025-12-31"], columns=150
    )
    assert status == 0
    text = ANSI.sub("", printed)
    header = text.splitlines()[0].split()
    assert header == ["policy", "region", "subject", "status", "detail"]
    assert all(len(line) <= 150 for line in text.splitlines())
    assert (
        len(text.splitlines()) > len(csv_values_of(demo, "compliance", "--as-of", "2025-12-31")) + 2
    )


def csv_values_of(url, *args) -> list[dict]:
    done = subprocess.run(
        [str(LEDGER), "--db", url, *args, "--format", "csv"], capture_output=True, text=True
    )
    return list(csv.DictReader(io.StringIO(done.stdout)))


def test_term_dumb_does_not_force_80_columns(demo):
    args = ["--db", demo, "query", "commitments", "--as-of", "2025-12-31"]
    _, wide, _ = in_terminal(args, columns=160, env={"TERM": "dumb"})
    _, narrow, _ = in_terminal(args, columns=60, env={"TERM": "dumb"})
    assert wide.splitlines()[0].split()[:3] == ["kind", "id", "region"]  # one table row per line
    assert max(len(line) for line in wide.splitlines()) > 80
    assert narrow.startswith("kind ")  # a table in parts that each fit 60 columns
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert "\x1b[" not in wide  # and no styling on a dumb terminal


def test_control_characters_are_escaped_in_tables_and_exact_in_csv_and_json(run):
    hostile = "Evil\x1b[2J\x1b]0;pwned\x07 Corp\u202e"
    assert (
        run(
            "--actor",
            "mallory\x1b[31m",
            "supplier",
            "register",
            "evil",
            "--name",
            hostile,
            "--country",
            "US",
            "--effective",
            "2025-01-01",
            "--reason",
            "bell\x07 and\nnewline",
        ).exit_code
        == 0
    )
    table = run("log", "--format", "table").stdout
    assert "\x1b" not in table and "\x07" not in table and "\u202e" not in table
    flat = re.sub(r"\n +", "", table)  # wrapped text joined (a wrap drops the space it breaks at)
    # The payload column is JSON text, which writes C0 controls as \u001b; the rest is escaped here.
    for piece in (
        "Evil\\u001b[2J\\u001b]0;",
        "pwned\\u0007",
        "Corp\\u202e",
        "bell\\x07",
        "and\\nnewline",
        "mallory\\x1b[31m",
    ):
        assert piece in flat, piece
    exported = list(csv.DictReader(io.StringIO(run("log", "--format", "csv").stdout)))
    assert json.loads(exported[0]["payload"])["name"] == hostile
    assert exported[0]["reason"] == "bell\x07 and\nnewline"
    assert json.loads(run("log", "--format", "json").stdout)[0]["payload"]["name"] == hostile


def test_log_limit_and_after_seq(demo, run):
    seqs = [int(row["seq"]) for row in csv_values(run, "log", "--after-seq", "10", "--limit", "5")]
    assert seqs == [11, 12, 13, 14, 15]
    head = int(csv_values(run, "log")[-1]["seq"])
    assert [int(row["seq"]) for row in csv_values(run, "log", "--after-seq", str(head - 2))] == [
        head - 1,
        head,
    ]
    assert csv_values(run, "log", "--after-seq", str(head)) == []
    typed = csv_values(run, "log", "--type", "order.placed", "--after-seq", "20", "--limit", "2")
    assert (
        all(int(row["seq"]) > 20 and row["type"] == "order.placed" for row in typed)
        and len(typed) == 2
    )


def test_log_pages_on_a_terminal_unless_told_not_to(demo, tmp_path):
    pager = tmp_path / "pager.sh"
    pager.write_text("#!/bin/sh\nsed 's/^/PAGED /'\n")
    pager.chmod(0o755)
    args = ["--db", demo, "log", "--limit", "60"]  # longer than the terminal's 40 lines
    _, paged, _ = in_terminal(args, columns=200, env={"PAGER": str(pager)})
    assert paged.startswith("PAGED ") and "\x1b[1m" in paged  # the header is bold
    _, plain, _ = in_terminal([*args, "--no-pager"], columns=200, env={"PAGER": str(pager)})
    assert "PAGED" not in plain and plain.lstrip(ANSI.pattern).count("\n") >= 60
    _, uncoloured, _ = in_terminal(args, columns=200, env={"PAGER": str(pager), "NO_COLOR": "1"})
    assert uncoloured.startswith("PAGED ") and "\x1b[" not in uncoloured
    _, short, _ = in_terminal(["--db", demo, "log", "--limit", "3"], env={"PAGER": str(pager)})
    assert "PAGED" not in short and "seq" in short  # what fits the screen is not paged


def test_log_streams_rows_as_it_reads_them(db_url, tmp_path):
    events = tmp_path / "many.jsonl"
    with events.open("w") as out:
        out.write(
            json.dumps(
                {
                    "type": "region.opened",
                    "effective": "2025-01-01",
                    "region": "CN",
                    "name": "China",
                    "country": "CN",
                    "currency": "CNY",
                }
            )
            + "\n"
        )
        for day in range(6000):
            out.write(
                json.dumps(
                    {
                        "type": "budget.revised",
                        "effective": "2025-01-01",
                        "region": "CN",
                        "year": 2025,
                        "amount": str(day + 1),
                        "reason": "step " * 8,
                    }
                )
                + "\n"
            )
    with Ledger.open(db_url) as books:
        books.import_file(events, actor="fixture")
    # What one row costs to reach the screen (start-up, opening, the first batch), measured the
    # same way: streaming means the first row of the whole log comes about as soon as that, not
    # after the 6,001 rows are read, so well before the listing ends.
    _, _, one_row = in_terminal(["--db", db_url, "log", "--no-pager", "--limit", "1"], columns=80)
    started = time.monotonic()
    status, printed, first = in_terminal(["--db", db_url, "log", "--no-pager"], columns=80)
    total = time.monotonic() - started
    assert status == 0
    assert printed.count("\nseq:") + printed.startswith("seq:") == 6001
    assert one_row is not None and first is not None
    assert first < one_row + (total - one_row) / 2, (one_row, first, total)


def test_a_recording_command_says_what_it_recorded_on_a_terminal(db_url, run):
    assert (
        run(
            "region",
            "open",
            "CN",
            "--name",
            "China",
            "--country",
            "CN",
            "--currency",
            "CNY",
            "--effective",
            "2025-01-01",
        ).stdout
        == "1\n"
    )  # piped: the bare seq, as before
    status, printed, _ = in_terminal(
        [
            "--db",
            db_url,
            "supplier",
            "register",
            "huawei",
            "--name",
            "Huawei",
            "--country",
            "CN",
            "--effective",
            "2025-01-01",
        ]
    )
    assert (status, printed) == (0, "recorded seq 2: supplier.registered huawei\n")
    status, printed, _ = in_terminal(
        ["--db", db_url, "fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01"]
    )
    assert (status, printed) == (0, "recorded seq 3: fx.rate_set USD/CNY\n")
