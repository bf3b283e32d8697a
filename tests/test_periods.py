"""Closing the books (SPEC §3.1, §4.6): the period rules, the entry guard and its edge cases,
imports, knowledge limits, the diffs and rebuilds — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date

from given import given_steps


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def refused(result, *parts: str) -> str:
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for part in parts:
        assert part in message, message
    return message


def close(run, region: str, through: str, effective: str) -> int:
    result = run("period", "close", region, "--through", through, "--effective", effective)
    assert result.exit_code == 0, result.stderr
    return int(result.stdout)


def head(run) -> int:
    return len(rows(run("export", "events")))


# -- the period rules -----------------------------------------------------------------------------


def test_closing_through_a_day_after_the_close_itself_is_refused(run):
    given_steps(run, 4)
    refused(
        run("period", "close", "CN", "--through", "2025-04-01", "--effective", "2025-03-31"),
        "through",
        "2025-04-01",
        "2025-03-31",
    )
    assert close(run, "CN", "2025-03-31", "2025-03-31")


def test_closing_again_through_an_earlier_or_equal_day_is_refused(run):
    given_steps(run, 4)
    first = close(run, "CN", "2025-03-31", "2025-04-05")
    for through in ("2025-03-31", "2025-02-28"):
        refused(
            run("period", "close", "CN", "--through", through, "--effective", "2025-07-01"),
            "through",
            "already closed through 2025-03-31",
            f"seq {first}",
        )
    assert close(run, "CN", "2025-06-30", "2025-07-01") == first + 1


def test_closing_an_unopened_region_is_refused(run):
    given_steps(run, 1)
    refused(
        run("period", "close", "XX", "--through", "2025-03-31", "--effective", "2025-04-05"),
        "region",
        "XX",
    )


def test_reopening_a_region_that_is_not_closed_is_refused(run):
    given_steps(run, 4)
    refused(
        run("period", "reopen", "CN", "--reason", "why not", "--effective", "2025-04-06"),
        "region",
        "not closed",
    )
    close(run, "CN", "2025-03-31", "2025-04-05")
    assert (
        run(
            "period", "reopen", "CN", "--reason", "all of it", "--effective", "2025-04-06"
        ).exit_code
        == 0
    )
    refused(
        run("period", "reopen", "CN", "--reason", "again", "--effective", "2025-04-07"),
        "not closed",
    )


def test_reopening_needs_a_reason_and_an_earlier_through(run, tmp_path):
    given_steps(run, 4)
    close(run, "CN", "2025-03-31", "2025-04-05")
    missing = run("period", "reopen", "CN", "--effective", "2025-04-06")
    assert missing.exit_code == 2 and "--reason" in missing.stderr
    refused(run("period", "reopen", "CN", "--reason", "", "--effective", "2025-04-06"), "reason")
    refused(
        run(
            "period",
            "reopen",
            "CN",
            "--through",
            "2025-03-31",
            "--reason",
            "x",
            "--effective",
            "2025-04-06",
        ),
        "through",
        "2025-03-31",
    )
    file = tmp_path / "reopen.jsonl"
    file.write_text(
        json.dumps({"type": "period.reopened", "effective": "2025-04-06", "region": "CN"}) + "\n"
    )
    refused_import = run("import", str(file))
    assert refused_import.exit_code == 1
    assert "line 1: reason:" in refused_import.stderr


# -- what a closed period holds back --------------------------------------------------------------


def test_a_backdated_amendment_of_a_closed_regions_order_is_refused(run):
    """order.amended carries no region: it touches the region of its order."""
    given_steps(run, 6)
    close(run, "CN", "2025-03-31", "2025-04-05")
    refused(
        run("order", "amend", "PO-1", "--quantity", "9", "--effective", "2025-03-15"),
        "region CN",
        "2025-03-31",
        "ledger period reopen CN --through 2025-03-14",
    )
    refused(run("order", "cancel", "PO-2", "--effective", "2025-03-31"), "region CN")
    assert run("order", "cancel", "PO-2", "--effective", "2025-04-01").exit_code == 0


def test_a_lease_review_inside_the_closed_period_is_refused(run):
    given_steps(run, 7)
    close(run, "MY", "2025-10-31", "2025-11-02")
    refused(
        run(
            "lease",
            "review",
            "L-1",
            "--owner",
            "DC",
            "--operator",
            "DC",
            "--outcome",
            "approved",
            "--effective",
            "2025-10-15",
        ),
        "region MY",
        "2025-10-31",
    )
    assert (
        run(
            "lease",
            "review",
            "L-1",
            "--owner",
            "DC",
            "--operator",
            "DC",
            "--outcome",
            "approved",
            "--effective",
            "2025-11-01",
        ).exit_code
        == 0
    )
    refused(run("lease", "terminate", "L-1", "--effective", "2025-10-20"), "region MY")


def test_a_rate_touching_one_closed_and_one_open_region_is_refused(run):
    given_steps(run, 6)
    close(run, "MY", "2025-03-31", "2025-04-05")
    # USD/CNY touches CN (open) and MY (closed): refused, naming MY.
    message = refused(
        run("fx", "set", "CNY", "USD", "0.14", "--effective", "2025-02-01"), "region MY"
    )
    assert "region CN" not in message
    # A rate between currencies of no region touches nothing.
    assert run("fx", "set", "EUR", "GBP", "0.85", "--effective", "2025-02-01").exit_code == 0
    # Dated after the closed-through date: accepted.
    assert run("fx", "set", "USD", "CNY", "7.15", "--effective", "2025-04-01").exit_code == 0


def test_budget_and_policy_of_a_closed_region_are_held_back_but_master_data_is_not(run):
    given_steps(run, 4)
    close(run, "CN", "2025-03-31", "2025-04-05")
    refused(
        run("budget", "revise", "CN", "2025", "2000000", "--effective", "2025-03-01"), "region CN"
    )
    refused(
        run("policy", "set", "budget_cap", "--region", "CN", "--effective", "2025-01-01"),
        "region CN",
    )
    assert (
        run(
            "supplier",
            "register",
            "cambricon",
            "--name",
            "Cambricon",
            "--country",
            "CN",
            "--effective",
            "2025-01-01",
        ).exit_code
        == 0
    )
    assert (
        run(
            "region",
            "open",
            "EU",
            "--name",
            "Europe",
            "--country",
            "DE",
            "--currency",
            "EUR",
            "--effective",
            "2025-01-01",
        ).exit_code
        == 0
    )


def test_checks_run_in_the_spec_order_and_already_recorded_comes_first(run):
    given_steps(run, 4)
    event_id = str(uuid.uuid4())
    assert (
        run(
            "order", "cancel", "PO-2", "--effective", "2025-03-01", "--event-id", event_id
        ).exit_code
        == 0
    )
    assert (
        run(
            "policy",
            "set",
            "restricted_sku",
            "--region",
            "CN",
            "--sku",
            "h20",
            "--mode",
            "block",
            "--effective",
            "2025-01-01",
        ).exit_code
        == 0
    )
    close(run, "CN", "2025-03-31", "2025-04-05")
    # Re-sending an event already in the log is never an error, closed books included.
    again = run("order", "cancel", "PO-2", "--effective", "2025-03-01", "--event-id", event_id)
    assert again.exit_code == 0 and "already recorded" in again.stderr
    # References and lifecycle before closed books: the order is already cancelled.
    refused(
        run("order", "amend", "PO-2", "--quantity", "1", "--effective", "2025-03-15"), "cancelled"
    )
    # Closed books before block-mode policies.
    refused(
        run(
            "order",
            "place",
            "PO-9",
            "--region",
            "CN",
            "--supplier",
            "nvidia",
            "--sku",
            "h20",
            "--quantity",
            "1",
            "--unit-price",
            "1",
            "--currency",
            "CNY",
            "--effective",
            "2025-03-02",
        ),
        "closed through 2025-03-31",
    )


# -- imports --------------------------------------------------------------------------------------


FILLER = {
    "type": "supplier.registered",
    "effective": "2025-01-01",
    "name": "Filler",
    "country": "CN",
}
CLOSE_CN = {
    "type": "period.closed",
    "effective": "2025-04-05",
    "region": "CN",
    "through": "2025-03-31",
}
BACKDATED = {"type": "order.amended", "effective": "2025-03-15", "order": "PO-1", "quantity": 7}


def _file(tmp_path, lines: dict[int, dict]) -> str:
    records = [
        lines.get(number, {**FILLER, "supplier": f"filler-{number}"}) for number in range(1, 21)
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return str(path)


def test_an_import_closing_on_line_10_and_backdating_on_line_20_is_rejected_whole(run, tmp_path):
    given_steps(run, 4)
    before = head(run)
    result = run("import", _file(tmp_path, {10: CLOSE_CN, 20: BACKDATED}))
    assert result.exit_code == 1
    assert (
        "line 20: effective: the books of region CN are closed through 2025-03-31" in result.stderr
    )
    assert "line 10" not in result.stderr
    assert head(run) == before


def test_the_same_import_with_the_lines_swapped_is_accepted(run, tmp_path):
    given_steps(run, 4)
    before = head(run)
    result = run("import", _file(tmp_path, {10: BACKDATED, 20: CLOSE_CN}))
    assert result.exit_code == 0, result.stderr
    assert head(run) == before + 20
    assert (
        rows(run("period", "list", "--region", "CN", "--format", "csv"))[0]["closed_through"]
        == "2025-03-31"
    )


def test_period_events_import_from_csv_columns_region_through_reason(run, tmp_path):
    given_steps(run, 4)
    path = tmp_path / "periods.csv"
    path.write_text(
        "type,effective,region,through,reason\n"
        "period.closed,2025-04-05,CN,2025-03-31,\n"
        "period.reopened,2025-04-06,CN,2025-01-31,FX restatement\n"
        "period.reopened,2025-04-07,CN,,all of it\n"
    )
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    listed = rows(run("period", "list", "--region", "CN", "--format", "csv"))[0]
    assert (listed["closed_through"], listed["reason"]) == ("", "all of it")
    payloads = [row["payload"] for row in rows(run("export", "events"))[-3:]]
    assert payloads == [
        '{"region":"CN","through":"2025-03-31"}',
        '{"region":"CN","through":"2025-01-31"}',
        '{"region":"CN"}',
    ]


# -- knowledge limits, rebuilds -------------------------------------------------------------------


def test_before_the_close_period_list_shows_none_and_queries_are_unaffected(run):
    given_steps(run, 6)
    seq = close(run, "CN", "2025-03-31", "2025-04-05")
    for limit in (("--upto-seq", seq - 1),):
        listed = rows(run("period", "list", "--region", "CN", *limit, "--format", "csv"))
        assert listed == [
            {
                "region": "CN",
                "closed_through": "",
                "seq": "",
                "recorded_at": "",
                "actor": "",
                "reason": "",
            }
        ]
    recorded = rows(run("export", "events"))
    known_at = recorded[seq - 2]["recorded_at"]
    listed = rows(
        run("period", "list", "--region", "CN", "--known-at", known_at, "--format", "csv")
    )
    assert listed[0]["closed_through"] == ""
    budgets = [
        rows(run("query", "budget", "--as-of", "2025-03-31", *limit, "--format", "csv"))
        for limit in (("--upto-seq", seq - 1), ("--upto-seq", seq), ())
    ]
    assert budgets[0] == budgets[1] == budgets[2]


def test_period_events_follow_log_order_not_their_effective_dates(ledger, run):
    given_steps(run, 4)
    close(run, "CN", "2025-03-31", "2025-04-05")
    # A reopening recorded later but dated earlier still reopens: log order decides.
    assert (
        run(
            "period", "reopen", "CN", "--reason", "audit finding", "--effective", "2025-04-01"
        ).exit_code
        == 0
    )
    assert (
        run("order", "amend", "PO-1", "--quantity", "9", "--effective", "2025-03-15").exit_code == 0
    )
    assert ledger.periods(as_of=date(2025, 1, 1))[0]["closed_through"] is None


def test_rebuild_and_rebuild_check_reproduce_the_closed_state(run):
    given_steps(run, 6)
    close(run, "CN", "2025-03-31", "2025-04-05")
    before = rows(run("period", "list", "--format", "csv"))
    assert run("rebuild").exit_code == 0
    assert run("rebuild", "--check").exit_code == 0
    assert rows(run("period", "list", "--format", "csv")) == before
    refused(run("fx", "set", "USD", "CNY", "7.0", "--effective", "2025-02-01"), "region CN")


# -- the diffs ------------------------------------------------------------------------------------


def test_diff_with_a_document_placed_after_the_earlier_limit_and_a_cancellation(run):
    seq = given_steps(run, 5)
    assert (
        run(
            "order",
            "place",
            "PO-3",
            "--region",
            "CN",
            "--supplier",
            "huawei",
            "--sku",
            "ascend-910b",
            "--quantity",
            "1",
            "--unit-price",
            "1000",
            "--currency",
            "CNY",
            "--effective",
            "2025-01-15",
        ).exit_code
        == 0
    )
    assert run("order", "cancel", "PO-1", "--effective", "2025-02-20").exit_code == 0
    listed = rows(
        run("diff", "commitments", "--as-of", "2025-03-31", "--from-seq", seq, "--format", "csv")
    )
    assert listed == [
        {
            "kind": "order",
            "id": "PO-1",
            "region": "CN",
            "currency": "CNY",
            "status_before": "open",
            "status_after": "cancelled",
            "committed_before": "300000.00",
            "committed_after": "0.00",
            "committed_change": "-300000.00",
        },
        {
            "kind": "order",
            "id": "PO-3",
            "region": "CN",
            "currency": "CNY",
            "status_before": "",
            "status_after": "open",
            "committed_before": "",
            "committed_after": "1000.00",
            "committed_change": "",
        },
    ]
    # A region opened after the earlier limit: empty before cells.
    assert (
        run(
            "region",
            "open",
            "EU",
            "--name",
            "Europe",
            "--country",
            "DE",
            "--currency",
            "EUR",
            "--effective",
            "2025-01-01",
        ).exit_code
        == 0
    )
    assert run("budget", "revise", "EU", "2025", "500", "--effective", "2025-01-01").exit_code == 0
    budget = rows(
        run("diff", "budget", "--as-of", "2025-03-31", "--from-seq", seq, "--format", "csv")
    )
    assert [
        (row["region"], row["budget_before"], row["budget_after"], row["committed_after"])
        for row in budget
    ] == [("CN", "1000000.00", "1000000.00", "361000.00"), ("EU", "", "500.00", "0.00")]


def test_diff_where_nothing_differs_is_the_header_only(run):
    seq = given_steps(run, 6)
    for what, header in (
        ("budget", "region,year,currency,budget_before"),
        ("commitments", "kind,id,region"),
        ("events", "seq,type,effective"),
    ):
        result = run("diff", what, "--as-of", "2025-03-31", "--from-seq", seq, "--format", "csv")
        assert result.exit_code == 0, result.stderr
        assert result.stdout.splitlines() == [result.stdout.splitlines()[0]]
        assert result.stdout.startswith(header)


def test_diff_limits_usage(run):
    seq = given_steps(run, 6)
    assert run("diff", "budget", "--as-of", "2025-03-31").exit_code == 2
    assert run("diff", "budget", "--from-seq", 1, "--from-close", "--region", "CN").exit_code == 2
    assert run("diff", "budget", "--from-close").exit_code == 2
    assert run("diff", "budget", "--from-seq", seq, "--to-seq", seq - 1).exit_code == 2
    assert (
        run(
            "diff", "budget", "--from-known-at", "2099-01-01", "--to-known-at", "2098-01-01"
        ).exit_code
        == 2
    )
    refused(run("diff", "budget", "--from-close", "--region", "CN"), "CN", "no period.closed")
    closed = close(run, "CN", "2025-03-31", "2025-04-05")
    # --from-close counts only closes within the later limit.
    refused(
        run("diff", "budget", "--from-close", "--region", "CN", "--to-seq", closed - 1),
        "no period.closed",
    )
    assert (
        run("diff", "budget", "--from-close", "--region", "CN", "--to-seq", closed).exit_code == 0
    )


def test_diff_from_known_at_and_as_json(run):
    given_steps(run, 5)
    recorded = rows(run("export", "events"))
    known_at = recorded[-1]["recorded_at"]
    assert (
        run(
            "fx", "set", "USD", "CNY", "7.1", "--effective", "2025-01-20", "--reason", "=fix"
        ).exit_code
        == 0
    )
    listed = json.loads(
        run(
            "diff",
            "events",
            "--as-of",
            "2025-03-01",
            "--from-known-at",
            known_at,
            "--format",
            "json",
        ).stdout
    )
    assert [(row["type"], row["regions"], row["reason"]) for row in listed] == [
        ("fx.rate_set", "CN;MY", "=fix")
    ]
    budget = json.loads(
        run(
            "diff",
            "budget",
            "--as-of",
            "2025-03-01",
            "--from-known-at",
            known_at,
            "--region",
            "CN",
            "--format",
            "json",
        ).stdout
    )
    assert budget == [
        {
            "region": "CN",
            "year": 2025,
            "currency": "CNY",
            "budget_before": "1000000.00",
            "budget_after": "1000000.00",
            "committed_before": "660000.00",
            "committed_after": "655000.00",
            "remaining_before": "340000.00",
            "remaining_after": "345000.00",
            "budget_change": "0.00",
            "committed_change": "-5000.00",
            "remaining_change": "5000.00",
        }
    ]
    # In CSV, free text gets the formula guard; the payload never does.
    csv_rows = rows(
        run(
            "diff",
            "events",
            "--as-of",
            "2025-03-01",
            "--from-known-at",
            known_at,
            "--format",
            "csv",
        )
    )
    assert csv_rows[0]["reason"] == "'=fix"
