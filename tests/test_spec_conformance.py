"""SPEC conformance, as the acceptance checks drive it: the installed `ledger` command through
§6's worked example (steps 1–10 and the knowledge-limit variants), the exit statuses of §5,
the "already recorded" rule of §3.1 with closed books, and the new commands end to end."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from given import STEPS

LEDGER = Path(sys.executable).with_name("ledger")

# Step 9 and 10 as §6 writes them; each entry is (arguments, expected exit status).
STEP_9 = [
    (("period", "close", "CN", "--through", "2025-03-31", "--effective", "2025-04-05"), 0),
    (("fx", "set", "USD", "CNY", "7.15", "--effective", "2025-02-01"), 1),
    (("fx", "set", "EUR", "USD", "1.1", "--effective", "2025-02-01"), 0),
    (("order", "amend", "PO-1", "--unit-price", "31000", "--effective", "2025-04-01"), 0),
]
STEP_10 = [
    (
        (
            "period",
            "reopen",
            "CN",
            "--through",
            "2025-01-31",
            "--effective",
            "2025-04-06",
            "--reason",
            "FX restatement",
        ),
        0,
    ),
    (("fx", "set", "USD", "CNY", "7.0", "--effective", "2025-02-01"), 0),
]


@pytest.fixture
def ledger_cmd(db_url, tmp_path):
    """Run the installed `ledger` command on db_url in a temporary folder, as a user would."""
    return installed(db_url, tmp_path)


def installed(db_url: str | None, tmp_path: Path):
    env = {**os.environ, "LEDGER_ACTOR": "a.chen", "COLUMNS": "80"}
    env.pop("LEDGER_DB", None)

    def invoke(
        *args: str, code: int | None = 0, db: str | None = db_url
    ) -> subprocess.CompletedProcess:
        command = [str(LEDGER), *(["--db", db] if db else []), *map(str, args)]
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert "Traceback" not in done.stderr, done.stderr
        if code is not None:
            assert done.returncode == code, (args, done.stdout, done.stderr)
        if done.returncode:
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        return done

    return invoke


def table(done: subprocess.CompletedProcess) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(done.stdout)))


def worked_example(ledger_cmd) -> dict[str, int]:
    """§6 steps 1–10 through the installed command; the seqs the example refers to."""
    seqs = {}
    ledger_cmd("init")
    for step in range(1, 9):
        for args in STEPS[step]:
            seqs[step] = int(ledger_cmd(*args).stdout)
    for number, (args, code) in enumerate(STEP_9):
        done = ledger_cmd(*args, code=code)
        if number == 0:
            seqs["close"] = int(done.stdout)
    for args, code in STEP_10:
        seqs[10] = int(ledger_cmd(*args, code=code).stdout)
    return seqs


def test_the_worked_example_end_to_end_through_the_installed_command(ledger_cmd):
    seqs = worked_example(ledger_cmd)
    # After the partial reopening CN stays closed through 2025-01-31: one line says so.
    refused = ledger_cmd("fx", "set", "USD", "CNY", "7.3", "--effective", "2025-01-15", code=1)
    assert "region CN" in refused.stderr and "2025-01-31" in refused.stderr
    assert "ledger period reopen CN" in refused.stderr

    commitments = {
        row["id"]: row
        for row in table(
            ledger_cmd("query", "commitments", "--as-of", "2025-03-31", "--region", "CN")
        )
    }
    assert commitments["PO-2"]["committed"] == "350000.00"
    # Before step 6 was recorded (--upto-seq and --known-at of step 5): PO-2 was 360,000.
    step_5 = table(ledger_cmd("export", "events", "--upto-seq", seqs[5]))[-1]
    for limit in (
        ("--upto-seq", seqs[5]),
        ("--known-at", step_5["recorded_at"]),
        ("--known-at", step_5["recorded_at"].replace("Z", "+00:00")),
    ):
        before = {
            row["id"]: row
            for row in table(ledger_cmd("query", "commitments", "--as-of", "2025-03-01", *limit))
        }
        assert before["PO-2"]["committed"] == "360000.00", limit

    diff = table(
        ledger_cmd("diff", "budget", "--as-of", "2025-03-31", "--region", "CN", "--from-close")
    )
    assert diff == [
        {
            "region": "CN",
            "year": "2025",
            "currency": "CNY",
            "budget_before": "1000000.00",
            "budget_after": "1000000.00",
            "committed_before": "655000.00",
            "committed_after": "650000.00",
            "remaining_before": "345000.00",
            "remaining_after": "350000.00",
            "budget_change": "0.00",
            "committed_change": "-5000.00",
            "remaining_change": "5000.00",
        }
    ]
    listed = table(
        ledger_cmd("diff", "events", "--as-of", "2025-03-31", "--from-seq", seqs["close"])
    )
    assert [
        (row["type"], json.loads(row["payload"])["base"], row["regions"]) for row in listed
    ] == [("fx.rate_set", "EUR", "MY"), ("fx.rate_set", "USD", "CN;MY")]
    for limits in (("--from-seq", seqs["close"]), ("--from-close",)):
        only_cn = table(
            ledger_cmd("diff", "events", "--as-of", "2025-03-31", "--region", "CN", *limits)
        )
        assert [row["seq"] for row in only_cn] == [str(seqs[10])]
    # JSON: the same keys, amounts as strings.
    (as_json,) = json.loads(
        ledger_cmd(
            "diff",
            "budget",
            "--as-of",
            "2025-03-31",
            "--region",
            "CN",
            "--from-close",
            "--format",
            "json",
        ).stdout
    )
    assert as_json["committed_before"] == "655000.00" and as_json["year"] == 2025

    # The exit statuses of §5 for the restatement commands, on the same ledger.
    head = seqs[10]
    usage = [
        ("diff", "budget", "--as-of", "2025-03-31"),  # no earlier limit
        ("diff", "budget", "--from-close"),  # --from-close without --region
        ("diff", "budget", "--from-seq", 5, "--to-seq", 4),
        ("diff", "budget", "--from-seq", 1, "--from-close", "--region", "CN"),
        ("diff", "budget", "--from-seq", "x"),
        ("diff", "budget", "--from-sequence", 1),
        ("diff", "events", "--from-seq", head + 1),  # past everything: not "nothing changed"
        ("diff", "commitments", "--from-seq", head * 10),
    ]
    for args in usage:
        ledger_cmd(*args, code=2)
    past = ledger_cmd("diff", "events", "--from-seq", head * 10, code=2)
    assert f"seq {head * 10}" in past.stderr and f"seq {head}" in past.stderr
    ledger_cmd("diff", "budget", "--from-close", "--region", "MY", code=1)  # MY never closed
    ledger_cmd("diff", "budget", "--from-close", "--region", "XX", code=1)  # unknown region
    assert ledger_cmd("diff", "events", "--from-seq", head).stdout.count("\n") == 1  # header only


def test_resending_events_already_in_the_log_adds_nothing_with_closed_books(ledger_cmd, tmp_path):
    ledger_cmd("init")
    for args in STEPS[1] + STEPS[2] + STEPS[3]:
        ledger_cmd(*args)
    ids = {
        "close": "0b5c0d3e-8f1a-4c57-9b0e-0d6f7a1c2b01",
        "reopen": "0b5c0d3e-8f1a-4c57-9b0e-0d6f7a1c2b02",
        "order": "0b5c0d3e-8f1a-4c57-9b0e-0d6f7a1c2b03",
    }
    order = (
        "order",
        "place",
        "PO-7",
        "--region",
        "CN",
        "--supplier",
        "huawei",
        "--sku",
        "x",
        "--quantity",
        "1",
        "--unit-price",
        "5",
        "--currency",
        "CNY",
        "--effective",
        "2025-02-10",
        "--event-id",
        ids["order"],
    )
    close = (
        "period",
        "close",
        "CN",
        "--through",
        "2025-03-31",
        "--effective",
        "2025-04-01",
        "--event-id",
        ids["close"],
    )
    reopen = (
        "period",
        "reopen",
        "CN",
        "--effective",
        "2025-04-02",
        "--reason",
        "late invoice",
        "--event-id",
        ids["reopen"],
    )
    ledger_cmd(*order)
    ledger_cmd(*close)
    ledger_cmd(*reopen)
    ledger_cmd("period", "close", "CN", "--through", "2025-06-30", "--effective", "2025-07-01")
    head = len(table(ledger_cmd("export", "events")))
    # The books are closed through 2025-06-30 now, later than the first close; the reopening
    # could not be recorded now (books closed) and neither could the order: each is already in
    # the log, so re-sending it is a no-op.
    for args in (order, close, reopen):
        again = ledger_cmd(*args)
        assert again.stderr.startswith(f"already recorded as seq {again.stdout.strip()} "), args
    ledger_cmd("export", "events", "-o", "events.csv")
    with open(tmp_path / "events.csv", newline="", encoding="utf-8") as stream:
        lines = [
            {
                "event_id": row["event_id"],
                "type": row["type"],
                "effective": row["effective"],
                "actor": row["actor"],
                **({"reason": row["reason"]} if row["reason"] else {}),
                **json.loads(row["payload"]),
            }
            for row in csv.DictReader(stream)
        ]
    (tmp_path / "again.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
    )
    dry = ledger_cmd("import", "--dry-run", "again.jsonl")
    assert f"would import 0 events, {head} already recorded" in dry.stdout
    real = ledger_cmd("import", "again.jsonl")
    assert f"imported 0 events, {head} already recorded" in real.stdout
    assert len(table(ledger_cmd("export", "events"))) == head
    # A different payload under a known id is still an error, closed books or not.
    changed = ledger_cmd(*order[:-3], "2025-02-11", "--event-id", ids["order"], code=1)
    assert ids["order"] in changed.stderr


def test_every_new_command_refuses_a_missing_sqlite_ledger_and_creates_nothing(tmp_path):
    ledger_cmd = installed(None, tmp_path)
    missing = tmp_path / "typo.db"
    commands = [
        ("status",),
        ("period", "list"),
        ("period", "close", "CN", "--through", "2025-01-31"),
        ("period", "reopen", "CN", "--reason", "x"),
        ("diff", "budget", "--from-seq", "1"),
        ("diff", "commitments", "--from-seq", "1"),
        ("diff", "events", "--from-seq", "1"),
        ("region", "list"),
        ("supplier", "list"),
        ("fx", "list"),
        ("budget", "list"),
        ("verify", "--deep"),
        ("copy", str(tmp_path / "copy.db")),
    ]
    for args in commands:
        done = ledger_cmd(*args, code=1, db=str(missing))
        assert done.stderr == f"error: no ledger at {missing} (create one with ledger init)\n", args
        assert sorted(path.name for path in tmp_path.iterdir()) == [], args


def test_copy_restore_and_status_through_the_installed_command(ledger_cmd, db_url, tmp_path):
    worked_example(ledger_cmd)
    head = ledger_cmd("verify").stdout
    ledger_cmd("copy", "copy.db")
    assert ledger_cmd("verify", db="copy.db").stdout == head
    ledger_cmd("export", "events", "-o", "events.csv")
    ledger_cmd("restore", "events.csv", db="restored.db")
    assert ledger_cmd("verify", db="restored.db").stdout == head
    assert ledger_cmd("verify", "--export", "events.csv", db="never-created.db").stdout == head
    assert not (tmp_path / "never-created.db").exists()
    status = dict(
        line.split(":", 1) for line in ledger_cmd("status", db="copy.db").stdout.splitlines()
    )
    assert status["events"].strip() == head.split()[1]
    assert status["read-only"].strip() == "no"
    ledger_cmd("copy", str(tmp_path / "copy.db"), db="copy.db", code=1)  # onto itself


@pytest.mark.parametrize(
    "args", [("status",), ("period", "list"), ("diff", "events", "--from-seq", "1")]
)
def test_a_url_with_a_port_that_is_not_a_number_is_one_line_without_the_password(tmp_path, args):
    done = installed("postgresql://auditor:s3cret@db.internal:54x2/ledger", tmp_path)(*args, code=1)
    assert done.stderr.startswith(
        "error: --db: cannot use 'postgresql+psycopg://auditor:***@db.internal:54x2"
    )
    assert "s3cret" not in done.stderr


def test_copy_names_a_target_url_it_cannot_use_as_target(tmp_path):
    ledger_cmd = installed(str(tmp_path / "ledger.db"), tmp_path)
    ledger_cmd("init")
    for target in (
        "postgresql://auditor:s3cret@db.internal:54x2/ledger",
        "postgresql+nodriver://a:s3cret@h/l",
    ):
        done = ledger_cmd("copy", target, code=1)
        assert done.stderr.startswith("error: TARGET: cannot use "), done.stderr
        assert "s3cret" not in done.stderr


@pytest.fixture
def read_only_mount(tmp_path):
    """A folder whose file system is mounted read-only (a bind mount; needs root)."""
    source, mounted = tmp_path / "source", tmp_path / "ro"
    source.mkdir()
    mounted.mkdir()
    if subprocess.run(
        ["mount", "--bind", str(source), str(mounted)], capture_output=True
    ).returncode:
        pytest.skip("cannot bind-mount here (needs root and CAP_SYS_ADMIN)")
    try:
        if subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(mounted)], capture_output=True
        ).returncode:
            pytest.skip("cannot remount read-only here")
        yield source, mounted
    finally:
        subprocess.run(["umount", str(mounted)], capture_output=True)


def test_a_ledger_on_a_read_only_file_system_answers_queries_and_refuses_writes(
    read_only_mount, tmp_path
):
    source, mounted = read_only_mount
    writer = installed(str(source / "ledger.db"), tmp_path)
    writer("init")
    for step in (1, 2, 3):
        for args in STEPS[step]:
            writer(*args)
    expected = writer("query", "budget", "--as-of", "2025-02-15").stdout
    reader = installed(str(mounted / "ledger.db"), tmp_path)
    assert reader("query", "budget", "--as-of", "2025-02-15").stdout == expected
    assert reader("verify").stdout == writer("verify").stdout
    shown = dict(line.split(":", 1) for line in reader("status").stdout.splitlines())
    assert shown["read-only"].strip() == "yes"
    reader("period", "list")
    refused = reader(
        "period", "close", "CN", "--through", "2025-01-31", "--effective", "2025-02-01", code=1
    )
    assert (
        refused.stderr
        == f"error: the database is read-only: {mounted / 'ledger.db'} is on a read-only file system\n"
    )
    reader("copy", str(tmp_path / "copy.db"))
    assert (
        installed(str(tmp_path / "copy.db"), tmp_path)("verify").stdout == writer("verify").stdout
    )


def test_a_later_limit_before_the_first_event_says_so_instead_of_nothing_changed(run):
    for args in STEPS[1]:
        assert run(*args).exit_code == 0
    result = run("diff", "budget", "--from-seq", "0", "--to-known-at", "2001-01-01")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1  # the header alone
    assert result.stderr.startswith("note: no event was recorded by 2001-01-01T23:59:59.999999Z")
    assert run("diff", "budget", "--from-seq", "0").stderr == ""


def test_a_closed_first_day_of_the_calendar_is_one_line_suggesting_a_full_reopening(run, tmp_path):
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
            "0001-01-01",
        ).exit_code
        == 0
    )
    assert (
        run(
            "period", "close", "CN", "--through", "0001-01-01", "--effective", "0001-01-01"
        ).exit_code
        == 0
    )
    refused = run("budget", "revise", "CN", "2025", "5", "--effective", "0001-01-01")
    assert refused.exit_code == 1
    assert refused.stderr.strip().endswith("first run `ledger period reopen CN --reason TEXT`")
    (tmp_path / "early.jsonl").write_text(
        json.dumps(
            {
                "type": "budget.revised",
                "effective": "0001-01-01",
                "region": "CN",
                "year": 2025,
                "amount": "5",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    imported = run("import", str(tmp_path / "early.jsonl"))
    assert imported.exit_code == 1 and "Traceback" not in imported.output
    assert imported.stderr.startswith("error: line 1: effective: the books of region CN are closed")
