"""A typo must never look like an answer (SPEC §5): a --region that no event names as a region is
an error naming the known ones; a region not yet opened at the as-of date or the knowledge limit
still gives no rows; `log --type` must name a type; an empty knowledge limit or `log --id` says so."""

from __future__ import annotations

import pytest
from given import OPEN_CN

OPEN_MY = (
    "region",
    "open",
    "MY",
    "--name",
    "Malaysia",
    "--country",
    "MY",
    "--currency",
    "USD",
    "--effective",
    "2025-06-01",
)

WITH_REGION = [
    ("query", "budget", "--as-of", "2025-12-31"),
    ("query", "commitments", "--as-of", "2025-12-31"),
    ("query", "shares", "--as-of", "2025-12-31"),
    ("compliance", "--as-of", "2025-12-31"),
    ("policy", "list", "--as-of", "2025-12-31"),
    ("log",),
]


def given_two_regions(run) -> None:
    for args in (OPEN_CN, OPEN_MY):
        assert run(*args).exit_code == 0


def one_error_line(result) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("args", WITH_REGION, ids=" ".join)
@pytest.mark.parametrize("code", ["XX", "cn"])
def test_a_region_no_event_names_is_an_error_listing_the_known_ones(run, args, code):
    given_two_regions(run)

    result = run(*args, "--region", code, "--format", "csv")

    assert result.exit_code == 1
    assert one_error_line(result) == f"error: unknown region '{code}'; known: CN, MY"
    assert result.stdout == ""


def test_the_report_of_an_unknown_region_is_an_error_not_a_clean_bill(run, tmp_path):
    given_two_regions(run)
    page = tmp_path / "report.html"

    result = run("report", "--region", "XX", "-o", page)

    assert result.exit_code == 1
    assert one_error_line(result) == "error: unknown region 'XX'; known: CN, MY"
    assert not page.exists()


def test_on_an_empty_ledger_no_region_is_known(run):
    result = run("query", "budget", "--region", "CN")

    assert (
        one_error_line(result)
        == "error: unknown region 'CN'; known: none (no region has been opened)"
    )


@pytest.mark.parametrize("args", WITH_REGION[:5], ids=" ".join)
def test_a_region_opened_after_the_as_of_date_gives_no_rows(run, args):
    given_two_regions(run)
    args = tuple("2025-03-01" if value == "2025-12-31" else value for value in args)

    result = run(*args, "--region", "MY", "--format", "csv")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.count("\n") == 1  # the header alone


def test_a_region_beyond_the_knowledge_limit_gives_no_rows(run):
    given_two_regions(run)

    result = run(
        "query",
        "budget",
        "--as-of",
        "2025-12-31",
        "--upto-seq",
        "1",
        "--region",
        "MY",
        "--format",
        "csv",
    )

    assert (result.exit_code, result.stdout.count("\n")) == (0, 1)


def test_a_knowledge_limit_before_the_first_event_says_so(run):
    given_two_regions(run)

    result = run(
        "query", "budget", "--as-of", "2025-12-31", "--known-at", "2025-09-02", "--format", "csv"
    )

    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1
    note = result.stderr.strip()
    assert note.startswith(
        "note: no event was recorded by 2025-09-02T23:59:59.999999Z (the first was recorded at "
    )
    assert result.stderr.count("\n") == 1


def test_upto_seq_0_says_it_leaves_out_every_event(run):
    given_two_regions(run)

    result = run("query", "budget", "--as-of", "2025-12-31", "--upto-seq", "0", "--format", "csv")
    one = run("query", "budget", "--as-of", "2025-12-31", "--upto-seq", "1", "--format", "csv")

    assert (result.exit_code, result.stdout.count("\n")) == (0, 1)
    assert result.stderr == "note: --upto-seq 0 leaves out every event (the first is seq 1)\n"
    assert (one.exit_code, one.stderr) == (0, "")


def test_a_knowledge_limit_that_includes_events_says_nothing(run):
    given_two_regions(run)

    result = run("query", "budget", "--known-at", "2999-01-01", "--format", "csv")

    assert (result.exit_code, result.stderr) == (0, "")


def test_the_report_says_when_its_knowledge_limit_excludes_every_event(run, tmp_path):
    pytest.importorskip("matplotlib")
    given_two_regions(run)

    result = run(
        "report", "--as-of", "2025-09-01", "--known-at", "2025-09-02", "-o", tmp_path / "r.html"
    )

    assert result.exit_code == 0
    assert result.stderr.startswith("note: no event was recorded by 2025-09-02")


def test_log_of_a_mistyped_type_is_a_usage_error_listing_the_types(run):
    given_two_regions(run)

    result = run("log", "--type", "order.plced")

    assert result.exit_code == 2
    line = one_error_line(result)
    assert "'order.plced'" in line and "order.placed" in line and "region.opened" in line


def test_log_of_an_id_without_events_says_so(run):
    given_two_regions(run)

    result = run("log", "--id", "NOPE", "--format", "csv")

    assert result.exit_code == 0
    assert (
        result.stderr
        == "note: no event names an order, lease, receipt, invoice or payment 'NOPE'\n"
    )
    assert result.stdout.count("\n") == 1
