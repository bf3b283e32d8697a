"""The year-end reads summed ahead: lease charges per year and booked rate, the spend layers per
booking, the three-way match summed by the database. Each gives what the rules give one
document at a time, at the edges where a shortcut could slip: a payment due on a clamped day, a
termination inside the year, an invoice a hair above its limit, a correction of master data in a
long import."""

from __future__ import annotations

import json
import uuid
from datetime import date
from fractions import Fraction

from sqlalchemy import event
from test_compliance import given_world, place, set_policy, sign
from test_spend import bill, matches, receive

from ledger.app import Knowledge
from ledger.semantics.rates import Placement, RateBook


def committed(ledger, year: int, as_of: str, region: str = "MY", **known) -> Fraction:
    (row,) = ledger.query_budget(
        as_of=date.fromisoformat(as_of), year=year, region=region, knowledge=Knowledge(**known)
    )
    return row["committed"]


def received(ledger, year: int, as_of: str, region: str = "MY") -> Fraction:
    (row,) = ledger.query_spend(as_of=date.fromisoformat(as_of), year=year, region=region)
    return row["received"]


def test_a_lease_starting_on_the_31st_is_received_on_each_months_last_day(ledger):
    given_world(ledger)
    # 50,000 USD a month from 31 Jan 2025, 4 payments: 31 Jan, 28 Feb, 31 Mar, 30 Apr.
    sign(ledger, "L-1", "2025-01-10", start="2025-01-31", months=4)
    assert received(ledger, 2025, "2025-02-27") == 50_000
    assert received(ledger, 2025, "2025-02-28") == 100_000
    assert received(ledger, 2025, "2025-04-29") == 150_000
    assert received(ledger, 2025, "2025-12-31") == 200_000
    assert received(ledger, 2024, "2025-12-31") == 0
    assert committed(ledger, 2025, "2025-01-10") == 200_000


def test_a_termination_inside_the_year_keeps_the_payment_due_on_its_day_and_adds_its_fee(ledger):
    given_world(ledger)
    # 50,000 USD a month from 15 Nov 2025 for 6 months: 2 in 2025, 4 in 2026.
    signed = sign(ledger, "L-1", "2025-11-01", months=6)
    ledger.record("lease.terminated", {"lease": "L-1", "fee": "7000"}, effective="2026-02-15")
    # The payments due on or before 15 Feb 2026 stay (15 Jan, 15 Feb), the fee is 2026's.
    assert committed(ledger, 2026, "2026-02-14") == 200_000
    assert committed(ledger, 2026, "2026-02-15") == 107_000
    assert committed(ledger, 2025, "2026-12-31") == 100_000
    assert committed(ledger, 2026, "2026-12-31", upto_seq=signed) == 200_000
    assert received(ledger, 2026, "2026-01-20") == 50_000
    assert received(ledger, 2026, "2026-12-31") == 107_000
    (row,) = [
        row
        for row in ledger.query_commitments(as_of=date(2026, 12, 31), year=2026, region="MY")
        if row["id"] == "L-1"
    ]
    assert (row["committed"], row["charged"], row["status"]) == (207_000, 107_000, "terminated")


def test_an_invoice_a_hair_above_its_limit_is_an_exception_and_one_at_it_is_not(ledger):
    """3 × 0.1 in floating point is above 0.3, and 300,000,000 plus 10⁻¹² is 300,000,000: the
    database only sets aside what surely passes, and the rule decides the rest exactly."""
    given_world(ledger)
    set_policy(ledger, "three_way_match", "CN", "2025-01-01")
    place(ledger, "PO-1", "huawei", 3, "0.1", "CNY", "2025-01-10")
    place(ledger, "PO-2", "huawei", 3, "100000000", "CNY", "2025-01-10")
    for order in ("PO-1", "PO-2"):
        receive(ledger, f"R-{order}", order, 3, "2025-01-11")
    bill(ledger, "INV-1", "PO-1", 3, "0.3", "2025-01-12")
    bill(ledger, "INV-2", "PO-2", 3, "300000000.000000000001", "2025-01-12")
    assert [(subject, status) for subject, status, _ in matches(ledger, "2025-01-31")] == [
        ("PO-2", "violation")
    ]
    assert matches(ledger, "2025-01-11") == [
        ("invoices", "ok", "2 orders with receipts or invoices, every one matched (tolerance 0%)")
    ]


def test_a_booked_rate_is_the_one_in_force_on_the_documents_own_day():
    rates = {("USD", "CNY"): [("7.2", date(2025, 1, 1), 1), ("7.3", date(2025, 3, 1), 9)]}
    book = RateBook(lambda base, quote: rates.get((base, quote), []))

    assert book.booked_rate(Placement("USD", "CNY", date(2025, 2, 28))) == Fraction("7.2")
    assert book.booked_rate(Placement("USD", "CNY", "2025-03-01")) == Fraction("7.3")
    assert book.booked_rate(Placement("CNY", "USD", date(2025, 3, 1))) == 1 / Fraction("7.3")
    assert book.booked(Placement("CNY", "CNY", date(2000, 1, 1))) == ("CNY", "CNY", 0)


def test_name_corrections_in_an_import_after_a_close_cost_no_query_per_event(ledger, tmp_path):
    """Every supplier.updated after a close asks which regions the supplier's documents are in:
    the answer is read once, and the import's prefetched event ids survive the flush it needs."""
    given_world(ledger)
    ledger.record(
        "period.closed", {"region": "CN", "through": "2025-01-31"}, effective="2025-02-01"
    )
    lines = []
    for k in range(300):
        day = f"2025-02-{k % 28 + 1:02d}"
        lines.append({"type": "order.placed", "effective": day, "order": f"PO-{k}",
                      "region": "CN", "supplier": "huawei", "sku": "mlu", "quantity": 1,
                      "unit_price": "10", "currency": "CNY"})  # fmt: skip
        if k % 10 == 0:
            lines.append({"type": "supplier.updated", "effective": day, "supplier": "huawei",
                          "name": f"Huawei {k}"})  # fmt: skip
    for k, line in enumerate(lines):
        line["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"year-end-sums/{k}"))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(ledger.engine, "before_cursor_execute", listener)
    try:
        result = ledger.import_file(path, actor="a")
    finally:
        event.remove(ledger.engine, "before_cursor_execute", listener)

    assert result.added == len(lines)
    reads = [sql for sql in statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(reads) < 40, reads[:5]
    (row,) = [
        row for row in ledger.suppliers(as_of=date(2025, 2, 28)) if row["supplier"] == "huawei"
    ]
    assert row["name"] == "Huawei 250"  # the latest by (effective, seq): 27 Feb, after k = 110
    assert ledger.import_file(path, actor="a").added == 0  # and again: nothing new
