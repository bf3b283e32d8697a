"""SPEC §6, the worked example, step by step through the `ledger` command: the exact CSV numbers."""

from __future__ import annotations

import csv
import io

import pytest
from given import given_steps


def query(run, *args: str) -> list[dict[str, str]]:
    result = run("query", *args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def budget_of(run, region: str, *args: str) -> dict[str, str]:
    (row,) = query(run, "budget", "--region", region, *args)
    return row


def values_by_id(rows: list[dict[str, str]], key: str = "id") -> dict[str, str]:
    return {row[key]: row["committed"] for row in rows}


def test_two_orders_overrun_the_budget_and_split_the_shares(run):
    given_steps(run, 4)

    assert query(run, "budget", "--as-of", "2025-02-15") == [
        {
            "region": "CN",
            "year": "2025",
            "currency": "CNY",
            "budget": "1000000.00",
            "committed": "1020000.00",
            "remaining": "-20000.00",
            "utilization": "1.0200",
        },
        {
            "region": "MY",
            "year": "2025",
            "currency": "USD",
            "budget": "0.00",
            "committed": "0.00",
            "remaining": "0.00",
            "utilization": "",
        },
    ]
    assert query(run, "shares", "--as-of", "2025-02-15", "--region", "CN") == [
        {
            "region": "CN",
            "supplier": "nvidia",
            "country": "US",
            "domestic": "false",
            "value": "720000.00",
            "units": "10",
            "share": "0.7059",
        },
        {
            "region": "CN",
            "supplier": "huawei",
            "country": "CN",
            "domestic": "true",
            "value": "300000.00",
            "units": "10",
            "share": "0.2941",
        },
    ]


def test_amendment_counts_from_its_effective_date_only(run):
    given_steps(run, 5)

    after = budget_of(run, "CN", "--as-of", "2025-03-01")
    assert (after["committed"], after["remaining"]) == ("660000.00", "340000.00")
    shares = {
        row["supplier"]: row["share"] for row in query(run, "shares", "--as-of", "2025-03-01")
    }
    assert shares == {"huawei": "0.4545", "nvidia": "0.5455"}
    commitments = query(run, "commitments", "--as-of", "2025-03-01")
    assert values_by_id(commitments) == {"PO-1": "300000.00", "PO-2": "360000.00"}
    assert [(row["quantity"], row["status"]) for row in commitments] == [
        ("10", "open"),
        ("5", "amended"),
    ]

    before = budget_of(run, "CN", "--as-of", "2025-02-15")
    assert (before["committed"], before["remaining"]) == ("1020000.00", "-20000.00")


def test_backdated_rate_changes_the_booked_rate_but_not_what_was_known_before(run):
    step5 = given_steps(run, 5)
    given_steps(run, 6, first=6)

    assert values_by_id(query(run, "commitments", "--as-of", "2025-03-01"))["PO-2"] == "355000.00"
    assert budget_of(run, "CN", "--as-of", "2025-03-01")["committed"] == "655000.00"
    known_then = query(run, "commitments", "--as-of", "2025-03-01", "--upto-seq", str(step5))
    assert values_by_id(known_then)["PO-2"] == "360000.00"
    assert (
        budget_of(run, "CN", "--as-of", "2025-03-01", "--upto-seq", str(step5))["committed"]
        == "660000.00"
    )


def test_lease_payments_are_charged_to_the_years_they_fall_due(run):
    given_steps(run, 7)

    assert (
        budget_of(run, "MY", "--as-of", "2025-10-01", "--year", "2025")["committed"] == "100000.00"
    )
    assert (
        budget_of(run, "MY", "--as-of", "2025-10-01", "--year", "2026")["committed"] == "50000.00"
    )
    assert budget_of(run, "MY", "--as-of", "2025-09-30", "--year", "2025")["committed"] == "0.00"
    (lease,) = query(run, "commitments", "--as-of", "2025-10-01", "--region", "MY")
    assert lease == {
        "kind": "lease",
        "id": "L-1",
        "region": "MY",
        "counterparty": "dcprov",
        "sku": "h20",
        "quantity": "100",
        "status": "open",
        "committed": "150000.00",
        "currency": "USD",
        "received": "0.00",
        "invoiced": "0.00",
        "paid": "0.00",
    }


def test_termination_drops_later_payments_and_charges_the_fee_to_its_year(run):
    given_steps(run, 8)

    assert (
        budget_of(run, "MY", "--as-of", "2025-12-01", "--year", "2025")["committed"] == "60000.00"
    )
    assert budget_of(run, "MY", "--as-of", "2025-12-01", "--year", "2026")["committed"] == "0.00"
    assert (
        budget_of(run, "MY", "--as-of", "2025-11-30", "--year", "2026")["committed"] == "50000.00"
    )
    (lease,) = query(run, "commitments", "--as-of", "2025-12-31", "--region", "MY")
    assert (lease["status"], lease["committed"]) == ("terminated", "60000.00")


@pytest.mark.parametrize("as_of, expected", [("2025-01-09", []), ("2025-01-10", ["PO-1"])])
def test_documents_count_only_from_their_own_date(run, as_of, expected):
    given_steps(run, 4)

    assert [row["id"] for row in query(run, "commitments", "--as-of", as_of)] == expected
