"""Queries at the edges: month ends, early terminations, rates and their directions, back-dated
corrections, knowledge limits, output formats and option errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from ledger.app import Knowledge

START = "2025-01-01"


@pytest.fixture
def world(ledger):
    """Regions CN (CNY) and MY (USD), suppliers huawei (CN), nvidia (US), dcprov (MY)."""
    ledger.record(
        "region.opened",
        {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"},
        effective=START,
    )
    ledger.record(
        "region.opened",
        {"region": "MY", "name": "Malaysia", "country": "MY", "currency": "USD"},
        effective=START,
    )
    for supplier, country in (("huawei", "CN"), ("nvidia", "US"), ("dcprov", "MY")):
        ledger.record(
            "supplier.registered",
            {"supplier": supplier, "name": supplier, "country": country},
            effective=START,
        )
    return ledger


def place(
    ledger,
    order: str,
    effective: str,
    *,
    quantity=10,
    unit_price="100",
    currency="CNY",
    region="CN",
    supplier="huawei",
) -> int:
    return ledger.record(
        "order.placed",
        {
            "order": order,
            "region": region,
            "supplier": supplier,
            "sku": "ascend-910b",
            "quantity": quantity,
            "unit_price": unit_price,
            "currency": currency,
        },
        effective=effective,
    ).seq


def sign(ledger, lease: str, effective: str, *, start: str, months: int, payment="1000") -> int:
    return ledger.record(
        "lease.signed",
        {
            "lease": lease,
            "region": "MY",
            "lessor": "dcprov",
            "sku": "h20",
            "units": 8,
            "start": start,
            "months": months,
            "monthly_payment": payment,
            "currency": "USD",
        },
        effective=effective,
    ).seq


def query(run, *args: str) -> list[dict[str, str]]:
    result = run("query", *args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def committed(run, region: str, year: int, as_of: str, *args: str) -> str:
    (row,) = query(run, "budget", "--region", region, "--year", str(year), "--as-of", as_of, *args)
    return row["committed"]


def commitment(run, document: str, as_of: str, *args: str) -> dict[str, str]:
    return {row["id"]: row for row in query(run, "commitments", "--as-of", as_of, *args)}[document]


# -- leases ---------------------------------------------------------------------------------------


def test_lease_starting_on_the_31st_pays_on_the_last_day_of_shorter_months(world, run):
    sign(world, "L-31", START, start="2025-12-31", months=3)
    world.record("lease.terminated", {"lease": "L-31"}, effective="2026-02-28")

    assert committed(run, "MY", 2025, "2026-12-31") == "1000.00"
    # 31 Jan and 28 Feb 2026: a payment due on the termination date stays.
    assert committed(run, "MY", 2026, "2026-12-31") == "2000.00"


def test_lease_payment_falls_on_29_february_in_a_leap_year(world, run):
    sign(world, "L-LEAP", START, start="2027-12-31", months=3)
    world.record("lease.terminated", {"lease": "L-LEAP"}, effective="2028-02-28")

    # 31 Jan 2028 stays; the payment of 29 Feb 2028 falls after the termination.
    assert committed(run, "MY", 2028, "2028-12-31") == "1000.00"
    assert committed(run, "MY", 2028, "2028-02-27") == "2000.00"


def test_termination_before_the_first_payment_leaves_only_the_fee(world, run):
    sign(world, "L-2", START, start="2025-06-01", months=6)
    world.record("lease.terminated", {"lease": "L-2", "fee": "500"}, effective="2025-03-01")

    row = commitment(run, "L-2", "2025-12-31")
    assert (row["status"], row["quantity"], row["committed"]) == ("terminated", "8", "500.00")
    assert committed(run, "MY", 2025, "2025-12-31") == "500.00"
    assert commitment(run, "L-2", "2025-02-28")["committed"] == "6000.00"


# -- currencies -----------------------------------------------------------------------------------


def test_foreign_order_uses_a_rate_recorded_for_the_same_day(world, run):
    world.record(
        "fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "7"}, effective="2025-05-05"
    )
    place(world, "PO-USD", "2025-05-05", quantity=10, unit_price="100", currency="USD")

    assert commitment(run, "PO-USD", "2025-05-05")["committed"] == "7000.00"


def test_rate_recorded_in_the_inverse_direction_is_divided_exactly(world, run):
    world.record("fx.rate_set", {"base": "CNY", "quote": "USD", "rate": "0.14"}, effective=START)
    place(world, "PO-INV", "2025-02-01", quantity=1, unit_price="1000", currency="USD")

    (row,) = world.query_commitments(as_of=date(2025, 2, 1), region="CN")
    assert row["committed"] == Fraction(50000, 7)
    assert commitment(run, "PO-INV", "2025-02-01")["committed"] == "7142.86"


def test_latest_rate_of_either_direction_wins(world):
    world.record("fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "7.2"}, effective=START)
    world.record(
        "fx.rate_set", {"base": "CNY", "quote": "USD", "rate": "0.125"}, effective="2025-03-01"
    )
    place(world, "PO-FEB", "2025-02-01", quantity=1, unit_price="1", currency="USD")
    place(world, "PO-MAR", "2025-03-01", quantity=1, unit_price="1", currency="USD")

    rows = world.query_commitments(as_of=date(2025, 12, 31))
    assert {row["id"]: row["committed"] for row in rows} == {"PO-FEB": Fraction(36, 5), "PO-MAR": 8}


# -- back-dated corrections -----------------------------------------------------------------------


def test_budget_revision_backdated_before_an_earlier_one_does_not_replace_it(world, run):
    world.record(
        "budget.revised", {"region": "CN", "year": 2025, "amount": "100"}, effective="2025-03-01"
    )
    world.record(
        "budget.revised", {"region": "CN", "year": 2025, "amount": "200"}, effective="2025-02-01"
    )

    (march,) = query(run, "budget", "--region", "CN", "--as-of", "2025-03-15")
    (february,) = query(run, "budget", "--region", "CN", "--as-of", "2025-02-15")
    assert (march["budget"], february["budget"]) == ("100.00", "200.00")


def test_backdated_price_cut_recorded_after_a_later_quantity_change(world, run):
    place(world, "PO-1", "2025-01-10", quantity=10, unit_price="100")
    quantity_change = world.record(
        "order.amended", {"order": "PO-1", "quantity": 20}, effective="2025-03-01"
    ).seq
    world.record("order.amended", {"order": "PO-1", "unit_price": "80"}, effective="2025-02-01")

    assert commitment(run, "PO-1", "2025-01-31")["committed"] == "1000.00"
    assert commitment(run, "PO-1", "2025-02-15")["committed"] == "800.00"
    # The quantity change names only the quantity: the price cut before it still holds.
    assert commitment(run, "PO-1", "2025-03-15")["committed"] == "1600.00"
    known_then = commitment(run, "PO-1", "2025-03-15", "--upto-seq", str(quantity_change))
    assert known_then["committed"] == "2000.00"


def test_cancelled_order_keeps_its_quantity_and_its_supplier_row(world, run):
    place(world, "PO-1", "2025-01-10", quantity=10)
    world.record("order.amended", {"order": "PO-1", "quantity": 4}, effective="2025-02-01")
    world.record("order.cancelled", {"order": "PO-1"}, effective="2025-03-01")

    row = commitment(run, "PO-1", "2025-03-01")
    assert (row["quantity"], row["status"], row["committed"]) == ("4", "cancelled", "0.00")
    assert commitment(run, "PO-1", "2025-02-28")["status"] == "amended"
    assert query(run, "shares", "--region", "CN", "--as-of", "2025-03-01", "--basis", "units") == [
        {
            "region": "CN",
            "supplier": "huawei",
            "country": "CN",
            "domestic": "true",
            "value": "0.00",
            "units": "0",
            "share": "0.0000",
        },
    ]


def test_units_basis_counts_quantities_of_orders_not_cancelled(world, run):
    world.record("fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "7"}, effective=START)
    place(world, "PO-1", "2025-01-10", quantity=3, unit_price="1000")
    place(
        world,
        "PO-2",
        "2025-01-10",
        quantity=1,
        unit_price="1000",
        currency="USD",
        supplier="nvidia",
    )
    place(
        world, "PO-3", "2025-01-10", quantity=5, unit_price="1", currency="USD", supplier="nvidia"
    )
    world.record("order.cancelled", {"order": "PO-3"}, effective="2025-01-11")

    rows = query(run, "shares", "--region", "CN", "--as-of", "2025-06-30", "--basis", "units")
    assert [(row["supplier"], row["units"], row["value"], row["share"]) for row in rows] == [
        ("huawei", "3", "3000.00", "0.7500"),
        ("nvidia", "1", "7000.00", "0.2500"),
    ]


# -- before anything happened, knowledge limits ---------------------------------------------------


def test_query_before_anything_happened_gives_no_rows(world, run):
    place(world, "PO-1", "2025-01-10")

    for report in ("budget", "commitments", "shares"):
        assert query(run, report, "--as-of", "2024-12-31") == []
        assert query(run, report, "--as-of", "2025-06-30", "--upto-seq", "0") == []
    (empty,) = query(run, "budget", "--region", "MY", "--as-of", "2025-06-30")
    assert (empty["budget"], empty["committed"], empty["utilization"]) == ("0.00", "0.00", "")


def test_empty_ledger_gives_headers_only(run):
    result = run("query", "commitments", "--format", "csv")
    assert (result.exit_code, result.stdout) == (
        0,
        "kind,id,region,counterparty,sku,quantity,status,committed,currency,received,invoiced,paid\n",
    )


def test_known_at_a_timestamp_sees_what_was_recorded_by_then(world, run):
    place(world, "PO-1", "2025-01-10", quantity=10)
    amendment = world.record(
        "order.amended", {"order": "PO-1", "quantity": 2}, effective="2025-02-01"
    ).seq
    world.record("order.amended", {"order": "PO-1", "quantity": 7}, effective="2025-02-01")
    recorded = {event.seq: event.recorded_at for event in world.events()}
    assert recorded[amendment] < recorded[amendment + 1]
    at = datetime.fromisoformat(recorded[amendment]).astimezone(timezone(timedelta(hours=8)))

    row = commitment(run, "PO-1", "2025-06-30", "--known-at", at.isoformat())
    assert (row["quantity"], row["committed"]) == ("2", "200.00")
    assert commitment(run, "PO-1", "2025-06-30")["quantity"] == "7"


def test_known_at_a_bare_date_means_the_end_of_that_day(world, run):
    place(world, "PO-1", "2025-01-10")
    today = list(world.events())[0].recorded_at[:10]
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()

    assert [
        row["id"] for row in query(run, "commitments", "--as-of", "2025-06-30", "--known-at", today)
    ] == ["PO-1"]
    assert query(run, "commitments", "--as-of", "2025-06-30", "--known-at", yesterday) == []


def test_library_knowledge_limit_matches_the_cli(world):
    seq = place(world, "PO-1", "2025-01-10")
    place(world, "PO-2", "2025-01-11")

    rows = world.query_commitments(as_of=date(2025, 6, 30), knowledge=Knowledge(seq))
    assert [row["id"] for row in rows] == ["PO-1"]


# -- output and options ---------------------------------------------------------------------------


def test_json_output_has_amounts_as_strings_and_counts_as_numbers(world, run):
    place(world, "PO-1", "2025-01-10", quantity=3, unit_price="0.125")

    result = run("query", "commitments", "--as-of", "2025-06-30", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "kind": "order",
            "id": "PO-1",
            "region": "CN",
            "counterparty": "huawei",
            "sku": "ascend-910b",
            "quantity": 3,
            "status": "open",
            "committed": "0.38",
            "currency": "CNY",
            "received": "0.00",
            "invoiced": "0.00",
            "paid": "0.00",
        }
    ]
    budget = json.loads(
        run("query", "budget", "--as-of", "2025-06-30", "--region", "CN", "--format", "json").stdout
    )
    assert budget == [
        {
            "region": "CN",
            "year": 2025,
            "currency": "CNY",
            "budget": "0.00",
            "committed": "0.38",
            "remaining": "-0.38",
            "utilization": None,
        }
    ]


def test_csv_output_to_a_file(world, run, tmp_path):
    place(world, "PO-1", "2025-01-10")
    out = tmp_path / "shares.csv"

    result = run("query", "shares", "--as-of", "2025-06-30", "--format", "csv", "-o", str(out))
    assert (result.exit_code, result.stdout) == (0, "")
    assert out.read_text(encoding="utf-8") == (
        "region,supplier,country,domestic,value,units,share\nCN,huawei,CN,true,1000.00,10,1.0000\n"
    )


@pytest.mark.parametrize("report", ["budget", "commitments", "shares"])
def test_unknown_region_is_an_error_naming_the_known_ones(world, run, report):
    place(world, "PO-1", "2025-01-10")

    result = run("query", report, "--as-of", "2025-06-30", "--region", "XX", "--format", "csv")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: unknown region 'XX'; known: CN")


@pytest.mark.parametrize("report", ["budget", "commitments", "shares"])
def test_both_knowledge_limits_is_a_usage_error(run, report):
    result = run("query", report, "--known-at", "2025-01-01", "--upto-seq", "3")

    assert result.exit_code == 2
    assert "--known-at or --upto-seq, not both" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_query_command_documents_an_example(run):
    for report in ("budget", "commitments", "shares"):
        result = run("query", report, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.stdout


# -- the building blocks shared with the compliance report ----------------------------------------


def test_booked_rate_takes_the_latest_known_rate_of_either_direction(world):
    from ledger.reads.rates import booked_rate
    from ledger.reads.regions import budget_amount

    first = world.record(
        "fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "7.2"}, effective=START
    ).seq
    world.record(
        "fx.rate_set", {"base": "CNY", "quote": "USD", "rate": "0.125"}, effective="2025-03-01"
    )
    same_day = world.record(
        "fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "7.5"}, effective="2025-03-01"
    ).seq

    with world.engine.connect() as connection:

        def rate(currency, on, upto_seq=None, region_currency="CNY"):
            return booked_rate(
                connection, currency, region_currency, date.fromisoformat(on), upto_seq
            )

        assert rate("USD", "2025-02-28") == Fraction(36, 5)
        assert rate("USD", "2025-03-01") == Fraction(15, 2)  # same day: the later seq wins
        assert rate("USD", "2025-03-01", upto_seq=same_day - 1) == 8  # 1 / 0.125
        assert rate("CNY", "2025-03-01", region_currency="USD") == Fraction(2, 15)
        assert rate("USD", "2025-03-01", upto_seq=first - 1) is None
        assert rate("USD", "2024-12-31") is None
        assert rate("CNY", "2024-12-31") == 1
        assert budget_amount(connection, "CN", 2025, date(2025, 12, 31), None) is None
