"""What an ordinary user can type must never end in a traceback (issue 11 items 4, 5, 7, 10 and
issue 14 §5): `-o` that cannot be written, passwords in URLs, old knowledge limits, numbers as
people type them."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from ledger.app import Ledger

ROOT = Path(__file__).parent.parent
MINIMAL = ROOT / "fixtures" / "minimal.jsonl"
DEMO = ROOT / "fixtures" / "demo.jsonl"
LEDGER = Path(sys.executable).parent / "ledger"
WRITERS = [
    ["query", "budget"],
    ["export", "events"],
    ["anchor"],
    ["compliance"],
    ["log"],
    ["report", "--as-of", "2025-12-31"],
]


def one_error_line(result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def minimal(run):
    assert run("import", str(MINIMAL)).exit_code == 0
    return run


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: " ".join(c[:2]))
def test_o_into_a_missing_folder_is_one_line_and_creates_nothing(minimal, tmp_path, command):
    target = tmp_path / "no-such-folder" / "out.txt"
    result = minimal(*command, "-o", str(target))
    assert result.exit_code == 1
    assert one_error_line(result) == f"error: cannot write {target}: No such file or directory"
    assert not target.parent.exists()


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: " ".join(c[:2]))
def test_o_onto_a_full_device_is_one_line(minimal, command):
    # /dev/full exists: an anchor replaces an existing file only with --force.
    result = minimal(*command, *(["--force"] if command == ["anchor"] else []), "-o", "/dev/full")
    assert result.exit_code == 1
    assert one_error_line(result) == "error: cannot write /dev/full: No space left on device"


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: " ".join(c[:2]))
def test_o_onto_a_read_only_file_system_is_one_line(minimal, command):
    # /proc takes no new files: the same refusal as a read-only mount, without mounting one.
    result = minimal(*command, "-o", "/proc/ledger-out.txt")
    assert result.exit_code == 1
    assert one_error_line(result).startswith("error: cannot write /proc/ledger-out.txt: ")


def test_o_replaces_a_file_whole_and_keeps_its_permissions(minimal, tmp_path):
    target = tmp_path / "events.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    assert minimal("export", "events", "-o", str(target)).exit_code == 0
    assert target.read_text().startswith("seq,")
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.postgres
@pytest.mark.parametrize(
    "command", [["export", "events"], ["log", "--format", "json"], ["query", "budget"]]
)
def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_part(
    postgres_url, tmp_path, command
):
    """The file-size limit of the process (RLIMIT_FSIZE) stops the write after 4 KB, as a full
    disk would; the old file stays as it was and no temporary file is left behind."""
    with Ledger.open(postgres_url) as books:
        books.import_file(DEMO, actor="fixture")
    target = tmp_path / "out.csv"
    target.write_text("the previous, complete export\n")

    limit = 100 if command[0] == "query" else 4096  # a budget listing is small: limit it more

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [str(LEDGER), "--db", postgres_url, *command, "-o", str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"error: cannot write {target}: File too large\n"
    assert target.read_text() == "the previous, complete export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_password_is_never_printed(tmp_path):
    from commands import main

    for url in (
        "postgresql+psycopg://auditor:s3cret-pw@127.0.0.1:1/ledger",
        "postgresql://auditor:s3cret-pw@127.0.0.1:1/ledger?connect_timeout=1",
        "nosuchdriver://auditor:s3cret-pw@host/db",
        "postgresql+psycopg://127.0.0.1:1/ledger?user=a&password=s3cret-pw",
    ):
        result = CliRunner().invoke(main, ["--db", url, "log"])
        line = one_error_line(result)
        assert result.exit_code == 1 and "s3cret-pw" not in result.output, line
        assert line.startswith("error: --db: ")
    env = {**os.environ, "LEDGER_DB": "postgresql+psycopg://auditor:s3cret-pw@127.0.0.1:1/x"}
    done = subprocess.run(
        [str(LEDGER), "verify"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 1 and "s3cret-pw" not in done.stdout + done.stderr


@pytest.mark.postgres
def test_the_demo_hint_hides_the_password(postgres_url):
    from commands import main

    url = make_url(postgres_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--db", url, "demo"])
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    assert ":***@" in result.output


def test_a_knowledge_limit_before_year_1000_knows_nothing(minimal):
    nothing = minimal("query", "budget", "--upto-seq", "0", "--format", "csv").stdout
    for limit in (
        "0999-01-01",
        "0999-01-01T00:00:00Z",
        "0100-06-30T12:00:00+08:00",
        "0001-01-01T00:00:00Z",
    ):
        result = minimal("query", "budget", "--known-at", limit, "--format", "csv")
        assert result.exit_code == 0, result.output
        assert result.stdout == nothing, limit
    everything = minimal("query", "budget", "--format", "csv").stdout
    assert (
        minimal("query", "budget", "--known-at", "9999-12-31", "--format", "csv").stdout
        == everything
    )


@pytest.mark.parametrize("limit", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_knowledge_limit_outside_the_calendar_in_utc_is_a_usage_error(minimal, limit):
    result = minimal("query", "budget", "--known-at", limit)
    assert result.exit_code == 2
    assert "outside the years 0001-9999" in one_error_line(result)


@pytest.mark.parametrize(
    "command", [["query", "budget"], ["log"], ["export", "events"], ["compliance"]]
)
def test_an_upto_seq_beyond_64_bits_is_a_usage_error(minimal, command):
    result = minimal(*command, "--upto-seq", "99999999999999999999999")
    assert result.exit_code == 2
    assert one_error_line(result).endswith("must be at most 9223372036854775807")


def test_a_lease_paying_after_9999_is_refused_at_entry(minimal, tmp_path):
    lease = (
        "lease",
        "sign",
        "L-X",
        "--region",
        "MY",
        "--lessor",
        "dcprov",
        "--sku",
        "h20",
        "--units",
        "1",
        "--start",
        "9999-11-30",
        "--months",
        "3",
        "--monthly-payment",
        "5",
        "--currency",
        "USD",
    )
    result = minimal(*lease)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "error: months: the last of 3 monthly payments from 9999-11-30 would fall after 9999-12-31"
    )
    assert minimal("report", "--as-of", "9999-12-31", "-o", str(tmp_path / "r.html")).exit_code == 0


@pytest.mark.parametrize("text", ["1_000", "١٠٠", "１０", "1 000"])
def test_numbers_need_ascii_digits_on_the_command_line(minimal, text):
    before = minimal("verify").stdout
    for args in (
        ("fx", "set", "USD", "CNY", text),
        ("budget", "revise", "CN", text, "5"),
        ("order", "amend", "PO-1", "--quantity", text, "--effective", "2025-03-01"),
    ):
        result = minimal(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "ASCII digits" in one_error_line(result)
    assert minimal("verify").stdout == before


@pytest.mark.parametrize(
    "args, words",
    [
        (("fx", "set", "USD", "CNY", "-7"), "error: -7: RATE must be positive"),
        (
            ("budget", "revise", "CN", "2025", "-5"),
            "error: -5: YEAR and AMOUNT must not be negative",
        ),
    ],
)
def test_a_negative_number_argument_says_what_it_must_be(minimal, args, words):
    result = minimal(*args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith(words) and "`--`" in line and "No such option" not in line


def test_a_value_after_double_dash_reaches_the_entry_rules(minimal):
    result = minimal("fx", "set", "USD", "CNY", "--", "-7")
    assert result.exit_code == 1
    assert one_error_line(result) == "error: rate: must be greater than 0"


def test_a_threshold_as_a_percentage(minimal):
    given = (
        "policy",
        "set",
        "min_domestic_share",
        "--region",
        "CN",
        "--effective",
        "2025-01-01",
        "--threshold",
    )
    result = minimal(*given, "30")
    assert result.exit_code == 1
    assert (
        one_error_line(result) == "error: threshold: must be at most 1 (write 30% for a percentage)"
    )
    assert minimal(*given, "30%").exit_code == 0
    assert minimal(*given, "12.5%").exit_code == 0
    logged = json.loads(minimal("log", "--type", "policy.changed", "--format", "json").stdout)
    assert {"0.3", "0.125"} <= {event["payload"].get("threshold") for event in logged}


def test_bare_ledger_prints_its_help_without_an_error(tmp_path):
    done = subprocess.run([str(LEDGER)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: ledger") and "Commands:" in done.stdout
    assert "error" not in done.stderr
    group = subprocess.run([str(LEDGER), "region"], capture_output=True, text=True, cwd=tmp_path)
    assert group.returncode == 0 and group.stdout.startswith("Usage: ledger region")
