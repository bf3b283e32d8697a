"""The compliance report (SPEC §4.5, §5 `ledger compliance`) and `ledger policy list`: each policy
kind with its ok, violation and pending rows, the policy's effective date over time, the knowledge
limits and --strict. Expected numbers are worked out by hand in the comments."""

from __future__ import annotations

import csv
import io

from given import given_world, place, set_policy, sign


def report(run, *args: str) -> list[dict[str, str]]:
    result = run("compliance", *args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def statuses(rows: list[dict[str, str]]) -> list[tuple[str, str, str, str]]:
    return [(row["policy"], row["region"], row["subject"], row["status"]) for row in rows]


def worked_example_orders(ledger) -> None:
    """PO-1: 10 × 30,000 CNY from huawei (300,000 CNY) on 2025-01-10; PO-2: 10 × 10,000 USD from
    nvidia (720,000 CNY) on 2025-02-01."""
    place(ledger, "PO-1", "huawei", 10, "30000", "CNY", "2025-01-10")
    place(ledger, "PO-2", "nvidia", 10, "10000", "USD", "2025-02-01")


# -- min_domestic_share ---------------------------------------------------------------------------


def test_domestic_share_below_threshold_names_the_share_and_the_money_shortfall(ledger, run):
    given_world(ledger)
    set_policy(ledger, "min_domestic_share", "CN", "2025-01-01", threshold="0.3")
    worked_example_orders(ledger)

    # 300,000 / 1,020,000 = 29.41%; x = (0.3 × 1,020,000 − 300,000) / 0.7 = 8,571.428…
    assert report(run, "--as-of", "2025-02-15") == [
        {
            "policy": "min_domestic_share",
            "region": "CN",
            "subject": "2025",
            "status": "violation",
            "detail": "domestic share 29.41% below 30% threshold: needs 8,571.43 CNY more domestic "
            "purchases to reach 30% (domestic 300,000.00 CNY of 1,020,000.00 CNY, value basis)",
        }
    ]
    # Before PO-2 all of it is domestic.
    (row,) = report(run, "--as-of", "2025-01-31")
    assert (row["status"], row["detail"]) == (
        "ok",
        "domestic share 100.00% meets 30% threshold "
        "(domestic 300,000.00 CNY of 300,000.00 CNY, value basis)",
    )


def test_domestic_share_is_ok_while_nothing_is_ordered(ledger, run):
    given_world(ledger)
    set_policy(ledger, "min_domestic_share", "CN", "2025-01-01", threshold="0.3")

    (row,) = report(run, "--as-of", "2025-01-05")
    assert row["status"] == "ok"
    assert row["detail"] == "no orders charged to 2025 yet (value basis); threshold 30%"


def test_threshold_raised_mid_year_applies_only_from_its_own_date(ledger, run):
    given_world(ledger)
    set_policy(ledger, "min_domestic_share", "CN", "2025-01-01", threshold="0.2")
    set_policy(ledger, "min_domestic_share", "CN", "2025-03-01", threshold="0.5")
    worked_example_orders(ledger)
    ledger.record("order.amended", {"order": "PO-2", "quantity": 5}, effective="2025-03-01")

    # 2025-02-28: 300,000 / 1,020,000 = 29.41% against the 20% of then.
    (before,) = report(run, "--as-of", "2025-02-28")
    assert before["status"] == "ok"
    assert before["detail"].startswith("domestic share 29.41% meets 20% threshold")
    # 2025-03-01: 300,000 / 660,000 = 45.45% against 50%: x = (330,000 − 300,000) / 0.5 = 60,000.
    (after,) = report(run, "--as-of", "2025-03-01")
    assert after["status"] == "violation"
    assert after["detail"].startswith(
        "domestic share 45.45% below 50% threshold: needs 60,000.00 CNY more domestic purchases "
        "to reach 50%"
    )


def test_domestic_share_on_units_basis_counts_units_to_buy(ledger, run):
    given_world(ledger)
    set_policy(ledger, "min_domestic_share", "CN", "2025-01-01", threshold="0.5", basis="units")
    worked_example_orders(ledger)
    place(ledger, "PO-3", "nvidia", 2, "10000", "USD", "2025-02-05")

    # 10 / 10 units: exactly 50% meets the threshold.
    assert report(run, "--as-of", "2025-02-01")[0]["status"] == "ok"
    # 10 / 22 = 45.45%; x = (11 − 10) / 0.5 = 2 units.
    (row,) = report(run, "--as-of", "2025-02-05")
    assert row["status"] == "violation"
    assert row["detail"] == (
        "domestic share 45.45% below 50% threshold: needs 2 more domestic units "
        "to reach 50% (domestic 10 units of 22 units, units basis)"
    )


# -- restricted_supplier / restricted_sku ---------------------------------------------------------


def test_restricted_supplier_flags_orders_placed_from_its_date_but_not_before(ledger, run):
    given_world(ledger)
    place(ledger, "PO-0", "nvidia", 1, "10000", "USD", "2025-01-20")
    set_policy(ledger, "restricted_supplier", "CN", "2025-02-01", supplier="nvidia")

    assert report(run, "--as-of", "2025-02-05") == [
        {
            "policy": "restricted_supplier",
            "region": "CN",
            "subject": "nvidia",
            "status": "ok",
            "detail": "no open order or lease with supplier nvidia placed or signed since 2025-02-01",
        }
    ]

    place(ledger, "PO-2", "nvidia", 10, "10000", "USD", "2025-02-10")
    # PO-2 = 10 × 10,000 × 7.2 = 720,000 CNY; PO-0, placed before the policy, is not a violation.
    assert report(run, "--as-of", "2025-02-10") == [
        {
            "policy": "restricted_supplier",
            "region": "CN",
            "subject": "PO-2",
            "status": "violation",
            "detail": "order PO-2 (supplier nvidia, sku h20) placed 2025-02-10, on or after the "
            "restriction of supplier nvidia from 2025-02-01: committed 720,000.00 CNY",
        }
    ]

    ledger.record("order.cancelled", {"order": "PO-2"}, effective="2025-03-01")
    assert statuses(report(run, "--as-of", "2025-03-01")) == [
        ("restricted_supplier", "CN", "nvidia", "ok")
    ]
    assert statuses(report(run, "--as-of", "2025-02-28")) == [
        ("restricted_supplier", "CN", "PO-2", "violation")
    ]


def test_a_policy_disabled_and_re_enabled_restarts_its_effective_date(ledger, run):
    given_world(ledger)
    set_policy(ledger, "restricted_supplier", "CN", "2025-02-01", supplier="nvidia")
    place(ledger, "PO-2", "nvidia", 1, "10000", "USD", "2025-02-10")
    set_policy(ledger, "restricted_supplier", "CN", "2025-03-01", supplier="nvidia", enabled=False)
    place(ledger, "PO-3", "nvidia", 1, "10000", "USD", "2025-03-10")
    set_policy(ledger, "restricted_supplier", "CN", "2025-04-01", supplier="nvidia")
    place(ledger, "PO-4", "nvidia", 2, "10000", "USD", "2025-04-10")

    assert statuses(report(run, "--as-of", "2025-02-28")) == [
        ("restricted_supplier", "CN", "PO-2", "violation")
    ]
    # Switched off: no rows at all.
    assert report(run, "--as-of", "2025-03-15") == []
    # Enabled again from 2025-04-01: only what was placed since then counts (PO-4: 144,000 CNY).
    rows = report(run, "--as-of", "2025-04-15")
    assert statuses(rows) == [("restricted_supplier", "CN", "PO-4", "violation")]
    assert "from 2025-04-01: committed 144,000.00 CNY" in rows[0]["detail"]


def test_restricted_sku_flags_leases_and_orders_until_terminated(ledger, run):
    given_world(ledger)
    set_policy(ledger, "restricted_sku", "MY", "2025-01-01", sku="h20")
    place(ledger, "MY-PO-1", "nvidia", 4, "1000", "USD", "2025-02-01", region="MY")
    place(ledger, "MY-PO-2", "nvidia", 4, "1000", "USD", "2025-02-01", region="MY", sku="h200")
    sign(ledger, "L-1", "2025-10-01")
    ledger.record("lease.terminated", {"lease": "L-1", "fee": "10000"}, effective="2025-12-01")

    # L-1: 3 × 50,000 USD; MY-PO-1: 4 × 1,000 USD. MY-PO-2 (h200) is not restricted.
    rows = report(run, "--as-of", "2025-11-30")
    assert statuses(rows) == [
        ("restricted_sku", "MY", "L-1", "violation"),
        ("restricted_sku", "MY", "MY-PO-1", "violation"),
    ]
    assert rows[0]["detail"] == (
        "lease L-1 (lessor dcprov, sku h20) signed 2025-10-01, on or after "
        "the restriction of sku h20 from 2025-01-01: committed 150,000.00 USD"
    )
    assert rows[1]["detail"].endswith("committed 4,000.00 USD")
    # Terminated on 2025-12-01: no longer a violation.
    assert statuses(report(run, "--as-of", "2025-12-01")) == [
        ("restricted_sku", "MY", "MY-PO-1", "violation")
    ]


# -- budget_cap -----------------------------------------------------------------------------------


def test_budget_cap_reports_the_overrun_and_the_headroom(ledger, run):
    given_world(ledger)
    set_policy(ledger, "budget_cap", "CN", "2025-01-01")
    set_policy(ledger, "budget_cap", "MY", "2025-01-01")
    worked_example_orders(ledger)
    ledger.record("order.amended", {"order": "PO-2", "quantity": 5}, effective="2025-03-01")

    # 2025-02-15: committed 1,020,000 against 1,000,000 (SPEC §6 step 4). MY has no budget.
    assert report(run, "--as-of", "2025-02-15") == [
        {
            "policy": "budget_cap",
            "region": "CN",
            "subject": "2025",
            "status": "violation",
            "detail": "over budget by 20,000.00 CNY: committed 1,020,000.00 CNY of budget "
            "1,000,000.00 CNY (102.00%)",
        },
        {
            "policy": "budget_cap",
            "region": "MY",
            "subject": "2025",
            "status": "ok",
            "detail": "no budget recorded for 2025; committed 0.00 USD",
        },
    ]
    # 2025-03-01: committed 660,000, 340,000 left (step 5).
    (row,) = report(run, "--as-of", "2025-03-01", "--region", "CN")
    assert (row["status"], row["detail"]) == (
        "ok",
        "within budget, headroom 340,000.00 CNY: committed 660,000.00 CNY of budget "
        "1,000,000.00 CNY (66.00%)",
    )


# -- lease_review ---------------------------------------------------------------------------------


def test_lease_review_pending_then_approved_then_rejected(ledger, run):
    given_world(ledger)
    sign(ledger, "L-0", "2025-01-10", start="2025-02-01", months=1)  # before the policy: no row
    set_policy(ledger, "lease_review", "MY", "2025-01-15")
    sign(ledger, "L-1", "2025-10-01")
    ledger.record(
        "lease.reviewed",
        {
            "lease": "L-1",
            "owner": "DC Prov Sdn Bhd",
            "operator": "DC Prov Ops",
            "outcome": "approved",
            "reference": "KYC-2025-017",
        },
        effective="2025-10-20",
        actor="alice",
    )
    ledger.record(
        "lease.reviewed",
        {
            "lease": "L-1",
            "owner": "DC Prov Sdn Bhd",
            "operator": "Unknown Ops",
            "outcome": "rejected",
        },
        effective="2025-11-02",
        actor="bob",
    )

    assert report(run, "--as-of", "2025-10-11") == [
        {
            "policy": "lease_review",
            "region": "MY",
            "subject": "L-1",
            "status": "pending",
            "detail": "no review yet: pending 10 days since signing on 2025-10-01 (lessor dcprov, "
            "100 units of h20); record the owner/operator review before the capacity is used",
        }
    ]
    (approved,) = report(run, "--as-of", "2025-10-20")
    assert (approved["status"], approved["detail"]) == (
        "ok",
        "approved by alice on 2025-10-20, reference KYC-2025-017 "
        "(owner DC Prov Sdn Bhd, operator DC Prov Ops)",
    )
    (rejected,) = report(run, "--as-of", "2025-11-02")
    assert (rejected["status"], rejected["detail"]) == (
        "violation",
        "rejected by bob on 2025-11-02, no reference (owner DC Prov Sdn Bhd, "
        "operator Unknown Ops): the leased capacity must not be used",
    )


def test_a_terminated_lease_needs_no_review(ledger, run):
    given_world(ledger)
    set_policy(ledger, "lease_review", "MY", "2025-01-15")
    sign(ledger, "L-1", "2025-10-01")
    ledger.record("lease.terminated", {"lease": "L-1"}, effective="2025-10-15")

    assert statuses(report(run, "--as-of", "2025-10-14")) == [
        ("lease_review", "MY", "L-1", "pending")
    ]
    assert report(run, "--as-of", "2025-10-15") == []


# -- the report as a whole ------------------------------------------------------------------------


def given_every_kind(ledger) -> dict[str, int]:
    """One policy of each kind; as of 2025-02-15: a cap violation, a share violation, a pending
    review, an ok restriction. Returns seqs worth limiting knowledge to."""
    given_world(ledger)
    set_policy(ledger, "min_domestic_share", "CN", "2025-01-01", threshold="0.3")
    set_policy(ledger, "budget_cap", "CN", "2025-01-01")
    set_policy(ledger, "lease_review", "MY", "2025-01-01")
    set_policy(ledger, "restricted_sku", "CN", "2025-01-01", sku="mlu")
    place(ledger, "PO-1", "huawei", 10, "30000", "CNY", "2025-01-10")
    before_po2 = sign(ledger, "L-1", "2025-02-01")
    place(ledger, "PO-2", "nvidia", 10, "10000", "USD", "2025-02-01")
    return {"before_po2": before_po2}


def test_rows_are_sorted_violations_then_pending_then_ok(ledger, run):
    given_every_kind(ledger)

    assert statuses(report(run, "--as-of", "2025-02-15")) == [
        ("budget_cap", "CN", "2025", "violation"),
        ("min_domestic_share", "CN", "2025", "violation"),
        ("lease_review", "MY", "L-1", "pending"),
        ("restricted_sku", "CN", "mlu", "ok"),
    ]
    assert statuses(report(run, "--as-of", "2025-02-15", "--region", "MY")) == [
        ("lease_review", "MY", "L-1", "pending")
    ]
    assert run("compliance", "--as-of", "2025-02-15", "--region", "XX").exit_code == 1  # unknown


def test_upto_seq_shows_the_report_as_the_ledger_stood_then(ledger, run):
    seqs = given_every_kind(ledger)

    # Without PO-2: committed 300,000 of 1,000,000 and 100% domestic.
    assert statuses(
        report(run, "--as-of", "2025-02-15", "--upto-seq", str(seqs["before_po2"]))
    ) == [
        ("lease_review", "MY", "L-1", "pending"),
        ("budget_cap", "CN", "2025", "ok"),
        ("min_domestic_share", "CN", "2025", "ok"),
        ("restricted_sku", "CN", "mlu", "ok"),
    ]
    # Known before anything was recorded: no policy at all.
    assert report(run, "--as-of", "2025-02-15", "--upto-seq", "0") == []
    # As of a date before the policies: nothing either.
    assert report(run, "--as-of", "2024-12-31") == []


def test_strict_exits_1_on_a_violation_after_printing_the_rows(ledger, run):
    given_every_kind(ledger)

    result = run("compliance", "--as-of", "2025-02-15", "--strict", "--format", "csv")
    assert result.exit_code == 1
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 4
    assert result.stderr == "error: 2 policy violations (--strict)\n"
    # Without --strict the same report succeeds.
    assert run("compliance", "--as-of", "2025-02-15", "--format", "csv").exit_code == 0


def test_strict_exits_0_when_only_pending(ledger, run):
    given_every_kind(ledger)

    result = run(
        "compliance", "--as-of", "2025-02-15", "--strict", "--region", "MY", "--format", "csv"
    )
    assert result.exit_code == 0, result.stderr
    assert statuses(list(csv.DictReader(io.StringIO(result.stdout)))) == [
        ("lease_review", "MY", "L-1", "pending")
    ]


def test_compliance_as_json(ledger, run):
    given_every_kind(ledger)

    result = run("compliance", "--as-of", "2025-02-15", "--region", "MY", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert '"status": "pending"' in result.stdout


def test_knowledge_options_are_exclusive(ledger, run):
    given_world(ledger)

    result = run("compliance", "--known-at", "2025-01-01", "--upto-seq", "3")
    assert result.exit_code == 2
    assert "not both" in result.stderr


# -- ledger policy list ---------------------------------------------------------------------------


def test_policy_list_shows_settings_enabled_or_not_and_since_when(ledger, run):
    given_world(ledger)
    set_policy(ledger, "min_domestic_share", "CN", "2025-01-01", threshold="0.3")
    set_policy(ledger, "min_domestic_share", "CN", "2025-09-01", threshold="0.50", basis="units")
    set_policy(ledger, "restricted_supplier", "CN", "2025-02-01", supplier="nvidia", mode="block")
    off = set_policy(
        ledger,
        "restricted_supplier",
        "CN",
        "2025-03-01",
        supplier="nvidia",
        mode="block",
        enabled=False,
    )

    def listing(*args: str) -> list[dict[str, str]]:
        result = run("policy", "list", *args, "--format", "csv")
        assert result.exit_code == 0, result.stderr
        return list(csv.DictReader(io.StringIO(result.stdout)))

    assert listing("--as-of", "2025-09-01") == [
        {
            "policy": "min_domestic_share",
            "region": "CN",
            "subject": "",
            "mode": "warn",
            "enabled": "true",
            "threshold": "0.5",
            "basis": "units",
            "since": "2025-01-01",
            "changed": "2025-09-01",
            "seq": str(off - 2),
            "tolerance": "",
        },
        {
            "policy": "restricted_supplier",
            "region": "CN",
            "subject": "nvidia",
            "mode": "block",
            "enabled": "false",
            "threshold": "",
            "basis": "",
            "since": "",
            "changed": "2025-03-01",
            "seq": str(off),
            "tolerance": "",
        },
    ]
    (share, supplier) = listing("--as-of", "2025-02-15")
    assert (share["threshold"], share["basis"]) == ("0.3", "value")
    assert (supplier["enabled"], supplier["since"]) == ("true", "2025-02-01")
    assert listing("--as-of", "2025-02-15", "--region", "MY") == []
