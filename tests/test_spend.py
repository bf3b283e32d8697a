"""Receipts, invoices, voids and payments (SPEC §3.1, §4.5, §4.7): the entry rules, the spend
layers, the three-way match and block mode at a payment — through the CLI and the library, on
both backends. Each edge case the layers must answer has a test."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from given import given_world, place, set_policy, sign

from ledger.app import Knowledge
from ledger.errors import BatchError, BlockedError, ValidationError


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def count(ledger) -> int:
    return ledger.verify().count


def receive(ledger, receipt, order, quantity, effective):
    return ledger.record(
        "goods.received",
        {"receipt": receipt, "order": order, "quantity": quantity},
        effective=effective,
    ).seq


def bill(ledger, invoice, order, quantity, amount, effective, *, supplier="huawei", currency="CNY"):
    return ledger.record(
        "invoice.received",
        {
            "invoice": invoice,
            "supplier": supplier,
            "order": order,
            "quantity": quantity,
            "amount": amount,
            "currency": currency,
        },
        effective=effective,
    ).seq


def bill_lease(ledger, invoice, lease, amount, effective):
    return ledger.record(
        "invoice.received",
        {"invoice": invoice, "supplier": "dcprov", "lease": lease, "amount": amount,
         "currency": "USD"},
        effective=effective,
    ).seq  # fmt: skip


def pay(ledger, payment, invoice, amount, effective):
    return ledger.record(
        "payment.made",
        {"payment": payment, "invoice": invoice, "amount": amount},
        effective=effective,
    ).seq


def spend(ledger, region="CN", **kwargs) -> dict:
    (row,) = ledger.query_spend(region=region, **kwargs)
    return row


def matches(ledger, as_of: str) -> list[tuple[str, str, str]]:
    return [
        (row["subject"], row["status"], row["detail"])
        for row in ledger.compliance(as_of=date.fromisoformat(as_of))
        if row["policy"] == "three_way_match"
    ]


@pytest.fixture
def world(ledger):
    """given_world plus PO-1 (10 × 30,000 CNY, huawei) and PO-2 (10 × 10,000 USD at 7.2,
    nvidia), and a three_way_match of CN in warn mode with no tolerance."""
    given_world(ledger)
    place(ledger, "PO-1", "huawei", 10, "30000", "CNY", "2025-01-10")
    place(ledger, "PO-2", "nvidia", 10, "10000", "USD", "2025-02-01")
    set_policy(ledger, "three_way_match", "CN", "2025-01-01")
    return ledger


# -- the layers -----------------------------------------------------------------------------------


def test_layers_follow_receipts_invoices_and_payments_at_the_booked_rate(world):
    receive(world, "R-1", "PO-2", 4, "2025-03-01")
    bill(world, "INV-1", "PO-2", 4, "40000", "2025-03-05", supplier="nvidia", currency="USD")
    pay(world, "P-1", "INV-1", "15000", "2025-03-10")
    world.record(
        "fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "8"}, effective="2025-03-01"
    )

    row = spend(world, as_of=date(2025, 3, 31))

    assert row["received"] == 4 * 10000 * Decimal("7.2")
    assert row["invoiced"] == 40000 * Decimal("7.2")
    assert row["paid"] == 15000 * Decimal("7.2")
    assert row["committed"] == 300000 + 720000
    assert row["open"] == row["committed"] - row["invoiced"]
    assert row["payable"] == 25000 * Decimal("7.2")
    assert row["remaining"] == 1000000 - 1020000
    assert spend(world, as_of=date(2025, 3, 7))["paid"] == 0
    assert spend(world, as_of=date(2025, 2, 28))["received"] == 0


def test_received_value_uses_the_unit_price_as_of_the_date(world):
    receive(world, "R-1", "PO-1", 2, "2025-02-01")
    world.record("order.amended", {"order": "PO-1", "unit_price": "25000"}, effective="2025-03-01")
    assert spend(world, as_of=date(2025, 2, 28))["received"] == 60000
    assert spend(world, as_of=date(2025, 3, 1))["received"] == 50000


def test_a_lease_accrues_as_its_payments_fall_due_and_its_invoices_charge_their_own_year(world):
    sign(world, "L-1", "2025-10-01")  # 3 × 50,000 USD from 2025-11-15
    bill_lease(world, "LI-1", "L-1", "50000", "2025-11-20")
    bill_lease(world, "LI-2", "L-1", "50000", "2026-01-20")
    pay(world, "LP-1", "LI-2", "50000", "2026-01-25")

    def my(as_of, year):
        return spend(world, "MY", as_of=date.fromisoformat(as_of), year=year)

    assert my("2025-11-14", 2025)["received"] == 0
    assert my("2025-11-30", 2025)["received"] == 50000
    assert (my("2025-12-31", 2025)["received"], my("2025-12-31", 2025)["invoiced"]) == (
        100000,
        50000,
    )
    assert my("2026-01-31", 2026)["received"] == 50000
    assert (my("2026-01-31", 2026)["invoiced"], my("2026-01-31", 2026)["paid"]) == (50000, 50000)
    assert my("2026-01-31", 2025)["paid"] == 0


def test_a_terminated_lease_keeps_the_payments_due_by_then_and_adds_its_fee(world):
    sign(world, "L-1", "2025-10-01")
    world.record("lease.terminated", {"lease": "L-1", "fee": "10000"}, effective="2025-12-01")
    assert spend(world, "MY", as_of=date(2025, 11, 30))["received"] == 50000
    assert spend(world, "MY", as_of=date(2025, 12, 31))["received"] == 60000
    assert spend(world, "MY", as_of=date(2026, 3, 1), year=2026)["received"] == 0


def test_a_lease_invoice_after_its_termination_is_accepted_and_counts(world):
    sign(world, "L-1", "2025-10-01")
    world.record("lease.terminated", {"lease": "L-1", "fee": "10000"}, effective="2025-12-01")
    bill_lease(world, "LI-9", "L-1", "10000", "2026-01-10")  # the fee, billed in January
    row = spend(world, "MY", as_of=date(2026, 1, 31), year=2026)
    assert (row["committed"], row["received"], row["invoiced"], row["open"]) == (
        0,
        0,
        10000,
        -10000,
    )


def test_query_spend_through_the_cli_has_the_columns_and_takes_every_limit(world, run):
    receive(world, "R-1", "PO-1", 10, "2025-03-01")
    bill(world, "INV-1", "PO-1", 10, "300000", "2025-03-02")
    before_payment = count(world)
    pay(world, "P-1", "INV-1", "300000", "2025-03-03")

    header = run("query", "spend", "--as-of", "2025-03-31", "--format", "csv").stdout
    assert header.splitlines()[0] == (
        "region,year,currency,budget,committed,received,invoiced,paid,open,payable,remaining"
    )
    cn, my = rows(run("query", "spend", "--as-of", "2025-03-31", "--format", "csv"))
    assert (cn["paid"], cn["payable"], my["region"], my["paid"]) == (
        "300000.00",
        "0.00",
        "MY",
        "0.00",
    )
    (limited,) = rows(
        run("query", "spend", "--as-of", "2025-03-31", "--region", "CN",
            "--upto-seq", str(before_payment), "--format", "csv")
    )  # fmt: skip
    assert (limited["invoiced"], limited["paid"], limited["payable"]) == (
        "300000.00",
        "0.00",
        "300000.00",
    )
    (unpaid,) = rows(
        run("invoice", "list", "--as-of", "2025-03-31", "--upto-seq", str(before_payment),
            "--format", "csv")
    )  # fmt: skip
    assert (unpaid["paid"], unpaid["status"]) == ("0.00", "unpaid")
    assert rows(run("query", "spend", "--as-of", "2024-12-31", "--region", "CN")) == []
    unknown = run("query", "spend", "--region", "XX")
    assert unknown.exit_code == 1 and "unknown region 'XX'" in unknown.stderr


def test_invoice_list_columns_and_statuses(world, run):
    receive(world, "R-1", "PO-1", 10, "2025-03-01")
    bill(world, "INV-1", "PO-1", 4, "120000", "2025-03-02")
    bill(world, "INV-2", "PO-1", 4, "120000", "2025-03-03")
    bill(world, "INV-3", "PO-1", 2, "60000", "2025-03-04")
    bill(world, "INV-4", "PO-1", 2, "60000", "2025-03-05")
    pay(world, "P-1", "INV-1", "120000", "2025-03-10")
    pay(world, "P-2", "INV-2", "20000.5", "2025-03-10")
    world.record("invoice.voided", {"invoice": "INV-3"}, effective="2025-03-11")

    result = run("invoice", "list", "--as-of", "2025-03-31", "--format", "csv")
    assert result.stdout.splitlines()[0] == (
        "invoice,kind,document,region,supplier,amount,currency,paid,status,effective,seq"
    )
    assert [(r["invoice"], r["paid"], r["status"]) for r in rows(result)] == [
        ("INV-1", "120000.00", "paid"),
        ("INV-2", "20000.50", "part-paid"),
        ("INV-3", "0.00", "voided"),
        ("INV-4", "0.00", "unpaid"),
    ]
    march_10 = rows(run("invoice", "list", "--as-of", "2025-03-10", "--format", "csv"))
    assert march_10[2]["status"] == "unpaid"  # voided only from the 11th
    assert spend(world, as_of=date(2025, 3, 31))["invoiced"] == 300000
    assert [row["invoice"] for row in world.invoices(as_of=date(2025, 3, 3))] == ["INV-1", "INV-2"]
    assert world.invoices(as_of=date(2025, 3, 31), region="MY") == []


def test_commitments_show_each_documents_layers_over_all_years(world, run):
    receive(world, "R-1", "PO-2", 5, "2025-03-01")
    bill(world, "INV-1", "PO-2", 5, "50000", "2025-03-02", supplier="nvidia", currency="USD")
    result = run(
        "query", "commitments", "--as-of", "2025-03-31", "--region", "CN", "--format", "csv"
    )
    assert result.stdout.splitlines()[0].endswith(",committed,currency,received,invoiced,paid")
    by_id = {row["id"]: row for row in rows(result)}
    assert (by_id["PO-2"]["received"], by_id["PO-2"]["invoiced"], by_id["PO-2"]["paid"]) == (
        "360000.00",
        "360000.00",
        "0.00",
    )
    assert by_id["PO-1"]["received"] == "0.00"


# -- the entry rules (SPEC §3.1) ------------------------------------------------------------------


def refused(run, ledger, *args: str) -> str:
    """Run a recording command that must be refused: exit 1, one line, nothing written."""
    before = count(ledger)
    result = run(*args)
    assert result.exit_code == 1, result.stdout
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert count(ledger) == before
    return result.stderr.strip()


def test_a_receipt_beyond_the_ordered_quantity_is_accepted_and_flagged(world):
    receive(world, "R-1", "PO-1", 12, "2025-03-01")
    ((subject, status, detail),) = matches(world, "2025-03-31")
    assert (subject, status) == ("PO-1", "violation")
    assert "over-receipt: 12 received of 10 ordered" in detail


def test_an_amendment_below_what_was_received_is_accepted_and_flagged_from_its_date(world):
    receive(world, "R-1", "PO-1", 8, "2025-03-01")
    world.record("order.amended", {"order": "PO-1", "quantity": 6}, effective="2025-04-01")
    assert matches(world, "2025-03-31")[0][:2] == ("invoices", "ok")
    ((subject, status, detail),) = matches(world, "2025-04-01")
    assert (subject, status) == ("PO-1", "violation") and "8 received of 6 ordered" in detail


def test_an_invoice_before_any_receipt_is_accepted_and_flagged(world):
    bill(world, "INV-1", "PO-1", 2, "60000", "2025-03-01")
    ((subject, status, detail),) = matches(world, "2025-03-01")
    assert (subject, status) == ("PO-1", "violation")
    assert detail == "order PO-1: billed for goods not received: 2 invoiced, 0 received"


def test_a_payment_above_what_is_left_of_the_invoice_is_refused(world, run):
    receive(world, "R-1", "PO-1", 2, "2025-03-01")
    bill(world, "INV-1", "PO-1", 2, "60000", "2025-03-02")
    pay(world, "P-1", "INV-1", "59999.99", "2025-03-03")
    message = refused(
        run, world, "payment", "record", "P-2", "--invoice", "INV-1", "--amount", "0.02",
        "--effective", "2025-03-04",
    )  # fmt: skip
    assert message.startswith("error: amount: ")
    assert "still to pay: 0.01 CNY" in message
    assert run("payment", "record", "P-2", "--invoice", "INV-1", "--amount", "0.01",
               "--effective", "2025-03-04").exit_code == 0  # fmt: skip
    assert world.invoices(as_of=date(2025, 3, 31))[0]["status"] == "paid"


def test_a_paid_invoice_cannot_be_voided_an_unpaid_one_can(world, run):
    bill(world, "INV-1", "PO-1", 2, "60000", "2025-03-02")
    bill(world, "INV-2", "PO-1", 2, "60000", "2025-03-02")
    # A payment dated after the void's date still keeps the invoice from being voided.
    pay(world, "P-1", "INV-1", "1", "2025-06-01")
    message = refused(run, world, "invoice", "void", "INV-1", "--effective", "2025-03-05")
    assert (
        message == "error: invoice: invoice 'INV-1' has payments; a paid invoice cannot be voided"
    )
    assert run("invoice", "void", "INV-2", "--effective", "2025-03-05").exit_code == 0
    assert "already voided" in refused(
        run, world, "invoice", "void", "INV-2", "--effective", "2025-03-06"
    )
    # A void anywhere in the log stops payments, whatever its date.
    message = refused(run, world, "payment", "record", "P-2", "--invoice", "INV-2", "--amount", "1",
                      "--effective", "2025-03-03")  # fmt: skip
    assert message == "error: invoice: invoice 'INV-2' is voided (from 2025-03-05)"


def test_a_cancelled_order_takes_no_receipt_or_invoice_whatever_the_dates(world, run):
    world.record("order.cancelled", {"order": "PO-2"}, effective="2025-06-01")
    message = refused(run, world, "receipt", "record", "R-1", "--order", "PO-2", "--quantity", "1",
                      "--effective", "2025-03-01")  # fmt: skip
    assert message.startswith("error: order: order 'PO-2' is cancelled (from 2025-06-01)")
    message = refused(
        run, world, "invoice", "record", "INV-1", "--supplier", "nvidia", "--order", "PO-2",
        "--quantity", "1", "--amount", "1", "--currency", "USD", "--effective", "2025-03-01",
    )  # fmt: skip
    assert message.startswith("error: order: order 'PO-2' is cancelled")


def test_an_order_with_a_receipt_or_an_invoice_is_amended_not_cancelled(world, run):
    receive(world, "R-1", "PO-1", 1, "2025-06-01")
    bill(world, "INV-1", "PO-2", 1, "10000", "2025-06-01", supplier="nvidia", currency="USD")
    message = refused(run, world, "order", "cancel", "PO-1", "--effective", "2025-03-01")
    assert message == "error: order: order 'PO-1' has receipts; amend it instead of cancelling it"
    message = refused(run, world, "order", "cancel", "PO-2", "--effective", "2025-03-01")
    assert message == "error: order: order 'PO-2' has invoices; amend it instead of cancelling it"


def test_an_invoice_in_another_currency_or_from_another_supplier_is_refused(world, run):
    common = (
        "--order",
        "PO-2",
        "--quantity",
        "1",
        "--amount",
        "10000",
        "--effective",
        "2025-03-01",
    )
    message = refused(run, world, "invoice", "record", "INV-1", "--supplier", "nvidia",
                      "--currency", "CNY", *common)  # fmt: skip
    assert message.startswith("error: currency: CNY is not the currency of order 'PO-2' (USD)")
    message = refused(run, world, "invoice", "record", "INV-1", "--supplier", "huawei",
                      "--currency", "USD", *common)  # fmt: skip
    assert message == "error: supplier: 'huawei' is not the supplier of order 'PO-2' (nvidia)"
    sign(world, "L-1", "2025-10-01")
    message = refused(run, world, "invoice", "record", "LI-1", "--supplier", "nvidia", "--lease",
                      "L-1", "--amount", "1", "--currency", "USD", "--effective", "2025-11-01")  # fmt: skip
    assert message == "error: supplier: 'nvidia' is not the lessor of lease 'L-1' (dcprov)"


def test_documents_must_exist_by_the_date_and_codes_must_be_new(world, run):
    message = refused(run, world, "receipt", "record", "R-1", "--order", "PO-1", "--quantity", "1",
                      "--effective", "2025-01-09")  # fmt: skip
    assert message.startswith("error: order: order 'PO-1' is placed only from 2025-01-10")
    assert "not placed" in refused(run, world, "receipt", "record", "R-1", "--order", "PO-9",
                                   "--quantity", "1", "--effective", "2025-02-01")  # fmt: skip
    receive(world, "R-1", "PO-1", 1, "2025-02-01")
    assert refused(run, world, "receipt", "record", "R-1", "--order", "PO-1", "--quantity", "1",
                   "--effective", "2025-02-01") == "error: receipt: 'R-1' is already recorded"  # fmt: skip
    bill(world, "INV-1", "PO-1", 1, "30000", "2025-02-02")
    assert refused(
        run, world, "invoice", "record", "INV-1", "--supplier", "huawei", "--order", "PO-1",
        "--quantity", "1", "--amount", "1", "--currency", "CNY", "--effective", "2025-02-03",
    ) == "error: invoice: 'INV-1' is already received"  # fmt: skip
    assert refused(run, world, "payment", "record", "P-1", "--invoice", "INV-1", "--amount", "1",
                   "--effective", "2025-02-01").startswith(
        "error: invoice: invoice 'INV-1' is received only from 2025-02-02"
    )  # fmt: skip
    pay(world, "P-1", "INV-1", "1", "2025-02-03")
    assert refused(run, world, "payment", "record", "P-1", "--invoice", "INV-1", "--amount", "1",
                   "--effective", "2025-02-03") == "error: payment: 'P-1' is already recorded"  # fmt: skip


@pytest.mark.parametrize(
    "args, field",
    [
        (("receipt", "record", "R-1", "--order", "PO-1", "--quantity", "0"), "quantity"),
        (("receipt", "record", "r 1", "--order", "PO-1", "--quantity", "1"), "receipt"),
        (("payment", "record", "P-1", "--invoice", "INV-1", "--amount", "0"), "amount"),
        (("invoice", "record", "I-1", "--supplier", "huawei", "--order", "PO-1", "--quantity",
          "1", "--amount=-1", "--currency", "CNY"), "amount"),
        (("invoice", "record", "I-1", "--supplier", "huawei", "--order", "PO-1", "--quantity",
          "1", "--amount", "1", "--currency", "cny"), "currency"),
        (("invoice", "void", "NOPE"), "invoice"),
        (("payment", "record", "P-1", "--invoice", "NOPE", "--amount", "1"), "invoice"),
        (("policy", "set", "three_way_match", "--region", "CN", "--tolerance", "1.5"), "tolerance"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_field_and_writes_nothing(world, run, args, field):
    before = count(world)
    result = run(*args, "--effective", "2025-03-01")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert field in line
    assert count(world) == before


def test_invoice_record_usage_errors(world, run):
    both = run("invoice", "record", "I-1", "--supplier", "dcprov", "--order", "PO-1", "--lease",
               "L-1", "--amount", "1", "--currency", "USD")  # fmt: skip
    assert both.exit_code == 2 and "--order" in both.stderr
    no_quantity = run("invoice", "record", "I-1", "--supplier", "huawei", "--order", "PO-1",
                      "--amount", "1", "--currency", "CNY")  # fmt: skip
    assert no_quantity.exit_code == 2 and "--quantity" in no_quantity.stderr


def test_closed_books_hold_back_a_receipt_for_an_order_of_the_region(world, run):
    world.record("period.closed", {"region": "CN", "through": "2025-03-31"}, effective="2025-04-01")
    message = refused(run, world, "receipt", "record", "R-1", "--order", "PO-1", "--quantity", "1",
                      "--effective", "2025-03-15")  # fmt: skip
    assert "the books of region CN are closed through 2025-03-31" in message
    assert run("receipt", "record", "R-1", "--order", "PO-1", "--quantity", "1",
               "--effective", "2025-04-02").exit_code == 0  # fmt: skip


# -- three-way match ------------------------------------------------------------------------------


def test_a_tolerance_exactly_at_the_price_limit_matches_one_cent_over_does_not(ledger):
    given_world(ledger)
    place(ledger, "PO-1", "huawei", 10, "30000", "CNY", "2025-01-10")
    set_policy(ledger, "three_way_match", "CN", "2025-01-01", tolerance="0.01")
    receive(ledger, "R-1", "PO-1", 10, "2025-02-01")
    bill(ledger, "INV-1", "PO-1", 10, "303000", "2025-02-02")  # 10 × 30,000 × 1.01
    ((subject, status, detail),) = matches(ledger, "2025-02-28")
    assert (subject, status) == ("invoices", "ok")
    assert detail == "1 order with receipts or invoices, every one matched (tolerance 1%)"
    ledger.record("invoice.voided", {"invoice": "INV-1"}, effective="2025-03-01")
    bill(ledger, "INV-2", "PO-1", 10, "303000.01", "2025-03-01")
    ((subject, status, detail),) = matches(ledger, "2025-03-01")
    assert (subject, status) == ("PO-1", "violation")
    assert detail == (
        "order PO-1: billed above the order's price: invoiced 303,000.01 CNY > 10 × 30,000.00 CNY "
        "× (1 + 0.01) = 303,000.00 CNY"
    )


def test_a_cancelled_order_without_receipts_is_not_matched_and_no_policy_no_rows(world):
    assert matches(world, "2025-03-01") == [
        ("invoices", "ok", "0 orders with receipts or invoices, every one matched (tolerance 0%)")
    ]
    set_policy(world, "three_way_match", "CN", "2025-04-01", enabled=False)
    receive(world, "R-1", "PO-1", 12, "2025-04-02")
    assert matches(world, "2025-04-30") == []


def test_block_mode_holds_the_payment_not_the_invoice_and_compliance_shows_the_same_rows(world):
    set_policy(world, "three_way_match", "CN", "2025-03-01", mode="block")
    bill(world, "INV-1", "PO-1", 2, "60000", "2025-03-02")  # the invoice is a fact: accepted
    before = count(world)
    with pytest.raises(BlockedError) as blocked:
        pay(world, "P-1", "INV-1", "60000", "2025-03-03")
    assert blocked.value.field == "invoice"
    # In force since the warn-mode policy's date: it has been enabled without a break.
    assert str(blocked.value.blocked) == (  # the refusal itself (test_approvals.py: the rest)
        "invoice: blocked by three_way_match (block) of region CN, in force since 2025-01-01: "
        "payment P-1 "
        "of invoice INV-1 is held back, order PO-1 is an exception (billed for goods not "
        "received: 2 invoiced, 0 received)"
    )
    assert count(world) == before
    assert [m[:2] for m in matches(world, "2025-03-03")] == [("PO-1", "violation")]


def test_a_backdated_receipt_turns_an_exception_into_a_match_as_of_later_dates(world):
    set_policy(world, "three_way_match", "CN", "2025-03-01", mode="block")
    bill(world, "INV-1", "PO-1", 2, "60000", "2025-03-02")
    with pytest.raises(BlockedError):
        pay(world, "P-1", "INV-1", "60000", "2025-03-10")
    receive(world, "R-1", "PO-1", 2, "2025-03-05")  # recorded now, dated before the payment
    assert matches(world, "2025-03-04")[0][:2] == ("PO-1", "violation")
    assert matches(world, "2025-03-05")[0][:2] == ("invoices", "ok")
    with pytest.raises(BlockedError):  # as of its own date the order is still an exception
        pay(world, "P-1", "INV-1", "60000", "2025-03-04")
    pay(world, "P-1", "INV-1", "60000", "2025-03-10")


def test_block_mode_only_from_the_policys_date_and_only_for_its_region(world):
    set_policy(world, "three_way_match", "CN", "2025-04-01", mode="block")
    bill(world, "INV-1", "PO-1", 2, "60000", "2025-03-02")
    pay(world, "P-1", "INV-1", "100", "2025-03-31")  # before the policy
    with pytest.raises(BlockedError):
        pay(world, "P-2", "INV-1", "100", "2025-04-01")


def test_a_payment_that_depends_on_a_receipt_earlier_in_the_same_file_imports(world, tmp_path, run):
    set_policy(world, "three_way_match", "CN", "2025-03-01", mode="block")
    lines = [
        {"type": "invoice.received", "effective": "2025-03-02", "invoice": "INV-1",
         "supplier": "huawei", "order": "PO-1", "quantity": 2, "amount": "60000",
         "currency": "CNY"},
        {"type": "goods.received", "effective": "2025-03-03", "receipt": "R-1", "order": "PO-1",
         "quantity": 2, "reference": "DN-1"},
        {"type": "payment.made", "effective": "2025-03-04", "payment": "P-1", "invoice": "INV-1",
         "amount": "60000"},
    ]  # fmt: skip
    path = tmp_path / "later.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert world.invoices(as_of=date(2025, 3, 31))[0]["status"] == "paid"

    # Without the receipt the same payment line is the one refused, and nothing is written.
    before = count(world)
    csv_path = tmp_path / "later.csv"
    csv_path.write_text(
        "type,effective,invoice,supplier,order,quantity,amount,currency,payment\n"
        "invoice.received,2025-03-05,INV-2,huawei,PO-1,3,90000,CNY,\n"
        "payment.made,2025-03-06,INV-2,,,,90000,,P-2\n",
        encoding="utf-8",
    )
    result = run("import", str(csv_path))
    assert result.exit_code == 1
    assert "line 3: invoice: blocked by three_way_match (block)" in result.stderr
    assert count(world) == before
    with pytest.raises(BatchError):
        world.import_file(csv_path)


# -- lease_review in block mode -------------------------------------------------------------------


def test_lease_review_in_block_mode_holds_back_payments_until_an_approved_review(world):
    sign(world, "L-0", "2025-01-15")  # signed before the policy: not held
    set_policy(world, "lease_review", "MY", "2025-02-01", mode="block")
    sign(world, "L-1", "2025-03-01")
    bill_lease(world, "LI-0", "L-0", "100", "2025-03-02")
    bill_lease(world, "LI-1", "L-1", "100", "2025-03-02")
    pay(world, "LP-0", "LI-0", "100", "2025-03-03")
    with pytest.raises(BlockedError) as blocked:
        pay(world, "LP-1", "LI-1", "50", "2025-03-03")
    assert str(blocked.value).startswith(
        "invoice: blocked by lease_review (block) of region MY, in force since 2025-02-01: payment LP-1 of "
        "invoice LI-1 is held back, lease L-1 is not cleared (it has no review by 2025-03-03)"
    )
    compliance = [
        (row["subject"], row["status"])
        for row in world.compliance(as_of=date(2025, 3, 3))
        if row["policy"] == "lease_review"
    ]
    assert compliance == [("L-1", "pending")]
    review = {"lease": "L-1", "owner": "o", "operator": "p"}
    world.record("lease.reviewed", {**review, "outcome": "rejected"}, effective="2025-03-04")
    with pytest.raises(BlockedError, match="is rejected"):
        pay(world, "LP-1", "LI-1", "50", "2025-03-05")
    world.record("lease.reviewed", {**review, "outcome": "approved"}, effective="2025-03-06")
    with pytest.raises(BlockedError):  # the approval is dated after this payment
        pay(world, "LP-1", "LI-1", "50", "2025-03-05")
    pay(world, "LP-1", "LI-1", "50", "2025-03-06")


def test_a_lease_terminated_by_the_payments_date_is_not_held(world):
    set_policy(world, "lease_review", "MY", "2025-02-01", mode="block")
    sign(world, "L-1", "2025-03-01")
    bill_lease(world, "LI-1", "L-1", "100", "2025-03-02")
    world.record("lease.terminated", {"lease": "L-1"}, effective="2025-03-10")
    with pytest.raises(BlockedError):
        pay(world, "LP-1", "LI-1", "50", "2025-03-09")
    pay(world, "LP-1", "LI-1", "50", "2025-03-10")


# -- restatements ---------------------------------------------------------------------------------


def test_diff_spend_shows_what_a_backdated_receipt_and_payment_changed(world, run):
    receive(world, "R-1", "PO-1", 2, "2025-03-01")
    bill(world, "INV-1", "PO-1", 2, "60000", "2025-03-02")
    close = world.record(
        "period.closed", {"region": "MY", "through": "2025-03-31"}, effective="2025-04-01"
    ).seq
    receive(world, "R-2", "PO-1", 3, "2025-03-15")
    pay(world, "P-1", "INV-1", "60000", "2025-03-20")
    result = run(
        "diff", "spend", "--as-of", "2025-03-31", "--from-seq", str(close), "--format", "csv"
    )
    assert result.stdout.splitlines()[0] == (
        "region,year,currency,committed_before,committed_after,received_before,received_after,"
        "invoiced_before,invoiced_after,paid_before,paid_after,"
        "committed_change,received_change,invoiced_change,paid_change"
    )
    assert rows(result) == [
        {
            "region": "CN",
            "year": "2025",
            "currency": "CNY",
            "committed_before": "1020000.00",
            "committed_after": "1020000.00",
            "received_before": "60000.00",
            "received_after": "150000.00",
            "invoiced_before": "60000.00",
            "invoiced_after": "60000.00",
            "paid_before": "0.00",
            "paid_after": "60000.00",
            "committed_change": "0.00",
            "received_change": "90000.00",
            "invoiced_change": "0.00",
            "paid_change": "60000.00",
        }
    ]
    assert rows(run("diff", "spend", "--as-of", "2025-03-10", "--from-seq", str(close))) == []
    assert world.diff_spend(before=Knowledge(close), as_of=date(2025, 3, 31), region="MY") == []
    events = rows(run("diff", "events", "--as-of", "2025-03-31", "--from-seq", str(close)))
    assert [(row["type"], row["regions"]) for row in events] == [
        ("goods.received", "CN"),
        ("payment.made", "CN"),
    ]


def test_the_report_lists_three_way_match_rows(world, tmp_path, run):
    bill(world, "INV-1", "PO-1", 2, "60000", "2025-03-02")
    out = tmp_path / "report.html"
    result = run("report", "--as-of", "2025-03-31", "-o", str(out))
    if result.exit_code != 0 and "matplotlib" in result.stderr:
        pytest.skip("the report needs matplotlib")
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "three_way_match" in page and "billed for goods not received" in page


def test_validation_errors_are_validation_errors_in_the_library(world):
    with pytest.raises(ValidationError) as error:
        receive(world, "R-1", "PO-9", 1, "2025-03-01")
    assert error.value.field == "order"
    assert not isinstance(error.value, BlockedError)


def test_verify_deep_and_rebuild_take_the_later_life_of_documents(world, run):
    set_policy(world, "lease_review", "MY", "2025-02-01", mode="block")
    set_policy(world, "three_way_match", "CN", "2025-02-01", mode="block", tolerance="0.01")
    sign(world, "L-1", "2025-03-01")
    world.record(
        "lease.reviewed",
        {"lease": "L-1", "owner": "o", "operator": "p", "outcome": "approved"},
        effective="2025-03-02",
    )
    bill_lease(world, "LI-1", "L-1", "100", "2025-03-02")
    pay(world, "LP-1", "LI-1", "100", "2025-03-03")
    receive(world, "R-1", "PO-1", 2, "2025-03-01")
    bill(world, "INV-1", "PO-1", 2, "60600", "2025-03-02")
    pay(world, "P-1", "INV-1", "60600", "2025-03-03")
    bill(world, "INV-2", "PO-1", 1, "1", "2025-03-04")
    world.record("invoice.voided", {"invoice": "INV-2"}, effective="2025-03-05")

    deep = run("verify", "--deep")
    assert deep.exit_code == 0, deep.stderr
    assert "every event passes the entry rules" in deep.stdout
    check = run("rebuild", "--check")
    assert check.exit_code == 0, check.stderr
    logged = rows(run("log", "--id", "INV-1", "--no-pager", "--format", "csv"))
    assert [row["type"] for row in logged] == ["invoice.received", "payment.made"]
