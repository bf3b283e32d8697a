"""Picking a close to compare from (`--from-close [SEQ|DATE]`), the period history, and the
`_change` columns at the end of the diffs."""

from __future__ import annotations

import csv
import io

from given import given_step_10


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def given_two_closes(run) -> tuple[int, int]:
    """The worked example through step 10, then CN closed again through 30 April."""
    first = given_step_10(run)
    second = run("period", "close", "CN", "--through", "2025-04-30", "--effective", "2025-05-01")
    assert second.exit_code == 0, second.stderr
    return first, int(second.stdout)


def diff_budget(run, *which: str):
    return run(
        "diff", "budget", "--as-of", "2025-03-31", "--region", "CN", "--from-close", *which,
        "--format", "csv",
    )  # fmt: skip


def test_from_close_alone_is_the_last_close_and_says_which_seq(run):
    first, second = given_two_closes(run)
    result = diff_budget(run)
    assert rows(result) == []  # nothing changed since the last close
    assert f"seq {second}" in result.stderr

    for which in (str(first), "2025-03-31"):
        result = diff_budget(run, which)
        (row,) = rows(result)
        assert (row["committed_before"], row["committed_after"]) == ("655000.00", "650000.00")
        assert (row["committed_change"], row["remaining_change"]) == ("-5000.00", "5000.00")
        assert f"seq {first}" in result.stderr


def test_from_close_refuses_a_seq_or_date_that_is_no_close(run):
    first, second = given_two_closes(run)
    missing = diff_budget(run, str(second - 1))
    assert missing.exit_code == 1
    assert f"no close seq {second - 1}" in missing.stderr
    assert f"seq {first} through 2025-03-31, seq {second} through 2025-04-30" in missing.stderr
    assert diff_budget(run, "2025-02-28").exit_code == 1
    malformed = diff_budget(run, "March")
    assert malformed.exit_code == 2 and "--from-close" in malformed.stderr


def test_period_list_history_lists_every_close_and_reopening(run):
    first, second = given_two_closes(run)
    history = rows(run("period", "list", "--history", "--region", "CN", "--format", "csv"))
    assert [
        (r["type"], r["through"], r["closed_through"], r["seq"], r["effective"], r["reason"])
        for r in history
    ] == [
        ("period.closed", "2025-03-31", "2025-03-31", str(first), "2025-04-05", ""),
        (
            "period.reopened",
            "2025-01-31",
            "2025-01-31",
            str(first + 3),
            "2025-04-06",
            "FX restatement",
        ),
        ("period.closed", "2025-04-30", "2025-04-30", str(second), "2025-05-01", ""),
    ]
    assert rows(run("period", "list", "--history", "--region", "MY", "--format", "csv")) == []
    known_then = rows(
        run("period", "list", "--history", "--upto-seq", str(first), "--format", "csv")
    )
    assert [r["seq"] for r in known_then] == [str(first)]
