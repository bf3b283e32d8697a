"""Block-mode policies at entry (SPEC §3.1 last bullet, §4.5): a restriction or a budget cap in
block mode rejects the event that would break it — through the CLI, the library and inside an
import (the whole file, the line named, nothing written)."""

from __future__ import annotations

import json

import pytest
from given import given_world, place, set_policy, sign

from ledger.errors import BatchError, ValidationError


def refusal(text: str) -> str:
    """The policy's own refusal, without the event_id, digest and approval commands that
    follow it (tests/test_approvals.py holds those)."""
    return text.split("; event_id ", 1)[0].rstrip("\n")


def event_count(ledger) -> int:
    return ledger.verify().count


def place_args(
    order: str,
    supplier: str,
    quantity: int,
    unit_price: str,
    currency: str,
    effective: str,
    *,
    region: str = "CN",
    sku: str = "h20",
) -> list[str]:
    return [
        "order",
        "place",
        order,
        "--region",
        region,
        "--supplier",
        supplier,
        "--sku",
        sku,
        "--quantity",
        str(quantity),
        "--unit-price",
        unit_price,
        "--currency",
        currency,
        "--effective",
        effective,
    ]


# -- restrictions ---------------------------------------------------------------------------------


def test_restricted_supplier_in_block_mode_rejects_an_order_through_the_cli(ledger, run):
    given_world(ledger)
    set_policy(ledger, "restricted_supplier", "CN", "2025-02-01", supplier="nvidia", mode="block")
    count = event_count(ledger)

    result = run(*place_args("PO-2", "nvidia", 10, "10000", "USD", "2025-02-10"))

    assert result.exit_code == 1
    assert refusal(result.stderr) == (
        "error: supplier: blocked by restricted_supplier nvidia (block) of region CN, in force "
        "since 2025-02-01: order PO-2 with supplier nvidia is not allowed"
    )
    assert result.stdout == ""
    assert event_count(ledger) == count


def test_a_restriction_blocks_only_from_its_date_in_its_region_while_enabled(ledger, run):
    given_world(ledger)
    set_policy(ledger, "restricted_supplier", "CN", "2025-02-01", supplier="nvidia", mode="block")
    set_policy(
        ledger,
        "restricted_supplier",
        "CN",
        "2025-03-01",
        supplier="nvidia",
        mode="block",
        enabled=False,
    )

    # Back-dated before the policy, in another region, or while it is off: accepted.
    assert run(*place_args("PO-1", "nvidia", 1, "10000", "USD", "2025-01-20")).exit_code == 0
    assert (
        run(*place_args("MY-1", "nvidia", 1, "10000", "USD", "2025-02-10", region="MY")).exit_code
        == 0
    )
    assert run(*place_args("PO-3", "nvidia", 1, "10000", "USD", "2025-03-05")).exit_code == 0
    assert (
        run(*place_args("PO-4", "huawei", 1, "10000", "CNY", "2025-02-10", sku="ascend")).exit_code
        == 0
    )
    # The order placed before the block is amended freely (amendments change no supplier).
    assert (
        run("order", "amend", "PO-1", "--quantity", "3", "--effective", "2025-02-15").exit_code == 0
    )


def test_a_warn_restriction_does_not_block(ledger, run):
    given_world(ledger)
    set_policy(ledger, "restricted_supplier", "CN", "2025-02-01", supplier="nvidia")

    assert run(*place_args("PO-2", "nvidia", 10, "10000", "USD", "2025-02-10")).exit_code == 0


def test_restricted_sku_in_block_mode_rejects_a_lease(ledger):
    given_world(ledger)
    set_policy(ledger, "restricted_sku", "MY", "2025-01-01", sku="h20", mode="block")
    set_policy(ledger, "restricted_supplier", "MY", "2025-01-01", supplier="nvidia", mode="block")
    count = event_count(ledger)

    with pytest.raises(ValidationError) as caught:
        sign(ledger, "L-1", "2025-10-01")
    assert caught.value.field == "sku"
    assert "blocked by restricted_sku h20 (block) of region MY" in str(caught.value)
    assert event_count(ledger) == count
    sign(ledger, "L-2", "2025-10-01", sku="h200")  # another sku, a lessor not restricted


def test_restricted_supplier_in_block_mode_rejects_a_lease_by_its_lessor(ledger):
    given_world(ledger)
    set_policy(ledger, "restricted_supplier", "MY", "2025-01-01", supplier="dcprov", mode="block")

    with pytest.raises(ValidationError) as caught:
        sign(ledger, "L-1", "2025-10-01")
    assert caught.value.field == "lessor"
    assert "lease L-1 with lessor dcprov is not allowed" in str(caught.value)


# -- budget cap -----------------------------------------------------------------------------------


def test_budget_cap_in_block_mode_names_budget_commitment_and_overrun(ledger, run):
    given_world(ledger)  # CN budget 2025: 1,000,000 CNY
    set_policy(ledger, "budget_cap", "CN", "2025-01-01", mode="block")
    place(ledger, "PO-1", "huawei", 10, "30000", "CNY", "2025-01-10")
    count = event_count(ledger)

    # 300,000 + 10 × 10,000 × 7.2 = 1,020,000 > 1,000,000.
    result = run(*place_args("PO-2", "nvidia", 10, "10000", "USD", "2025-02-01"))

    assert result.exit_code == 1
    assert refusal(result.stderr) == (
        "error: order: blocked by budget_cap (block) of region CN for 2025: budget 1,000,000.00 CNY, "
        "committed would be 1,020,000.00 CNY, over by 20,000.00 CNY "
        "(order PO-2 adds 720,000.00 CNY)"
    )
    assert event_count(ledger) == count


def test_an_order_that_fits_the_cap_exactly_is_accepted_and_a_cent_more_is_not(ledger, run):
    given_world(ledger)
    set_policy(ledger, "budget_cap", "CN", "2025-01-01", mode="block")
    place(ledger, "PO-1", "huawei", 10, "28000", "CNY", "2025-01-10")

    # 280,000 + 720,000 = 1,000,000: exactly the budget.
    assert run(*place_args("PO-2", "nvidia", 10, "10000", "USD", "2025-02-01")).exit_code == 0
    result = run(*place_args("PO-3", "huawei", 1, "0.01", "CNY", "2025-02-02"))
    assert result.exit_code == 1
    assert "committed would be 1,000,000.01 CNY, over by 0.01 CNY" in result.stderr
    # An order of no value does not raise the commitment.
    assert run(*place_args("PO-4", "huawei", 1, "0", "CNY", "2025-02-02")).exit_code == 0


def test_lowering_an_order_over_the_cap_is_allowed_raising_it_is_not(ledger, run):
    given_world(ledger)
    place(ledger, "PO-1", "huawei", 10, "30000", "CNY", "2025-01-10")
    place(ledger, "PO-2", "nvidia", 10, "10000", "USD", "2025-02-01")
    set_policy(ledger, "budget_cap", "CN", "2025-03-01", mode="block")  # already over: 1,020,000

    # Up to 11: 300,000 + 792,000 = 1,092,000.
    raised = run("order", "amend", "PO-2", "--quantity", "11", "--effective", "2025-03-05")
    assert raised.exit_code == 1
    assert "committed would be 1,092,000.00 CNY, over by 92,000.00 CNY" in raised.stderr
    assert "(order PO-2 adds 72,000.00 CNY)" in raised.stderr
    # Down to 9 while still over nothing: 300,000 + 648,000 = 948,000; lowering is always fine.
    assert (
        run("order", "amend", "PO-2", "--quantity", "9", "--effective", "2025-03-05").exit_code == 0
    )
    # PO-1 from 30,000 to 35,200: +52,000 → exactly 1,000,000: accepted.
    assert (
        run(
            "order", "amend", "PO-1", "--unit-price", "35200", "--effective", "2025-03-06"
        ).exit_code
        == 0
    )
    # PO-1 back up by 0.01 a unit: +0.10 over.
    over = run("order", "amend", "PO-1", "--unit-price", "35200.01", "--effective", "2025-03-07")
    assert over.exit_code == 1
    assert "over by 0.10 CNY" in over.stderr


def test_lowering_is_allowed_even_when_the_order_stays_over_the_cap(ledger, run):
    given_world(ledger)
    place(ledger, "PO-1", "huawei", 10, "30000", "CNY", "2025-01-10")
    place(ledger, "PO-2", "nvidia", 10, "10000", "USD", "2025-02-01")
    set_policy(ledger, "budget_cap", "CN", "2025-03-01", mode="block")

    # 10 × 9,990 × 7.2 = 719,280: committed 1,019,280, still over, but lower.
    assert (
        run("order", "amend", "PO-2", "--unit-price", "9990", "--effective", "2025-03-05").exit_code
        == 0
    )


def test_a_lease_is_capped_in_each_year_of_its_payments(ledger):
    given_world(ledger)
    ledger.record(
        "budget.revised", {"region": "MY", "year": 2026, "amount": "100000"}, effective="2025-01-01"
    )
    set_policy(ledger, "budget_cap", "MY", "2025-01-01", mode="block")

    # 2025: 100,000 (no budget recorded for 2025: not capped); 2026: 50,000.
    sign(ledger, "L-1", "2025-10-01")
    # 2025: 30,000; 2026: 30,000 → 80,000.
    sign(ledger, "L-2", "2025-10-01", start="2025-12-15", months=2, payment="30000")
    with pytest.raises(ValidationError) as caught:
        sign(ledger, "L-3", "2025-10-02", start="2026-01-15", months=1, payment="25000")
    assert caught.value.field == "lease"
    assert str(caught.value.blocked) == (
        "lease: blocked by budget_cap (block) of region MY for 2026: budget 100,000.00 USD, "
        "committed would be 105,000.00 USD, over by 5,000.00 USD (lease L-3 adds 25,000.00 USD)"
    )
    sign(ledger, "L-3", "2025-10-02", start="2026-01-15", months=1, payment="20000")


def test_a_budget_recorded_after_the_event_date_does_not_cap_it(ledger):
    given_world(ledger)
    ledger.record(
        "budget.revised", {"region": "CN", "year": 2025, "amount": "500000"}, effective="2025-06-01"
    )
    set_policy(ledger, "budget_cap", "CN", "2025-01-01", mode="block")

    # As of 2025-02-01 the budget is 1,000,000: 720,000 fits.
    place(ledger, "PO-2", "nvidia", 10, "10000", "USD", "2025-02-01")
    # As of 2025-06-01 it is 500,000, already exceeded by PO-2.
    with pytest.raises(
        ValidationError, match="budget 500,000.00 CNY, committed would be 720,001.00"
    ):
        place(ledger, "PO-3", "huawei", 1, "1", "CNY", "2025-06-01")


def test_a_region_without_a_budget_for_the_year_is_not_capped(ledger):
    given_world(ledger)
    set_policy(ledger, "budget_cap", "MY", "2025-01-01", mode="block")

    place(ledger, "MY-1", "nvidia", 1000, "100000", "USD", "2025-02-01", region="MY")


# -- inside an import -----------------------------------------------------------------------------


def write_jsonl(path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return str(path)


def test_a_blocked_line_rejects_the_whole_import_and_is_named(ledger, run, tmp_path):
    given_world(ledger)
    count = event_count(ledger)
    file = write_jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "type": "policy.changed",
                "effective": "2025-01-01",
                "policy": "budget_cap",
                "region": "CN",
                "mode": "block",
            },
            {
                "type": "order.placed",
                "effective": "2025-01-10",
                "order": "PO-1",
                "region": "CN",
                "supplier": "huawei",
                "sku": "ascend-910b",
                "quantity": 10,
                "unit_price": "30000",
                "currency": "CNY",
            },
            {
                "type": "order.placed",
                "effective": "2025-02-01",
                "order": "PO-2",
                "region": "CN",
                "supplier": "nvidia",
                "sku": "h20",
                "quantity": 10,
                "unit_price": "10000",
                "currency": "USD",
            },
            {"type": "order.cancelled", "effective": "2025-02-02", "order": "PO-1"},
        ],
    )

    result = run("import", file)

    assert result.exit_code == 1
    assert [refusal(line) for line in result.stderr.splitlines()] == [
        "error: line 3: order: blocked by budget_cap (block) of region CN for 2025: budget "
        "1,000,000.00 CNY, committed would be 1,020,000.00 CNY, over by 20,000.00 CNY "
        "(order PO-2 adds 720,000.00 CNY)",
        "error: nothing was written (1 bad line)",
    ]
    assert event_count(ledger) == count
    verified = run("verify")
    assert verified.stdout.startswith(f"ok: {count} events")


def test_a_restriction_earlier_in_the_same_file_blocks_a_later_line(ledger, tmp_path):
    given_world(ledger)
    count = event_count(ledger)
    file = write_jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "type": "policy.changed",
                "effective": "2025-02-01",
                "policy": "restricted_sku",
                "region": "CN",
                "sku": "h20",
                "mode": "block",
            },
            {
                "type": "order.placed",
                "effective": "2025-01-20",
                "order": "PO-1",
                "region": "CN",
                "supplier": "nvidia",
                "sku": "h20",
                "quantity": 1,
                "unit_price": "1",
                "currency": "USD",
            },
            {
                "type": "order.placed",
                "effective": "2025-02-01",
                "order": "PO-2",
                "region": "CN",
                "supplier": "nvidia",
                "sku": "h20",
                "quantity": 1,
                "unit_price": "1",
                "currency": "USD",
            },
        ],
    )

    with pytest.raises(BatchError) as caught:
        ledger.import_file(file)

    (problem,) = caught.value.problems
    assert problem.line == 3
    assert "blocked by restricted_sku h20 (block) of region CN" in problem.message
    assert event_count(ledger) == count


# -- warn-only policies ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy, settings", [("min_domestic_share", ["--threshold", "0.3"])])
def test_warn_only_policies_refuse_block_mode(ledger, run, policy, settings):
    given_world(ledger)
    count = event_count(ledger)

    result = run(
        "policy",
        "set",
        policy,
        "--region",
        "CN",
        *settings,
        "--mode",
        "block",
        "--effective",
        "2025-01-01",
    )

    assert result.exit_code == 1
    assert result.stderr == f"error: mode: {policy} supports only warn mode\n"
    assert event_count(ledger) == count
