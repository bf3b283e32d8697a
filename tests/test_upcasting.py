"""Event versions: a payload stored by version 1 of its type is still read, rebuilt, verified
and queried after version 2 of the type (a new required field) is introduced with its upcaster;
the stored text and its hash never change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import pytest
from sqlalchemy import select

from ledger import schema, upcasting
from ledger.app import Ledger
from ledger.errors import IntegrityError, LedgerError, ValidationError
from ledger.events import OrderPlaced

AS_OF = date(2025, 12, 31)


class OrderPlacedV2(OrderPlaced):
    """Version 2 of order.placed: every order names the channel it was bought through."""

    version: ClassVar[int] = 2
    channel: str


def placed_v1_to_v2(payload: dict) -> dict:
    """Orders placed before channels were recorded were all bought direct."""
    return {**payload, "channel": "direct"}


@pytest.fixture
def evolved():
    """order.placed at version 2 for the test, back at version 1 afterwards."""

    def evolve(upcaster=placed_v1_to_v2):
        upcasting.evolve(OrderPlacedV2, upcaster)
        evolutions.append(OrderPlacedV2.type)

    evolutions: list[str] = []
    yield evolve
    for event_type in reversed(evolutions):
        upcasting.revert(event_type)


def given_books_at_version_1(ledger: Ledger) -> None:
    record = ledger.record
    record(
        "region.opened",
        {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"},
        effective="2025-01-01",
    )
    record(
        "supplier.registered",
        {"supplier": "huawei", "name": "Huawei", "country": "CN"},
        effective="2025-01-01",
    )
    record(
        "supplier.registered",
        {"supplier": "nvidia", "name": "Nvidia", "country": "US"},
        effective="2025-01-01",
    )
    record("fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "7.2"}, effective="2025-01-01")
    record(
        "budget.revised",
        {"region": "CN", "year": 2025, "amount": "1000000"},
        effective="2025-01-01",
    )
    record(
        "order.placed",
        {
            "order": "PO-1",
            "region": "CN",
            "supplier": "huawei",
            "sku": "ascend-910b",
            "quantity": 10,
            "unit_price": "30000",
            "currency": "CNY",
        },
        effective="2025-01-10",
    )
    record(
        "order.placed",
        {
            "order": "PO-2",
            "region": "CN",
            "supplier": "nvidia",
            "sku": "h20",
            "quantity": 10,
            "unit_price": "10000",
            "currency": "USD",
        },
        effective="2025-02-01",
    )
    record("order.amended", {"order": "PO-2", "quantity": 5}, effective="2025-03-01")


def stored(ledger: Ledger) -> list[tuple]:
    events = schema.events
    with ledger.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(
                    events.c.seq, events.c.type, events.c.payload, events.c.hash, events.c.version
                ).order_by(events.c.seq)
            )
        ]


def answers(ledger: Ledger) -> tuple:
    return (
        ledger.query_budget(as_of=AS_OF),
        ledger.query_commitments(as_of=AS_OF),
        ledger.query_shares(as_of=AS_OF, region="CN"),
    )


def test_a_version_1_payload_is_read_through_its_upcaster_and_never_rewritten(ledger, run, evolved):
    given_books_at_version_1(ledger)
    before, head, replies = stored(ledger), ledger.verify().head, answers(ledger)
    assert {row[4] for row in before} == {1}

    evolved()

    placed = [event for event in ledger.events() if event.type == "order.placed"]
    assert [event.version for event in placed] == [1, 1]
    assert {event.typed_payload().channel for event in placed} == {"direct"}
    assert ledger.rebuild(check=True).differences == ()
    assert run("rebuild", "--check").exit_code == 0
    assert ledger.rebuild().events == len(before)
    verified = run("verify", "--deep")
    assert verified.exit_code == 0, verified.output
    assert ledger.verify().head == head and ledger.verify_deep()[1] is None
    assert answers(ledger) == replies
    assert stored(ledger) == before


def test_new_events_are_stored_at_the_new_version_and_both_versions_replay(ledger, run, evolved):
    given_books_at_version_1(ledger)
    evolved()

    with pytest.raises(ValidationError, match="^channel: is required"):
        ledger.record(
            "order.placed",
            {
                "order": "PO-3",
                "region": "CN",
                "supplier": "huawei",
                "sku": "x",
                "quantity": 1,
                "unit_price": "100",
                "currency": "CNY",
            },
            effective="2025-04-01",
        )
    recorded = run(
        "order",
        "place",
        "PO-3",
        "--region",
        "CN",
        "--supplier",
        "huawei",
        "--sku",
        "x",
        "--quantity",
        "1",
        "--unit-price",
        "100",
        "--currency",
        "CNY",
        "--effective",
        "2025-04-01",
    )
    assert recorded.exit_code != 0  # the command knows no --channel: version 2 came from this test
    ledger.record(
        "order.placed",
        {
            "order": "PO-3",
            "region": "CN",
            "supplier": "huawei",
            "sku": "x",
            "quantity": 1,
            "unit_price": "100",
            "currency": "CNY",
            "channel": "tender",
        },
        effective="2025-04-01",
    )

    rows = stored(ledger)
    assert [row[4] for row in rows if row[1] == "order.placed"] == [1, 1, 2]
    assert '"channel":"tender"' in rows[-1][2]
    assert {
        event.typed_payload().channel for event in ledger.events() if event.type == "order.placed"
    } == {"direct", "tender"}
    assert ledger.rebuild(check=True).differences == ()
    assert run("verify", "--deep").exit_code == 0
    (budget,) = ledger.query_budget(as_of=AS_OF)
    assert budget["committed"] == Decimal(300000 + 5 * 10000 * 72 // 10 + 100)


def test_the_upcaster_is_what_makes_old_payloads_readable(ledger, evolved):
    given_books_at_version_1(ledger)
    evolved(upcaster=lambda payload: payload)  # an "upcaster" that forgets the new field

    with pytest.raises(IntegrityError, match="seq 6: order.placed cannot be replayed"):
        ledger.rebuild(check=True)
    assert ledger.verify_deep()[1] == "seq 6: channel: is required"
    assert ledger.verify().ok


def test_a_payload_of_a_newer_version_than_the_code_knows_is_refused_on_read(ledger, evolved):
    given_books_at_version_1(ledger)
    evolved()
    ledger.record(
        "order.placed",
        {
            "order": "PO-3",
            "region": "CN",
            "supplier": "huawei",
            "sku": "x",
            "quantity": 1,
            "unit_price": "100",
            "currency": "CNY",
            "channel": "tender",
        },
        effective="2025-04-01",
    )
    upcasting.revert("order.placed")
    try:
        with pytest.raises(IntegrityError, match="version 2 was stored by a newer ledger"):
            ledger.rebuild(check=True)
    finally:
        upcasting.evolve(OrderPlacedV2, placed_v1_to_v2)


def test_copy_keeps_each_events_version_and_restore_infers_it(ledger, evolved, tmp_path):
    from ledger.moving import copy_ledger, restore_export

    given_books_at_version_1(ledger)
    evolved()
    ledger.record(
        "order.placed",
        {
            "order": "PO-3",
            "region": "CN",
            "supplier": "huawei",
            "sku": "x",
            "quantity": 1,
            "unit_price": "100",
            "currency": "CNY",
            "channel": "tender",
        },
        effective="2025-04-01",
    )
    export = tmp_path / "events.csv"
    with open(export, "w", newline="", encoding="utf-8") as out:
        ledger.export_events(out)

    with (
        Ledger.open(tmp_path / "copy.db") as copy,
        Ledger.open(tmp_path / "restored.db") as restored,
    ):
        copy_ledger(ledger, copy)
        restore_export(export, restored)

        for target in (copy, restored):
            assert stored(target) == stored(ledger)
            assert answers(target) == answers(ledger)
            assert target.rebuild(check=True).differences == ()


def test_evolve_takes_only_the_next_version_of_a_known_type():
    class Skipping(OrderPlaced):
        version: ClassVar[int] = 3

    with pytest.raises(LedgerError, match="the next version of order.placed is 2"):
        upcasting.evolve(Skipping, placed_v1_to_v2)
    with pytest.raises(LedgerError, match="has not been evolved"):
        upcasting.revert("order.placed")
    assert upcasting.current_version("order.placed") == 1
