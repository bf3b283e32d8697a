"""Signed deltas on order changes: the totals add up each change's delta while an order's changes
arrive in date order, and fold the order's changes once one arrives back-dated (orders_replayed),
at every knowledge limit before and after that change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ledger import schema
from ledger.app import Knowledge

START = "2025-01-01"


def setup(ledger) -> None:
    ledger.record(
        "region.opened",
        {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"},
        effective=START,
    )
    ledger.record(
        "supplier.registered",
        {"supplier": "huawei", "name": "huawei", "country": "CN"},
        effective=START,
    )


def place(ledger, order: str, effective: str, quantity: int, unit_price: str) -> int:
    payload = {
        "order": order,
        "region": "CN",
        "supplier": "huawei",
        "sku": "ascend-910b",
        "quantity": quantity,
        "unit_price": unit_price,
        "currency": "CNY",
    }
    return ledger.record("order.placed", payload, effective=effective).seq


def amend(ledger, order: str, effective: str, **fields) -> int:
    return ledger.record("order.amended", {"order": order, **fields}, effective=effective).seq


def cancel(ledger, order: str, effective: str) -> int:
    return ledger.record("order.cancelled", {"order": order}, effective=effective).seq


def shares(ledger, as_of: str, upto_seq: int | None) -> tuple:
    rows = ledger.query_shares(
        as_of=date.fromisoformat(as_of), year=2025, region="CN", knowledge=Knowledge(upto_seq)
    )
    (row,) = rows
    return row["value"], row["units"]


def stored(ledger, table, *columns) -> list[tuple]:
    with ledger.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(*(table.c[name] for name in columns)).order_by(table.c.seq)
            )
        ]


def test_changes_in_date_order_store_their_deltas_and_replay_nothing(ledger):
    setup(ledger)
    place(ledger, "PO-1", "2025-02-01", 10, "100")
    amend(ledger, "PO-1", "2025-03-01", quantity=20)
    amend(ledger, "PO-1", "2025-03-01", unit_price="150")
    cancel(ledger, "PO-1", "2025-04-01")
    deltas = stored(ledger, schema.order_changes, "value_delta", "units_delta", "placed")
    assert [(str(value), units) for value, units, _ in deltas] == [
        ("1000", 10),
        ("1000", 0),
        ("-3000", -20),
    ]
    assert {as_date(placed) for _, _, placed in deltas} == {date(2025, 2, 1)}
    assert stored(ledger, schema.orders_replayed, "order_id") == []
    assert shares(ledger, "2025-03-15", None) == (3000, 20)
    assert shares(ledger, "2025-12-31", None) == (0, 0)


def test_a_back_dated_change_replays_its_order_from_its_seq_on(ledger):
    setup(ledger)
    place(ledger, "PO-1", "2025-02-01", 10, "100")
    in_order = amend(ledger, "PO-1", "2025-06-01", quantity=30)
    # Dated before the amendment recorded above: the order's deltas no longer add up.
    back_dated = amend(ledger, "PO-1", "2025-03-01", quantity=20, unit_price="200")
    amend(ledger, "PO-1", "2025-07-01", unit_price="50")
    assert stored(ledger, schema.orders_replayed, "order_id", "seq") == [("PO-1", back_dated)]
    for upto_seq, as_of, expected in [
        (in_order, "2025-12-31", (3000, 30)),
        (in_order, "2025-04-01", (1000, 10)),
        (back_dated, "2025-04-01", (4000, 20)),
        (back_dated, "2025-12-31", (6000, 30)),
        (None, "2025-06-15", (6000, 30)),
        (None, "2025-12-31", (1500, 30)),
        (None, "2025-02-15", (1000, 10)),
    ]:
        assert shares(ledger, as_of, upto_seq) == expected, (upto_seq, as_of)
    ledger.rebuild()
    assert stored(ledger, schema.orders_replayed, "order_id", "seq") == [("PO-1", back_dated)]
    assert shares(ledger, "2025-12-31", None) == (1500, 30)
    assert ledger.rebuild(check=True).differences == ()


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
