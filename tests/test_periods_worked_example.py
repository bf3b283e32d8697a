"""SPEC §6 steps 9–10 through the `ledger` command: closing CN, the guard, a reopen, the diffs."""

from __future__ import annotations

import csv
import io

from given import given_step_9, given_step_10


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_step_9_a_closed_region_refuses_a_backdated_rate_and_takes_the_rest(run):
    close = given_step_9(run)
    refused = run("fx", "set", "USD", "CNY", "7.0", "--effective", "2025-02-01")
    assert refused.exit_code == 1
    message = refused.stderr.strip()
    assert len(message.splitlines()) == 1
    for part in ("region CN", "2025-03-31", f"seq {close}", "ledger period reopen CN"):
        assert part in message
    assert run("fx", "set", "EUR", "USD", "1.1", "--effective", "2025-02-01").exit_code == 0
    amended = run("order", "amend", "PO-1", "--unit-price", "31000", "--effective", "2025-04-01")
    assert amended.exit_code == 0, amended.stderr
    assert rows(run("period", "list", "--format", "csv")) == [
        {
            "region": "CN",
            "closed_through": "2025-03-31",
            "seq": str(close),
            "recorded_at": rows(run("export", "events"))[close - 1]["recorded_at"],
            "actor": "tester",
            "reason": "",
        },
        {
            "region": "MY",
            "closed_through": "",
            "seq": "",
            "recorded_at": "",
            "actor": "",
            "reason": "",
        },
    ]


def test_step_10_reopen_then_correct_restates_po_2(run):
    given_step_10(run)
    commitments = rows(
        run("query", "commitments", "--as-of", "2025-03-31", "--region", "CN", "--format", "csv")
    )
    assert {row["id"]: row["committed"] for row in commitments} == {
        "PO-1": "300000.00",
        "PO-2": "350000.00",
    }
    listed = rows(run("period", "list", "--region", "CN", "--format", "csv"))
    assert listed[0]["closed_through"] == "2025-01-31"
    assert listed[0]["reason"] == "FX restatement"


def test_step_10_diff_budget_from_the_close(run):
    given_step_10(run)
    result = run(
        "diff",
        "budget",
        "--as-of",
        "2025-03-31",
        "--region",
        "CN",
        "--from-close",
        "--format",
        "csv",
    )
    assert rows(result) == [
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
    assert result.stdout.splitlines()[0] == (
        "region,year,currency,budget_before,budget_after,"
        "committed_before,committed_after,remaining_before,remaining_after,"
        "budget_change,committed_change,remaining_change"
    )


def test_step_10_diff_events_lists_the_two_rates(run):
    close = given_step_10(run)
    listed = rows(
        run("diff", "events", "--as-of", "2025-03-31", "--from-seq", close, "--format", "csv")
    )
    assert [(row["seq"], row["type"], row["regions"]) for row in listed] == [
        (str(close + 1), "fx.rate_set", "MY"),
        (str(close + 4), "fx.rate_set", "CN;MY"),
    ]
    assert listed[1]["payload"] == '{"base":"USD","quote":"CNY","rate":"7"}'
    assert listed[1]["effective"] == "2025-02-01"
    for args in (("--region", "CN", "--from-seq", close), ("--region", "CN", "--from-close")):
        only_cn = rows(run("diff", "events", "--as-of", "2025-03-31", *args, "--format", "csv"))
        assert [(row["seq"], row["regions"]) for row in only_cn] == [(str(close + 4), "CN;MY")]


def test_step_10_diff_commitments_names_po_2(run):
    given_step_10(run)
    listed = rows(
        run(
            "diff",
            "commitments",
            "--as-of",
            "2025-03-31",
            "--region",
            "CN",
            "--from-close",
            "--format",
            "csv",
        )
    )
    assert listed == [
        {
            "kind": "order",
            "id": "PO-2",
            "region": "CN",
            "currency": "CNY",
            "status_before": "amended",
            "status_after": "amended",
            "committed_before": "355000.00",
            "committed_after": "350000.00",
            "committed_change": "-5000.00",
        }
    ]
