"""Imports people can trust before they commit (SPEC §5, Bulk entry): --dry-run, one line for a
file-wide problem (format, encoding, header), at most 100 problems shown, an empty file, and lines
capped at 1 MiB so that an endless input is never read whole."""

from __future__ import annotations

import json
import os
import threading

import pytest

from ledger.packaged import fixture

DEMO = fixture("demo.jsonl")
DEMO_COUNT = sum(1 for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip())
REGION = {
    "type": "region.opened",
    "effective": "2025-01-01",
    "region": "CN",
    "name": "China",
    "country": "CN",
    "currency": "CNY",
}


def event_count(run) -> int:
    verified = run("verify")
    assert verified.exit_code == 0, verified.stderr
    return int(verified.stdout.split()[1])


def one_error_line(result) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def expected_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        if line.strip():
            kind = json.loads(line)["type"]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_a_dry_run_counts_each_type_and_writes_nothing(run):
    result = run("import", DEMO, "--dry-run")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"dry run: would import {DEMO_COUNT} events, 0 already recorded; nothing was written"
    )
    assert dict(line.strip().split(": ") for line in lines[1:]) == {
        kind: str(count) for kind, count in expected_counts().items()
    }
    assert event_count(run) == 0
    assert run("query", "budget", "--region", "CN").exit_code == 1  # no region read model left


def test_a_dry_run_counts_what_is_already_recorded(run):
    assert run("import", DEMO).exit_code == 0

    result = run("import", DEMO, "--dry-run")

    assert (
        result.stdout
        == f"dry run: would import 0 events, {DEMO_COUNT} already recorded; nothing was written\n"
    )
    assert event_count(run) == DEMO_COUNT


def test_a_dry_run_of_a_bad_file_fails_like_the_import(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps(REGION)
        + "\n"
        + json.dumps({**REGION, "region": "MY", "currency": "CYNX"})
        + "\n",
        encoding="utf-8",
    )

    dry = run("import", path, "--dry-run")
    real = run("import", path)

    assert (dry.exit_code, dry.stdout) == (1, "")
    assert dry.stderr == real.stderr and dry.stderr.startswith("error: line 2: currency")
    assert event_count(run) == 0


def test_the_library_dry_run_rolls_back(ledger):
    result = ledger.import_file(DEMO, dry_run=True)

    assert (result.added, result.already_recorded, result.dry_run) == (DEMO_COUNT, 0, True)
    assert result.added_by_type == expected_counts()
    assert ledger.head()[0] == 0
    assert ledger.import_file(DEMO).added == DEMO_COUNT  # the same events, nothing left behind


CSV_HEADER_PROBLEMS = {
    "semicolon-delimited": (
        b"type;effective;region\nregion.opened;2025-01-01;CN\n",
        "the CSV header has no 'type' column; its columns look separated by semicolons",
    ),
    "utf-16": (
        "type,effective,region\nregion.opened,2025-01-01,CN\n".encode("utf-16"),
        "the file is UTF-16; save it as UTF-8",
    ),
    "utf-16 without a byte order mark": (
        "type,effective\nregion.opened,2025-01-01\n".encode("utf-16-le"),
        "the file is UTF-16; save it as UTF-8",
    ),
    "a wrong header": (
        b"kind,date,region\nregion.opened,2025-01-01,CN\n" * 50,
        "the CSV header has no 'type' column (the header reads 'kind,date,region'",
    ),
}


@pytest.mark.parametrize(
    "content,message", CSV_HEADER_PROBLEMS.values(), ids=CSV_HEADER_PROBLEMS.keys()
)
def test_a_csv_header_problem_is_one_line_not_one_per_row(run, tmp_path, content, message):
    path = tmp_path / "events.csv"
    path.write_bytes(content)

    result = run("import", path)

    assert result.exit_code == 1
    assert one_error_line(result).startswith(f"error: {path}: {message}")
    assert event_count(run) == 0


def test_utf16_json_lines_are_one_line_too(run, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes((json.dumps(REGION) + "\n").encode("utf-16") * 3)

    assert (
        one_error_line(run("import", path))
        == f"error: {path}: the file is UTF-16; save it as UTF-8"
    )


@pytest.mark.parametrize("name", ["events.txt", "events", "events.json"])
def test_an_unknown_extension_is_refused_listing_the_accepted_ones(run, tmp_path, name):
    path = tmp_path / name
    path.write_text(json.dumps(REGION) + "\n", encoding="utf-8")

    result = run("import", path)

    assert result.exit_code == 1
    line = one_error_line(result)
    assert ".jsonl, .csv" in line and "--format" in line
    assert event_count(run) == 0


@pytest.mark.parametrize(
    "fmt,content",
    [
        ("jsonl", json.dumps(REGION) + "\n"),
        ("csv", ",".join(REGION) + "\n" + ",".join(REGION.values()) + "\n"),
    ],
)
def test_format_overrides_the_guess(run, tmp_path, fmt, content):
    path = tmp_path / "events.txt"
    path.write_text(content, encoding="utf-8")

    result = run("import", path, "--format", fmt)

    assert result.exit_code == 0, result.stderr
    assert event_count(run) == 1


def test_format_applies_to_a_file_with_the_other_extension(run, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(json.dumps(REGION) + "\n", encoding="utf-8")

    assert run("import", path, "--format", "jsonl").exit_code == 0
    assert run("import", path, "--format", "xml").exit_code == 2


def test_more_than_100_problems_shows_100_and_counts_the_rest(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(REGION) + "\n" + '{"type": "nope"}\n' * 250, encoding="utf-8")

    result = run("import", path)

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 101
    assert lines[0].startswith("error: line 2: ") and lines[99].startswith("error: line 101: ")
    assert lines[100] == "error: … and 150 more problems (nothing was written)"
    assert event_count(run) == 0


def test_100_problems_are_all_shown(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "nope"}\n' * 100, encoding="utf-8")

    lines = run("import", path).stderr.splitlines()

    assert len(lines) == 101 and lines[-1] == "error: nothing was written (100 bad lines)"


@pytest.mark.parametrize(
    "name,content",
    [
        ("empty.jsonl", b""),
        ("blank.jsonl", b"\n \n"),
        ("empty.csv", b""),
        ("header.csv", b"type,effective,region\n"),
    ],
)
def test_a_file_without_events_says_so(run, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)

    for args in (("import", path), ("import", path, "--dry-run")):
        result = run(*args)
        assert result.exit_code == 1
        assert one_error_line(result) == f"error: no events in {path}"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_endless_line_stops_at_1_mib(run, fmt):
    result = run("import", "/dev/zero", "--format", fmt)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "error: line 1: longer than 1 MiB"
    assert event_count(run) == 0


def test_dev_zero_without_a_format_is_refused_by_its_name(run):
    result = run("import", "/dev/zero")

    assert result.exit_code == 1
    assert "cannot tell the format" in one_error_line(result)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_long_line_after_good_ones_is_named_by_number(run, tmp_path, fmt):
    path = tmp_path / f"long.{fmt}"
    if fmt == "jsonl":
        good = json.dumps(REGION) + "\n"
        path.write_text(good + '{"reason": "' + "x" * (1 << 20) + '"}\n' + good, encoding="utf-8")
        line = 2
    else:
        path.write_text(
            "type,effective,reason\n"
            + "supplier.registered,2025-01-01,x\n"
            + "order.placed,2025-01-01,"
            + "y" * (1 << 20)
            + "\n",
            encoding="utf-8",
        )
        line = 3

    result = run("import", path)

    assert result.exit_code == 1
    assert f"error: line {line}: longer than 1 MiB" in result.stderr.splitlines()


def test_a_line_of_almost_1_mib_is_read(run, tmp_path):
    path = tmp_path / "wide.jsonl"
    text = json.dumps({**REGION, "reason": ""})
    reason = "r" * ((1 << 20) - len(text))
    path.write_text(json.dumps({**REGION, "reason": reason}) + "\r\n", encoding="utf-8")
    assert path.stat().st_size == (1 << 20) + 2

    result = run("import", path)

    assert "longer than 1 MiB" not in result.stderr


def test_a_fifo_can_be_imported(run, tmp_path):
    fifo = tmp_path / "events.pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(DEMO.read_bytes())

    writer = threading.Thread(target=write)
    writer.start()
    try:
        result = run("import", fifo, "--format", "jsonl")
    finally:
        writer.join(timeout=30)

    assert result.exit_code == 0, result.stderr
    assert event_count(run) == DEMO_COUNT
