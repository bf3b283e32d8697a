"""The replay path (ledger.replay: `rebuild`, `copy`, `restore`) builds exactly the read-model
rows the validating path builds, table by table, on random streams holding every event type,
some stored by older versions of their type.

The validating path is each event's rows as they were written when it was appended (its payload
parsed by its model, the entry checks passed), and a replay that reads every stored payload
through its model (`StoredEvent.typed_payload`, which upcasts then validates) into the store's
writer. The replay path is `rebuild` in place, `copy` into a fresh database (each event's
version kept) and `restore` of an export (each event's version inferred from its payload), all
with tiny batches so that documents, buckets and rows cross batch boundaries. Each stored payload
is also read by both readers alone (and made into the event `verify --deep` checks): the same
model, the same values of the same types.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from streams import (
    EXAMPLES,
    REGIONS,
    SUPPLIERS,
    YEARS,
    Later,
    as_event,
    days,
    operations,
    policy_changes,
    record_world,
    reviews,
)

from ledger import schema, upcasting
from ledger.app import Ledger
from ledger.deep import _normal
from ledger.errors import LedgerError
from ledger.events import PAYLOAD_TYPES, Code, InvoiceReceived, NewEvent, OrderPlaced, Text
from ledger.moving import copy_ledger, restore_export
from ledger.projections.apply import OrderBuckets
from ledger.replay import PayloadReader
from ledger.store import batched

# Many random streams, each recorded event by event and replayed four times: a long run.
pytestmark = pytest.mark.slow


# -- older versions ---------------------------------------------------------------------------------


class OrderPlacedV2(OrderPlaced):
    """order.placed, version 2: the channel an order went through."""

    version: ClassVar[int] = 2
    channel: Code


class OrderPlacedV3(OrderPlacedV2):
    """order.placed, version 3: the buying desk as well."""

    version: ClassVar[int] = 3
    desk: Code


class InvoiceReceivedV2(InvoiceReceived):
    """invoice.received, version 2: payment terms, when the supplier gives them."""

    version: ClassVar[int] = 2
    terms: Text | None = None


EVOLUTIONS = (
    (OrderPlacedV2, lambda payload: {**payload, "channel": "direct"}),
    (OrderPlacedV3, lambda payload: {**payload, "desk": "central"}),
    (InvoiceReceivedV2, dict),
)


def evolve() -> None:
    for model, upcaster in EVOLUTIONS:
        upcasting.evolve(model, upcaster)


def revert() -> None:
    for model, _ in reversed(EVOLUTIONS):
        if PAYLOAD_TYPES[model.type] is model:
            upcasting.revert(model.type)


# -- streams ----------------------------------------------------------------------------------------

# The types streams.operations does not make: master-data corrections, transfers, approvals.
corrections = st.one_of(
    st.tuples(
        st.just("supplier.updated"),
        st.sampled_from(sorted(SUPPLIERS)),
        st.none() | st.just("Renamed Ltd"),
        st.sampled_from(["CN", "US", "DE", "MY"]),
        days,
    ),
    st.tuples(
        st.just("region.updated"),
        st.sampled_from(sorted(REGIONS)),
        st.just("Renamed region"),
        st.none() | st.sampled_from(["CN", "MY", "SG"]),
        days,
    ),
    st.tuples(
        st.just("budget.transferred"),
        st.permutations(sorted(REGIONS)).map(lambda regions: tuple(regions[:2])),
        st.sampled_from(YEARS),
        st.sampled_from(["1", "10.5", "250"]),
        days,
    ),
    st.tuples(st.just("approval.granted"), st.uuids(version=4), days),
)
stream = st.one_of(
    operations,
    operations,
    operations,
    policy_changes(["warn", "block"]),
    reviews,
    corrections,
)


def correction_event(operation: tuple) -> tuple[str, dict, date, str | None] | None:
    kind, *fields = operation
    if kind in ("supplier.updated", "region.updated"):
        code, name, country, day = fields
        key = "supplier" if kind == "supplier.updated" else "region"
        payload = {key: code, "name": name, "country": country}
        return kind, {k: v for k, v in payload.items() if v is not None}, day, None
    if kind == "budget.transferred":
        (source, target), year, amount, day = fields
        payload = {"from_region": source, "to_region": target, "year": year, "amount": amount}
        return kind, payload, day, None
    if kind == "approval.granted":
        approved, day = fields
        payload = {"approval": f"A-{approved.hex[:8]}", "event_id": str(approved)}
        return kind, {**payload, "digest": approved.hex * 2}, day, "four eyes"
    return None


def day(text: str) -> date:
    return date.fromisoformat(text)


# One event of every type, valid in this order after record_world: whatever the random part
# holds, every type is in the log.
EVERY_TYPE = [
    ("budget.revised", {"region": "CN", "year": 2025, "amount": "1000000"}, "2025-01-01", None),
    ("budget.revised", {"region": "MY", "year": 2025, "amount": "500000.5"}, "2025-01-01", None),
    (
        "policy.changed",
        {"policy": "min_domestic_share", "region": "CN", "threshold": "0.3"},
        "2025-01-01",
        None,
    ),
    (
        "policy.changed",
        {"policy": "three_way_match", "region": "MY", "tolerance": "0.05"},
        "2025-01-01",
        None,
    ),
    (
        "order.placed",
        {
            "order": "PO-A",
            "region": "CN",
            "supplier": "huawei",
            "sku": "chip",
            "quantity": 10,
            "unit_price": "12.345",
            "currency": "CNY",
            "purpose": "training",
        },
        "2025-01-10",
        None,
    ),
    (
        "order.placed",
        {
            "order": "PO-B",
            "region": "MY",
            "supplier": "nvidia",
            "sku": "gpu",
            "quantity": 4,
            "unit_price": "30000",
            "currency": "USD",
        },
        "2025-01-11",
        None,
    ),
    ("order.amended", {"order": "PO-A", "quantity": 8, "unit_price": "12.5"}, "2025-01-20", None),
    ("order.cancelled", {"order": "PO-B"}, "2025-02-01", None),
    (
        "goods.received",
        {"receipt": "R-A", "order": "PO-A", "quantity": 3, "reference": "GRN 1"},
        "2025-02-01",
        None,
    ),
    (
        "invoice.received",
        {
            "invoice": "INV-A",
            "supplier": "huawei",
            "order": "PO-A",
            "quantity": 3,
            "amount": "37.5",
            "currency": "CNY",
            "due": "2025-03-05",
            "reference": "bill 7",
        },
        "2025-02-05",
        None,
    ),
    (
        "invoice.received",
        {
            "invoice": "INV-B",
            "supplier": "huawei",
            "order": "PO-A",
            "quantity": 1,
            "amount": "12.5",
            "currency": "CNY",
        },
        "2025-02-06",
        None,
    ),
    ("invoice.voided", {"invoice": "INV-B"}, "2025-02-07", None),
    ("payment.made", {"payment": "P-A", "invoice": "INV-A", "amount": "20.25"}, "2025-02-10", None),
    (
        "lease.signed",
        {
            "lease": "L-A",
            "region": "MY",
            "lessor": "dcprov",
            "sku": "gpu",
            "units": 5,
            "start": "2025-01-31",
            "months": 14,
            "monthly_payment": "1000.50",
            "currency": "USD",
        },
        "2025-01-15",
        None,
    ),
    (
        "lease.reviewed",
        {
            "lease": "L-A",
            "owner": "Owner Co",
            "operator": "Operator Co",
            "outcome": "approved",
            "reference": "EC-1",
        },
        "2025-01-20",
        None,
    ),
    (
        "invoice.received",
        {
            "invoice": "INV-L",
            "supplier": "dcprov",
            "lease": "L-A",
            "amount": "1000.5",
            "currency": "USD",
        },
        "2025-02-28",
        None,
    ),
    ("lease.terminated", {"lease": "L-A", "fee": "10"}, "2025-04-15", None),
    ("supplier.updated", {"supplier": "sap", "name": "SAP SE"}, "2025-03-01", None),
    ("region.updated", {"region": "DE", "name": "Germany", "country": "DE"}, "2025-03-01", None),
    (
        "budget.transferred",
        {"from_region": "CN", "to_region": "MY", "year": 2025, "amount": "100"},
        "2025-03-01",
        None,
    ),
    (
        "approval.granted",
        {
            "approval": "A-1",
            "event_id": "9b2f61d4-6a0c-4a53-9a57-1c2d3e4f5a6b",
            "digest": "ab" * 32,
        },
        "2025-03-02",
        "four eyes",
    ),
    ("period.closed", {"region": "DE", "through": "2025-01-31"}, "2025-02-01", None),
    ("period.reopened", {"region": "DE"}, "2025-02-02", "restatement"),
]


def with_new_fields(type_: str, payload: dict, chosen: int) -> dict:
    """A payload of the current version: the fields the evolved types added, when evolved."""
    model = PAYLOAD_TYPES[type_]
    if type_ == "order.placed" and model.version >= 2:
        payload = {**payload, "channel": ["direct", "tender", "catalogue"][chosen % 3]}
        if model.version >= 3:
            payload["desk"] = ["central", "regional"][chosen % 2]
    if type_ == "invoice.received" and model.version >= 2 and chosen % 2:
        payload = {**payload, "terms": "net 30"}
    return payload


def record_stream(ledger: Ledger, operations: list[tuple], orders, leases, later) -> None:
    """Record each operation the ledger accepts (the rest are skipped: the log stays valid)."""
    for number, operation in enumerate(operations):
        event = correction_event(operation) or as_event(operation, orders, leases, later)
        if event is None:
            continue
        type_, payload, effective, reason = event
        payload = with_new_fields(type_, payload, number)
        try:
            ledger.record(type_, payload, effective=effective, actor="property", reason=reason)
        except LedgerError:
            continue
        later.accepted(type_, payload, effective)
        if type_ == "order.placed":
            orders.append((payload["order"], effective))
        elif type_ == "lease.signed":
            leases.append((payload["lease"], effective, date.fromisoformat(payload["start"])))


# -- the read models, as rows ---------------------------------------------------------------------


def read_models(ledger: Ledger) -> dict[str, list[tuple]]:
    """Every read model's rows, in one form on both backends, in a fixed order."""
    with ledger.engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(map(_normal, row)) for row in connection.execute(select(table))),
                key=repr,
            )
            for table in schema.READ_MODELS
        }


def validating_replay(source: Ledger, target: Ledger, batch: int) -> None:
    """Every stored payload read by its model (upcast, then validated) and replayed into the
    read models of `target` through the store's writer, `batch` events at a time."""
    with target.store.appending() as appender:
        appender.buckets = OrderBuckets(0)
        for events in batched(source.events(), batch):
            appender.current.prefetch_for(event.payload for event in events)
            for event in events:
                appender.replay(event)
            appender.end_batch()


def values(payload) -> dict[str, tuple[type, str]]:
    return {name: (type(value), repr(value)) for name, value in payload.__dict__.items()}


def assert_same_rows(expected: dict, found: dict, path: str) -> None:
    assert found.keys() == expected.keys()
    for name in expected:
        assert found[name] == expected[name], f"{path}: {name} differs"


# -- the property ---------------------------------------------------------------------------------


@pytest.fixture
def tiny_batches(monkeypatch):
    """Batches of a few events: documents, order buckets and rows cross batch boundaries."""
    from ledger import moving
    from ledger.projections import rebuild

    monkeypatch.setattr(rebuild, "REPLAY_BATCH", 3)
    monkeypatch.setattr(moving, "COPY_BATCH", 4)
    monkeypatch.setattr(schema, "BUCKET_SEQS", 5)


@pytest.mark.usefixtures("tiny_batches")
def test_the_replay_path_builds_the_rows_of_the_validating_path(databases, tmp_path):
    runs = iter(range(10**6))

    @settings(
        max_examples=EXAMPLES[databases.backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        before=st.lists(stream, min_size=5, max_size=30),
        after=st.lists(stream, min_size=5, max_size=30),
        batch=st.integers(1, 9),
    )
    def check(before, after, batch):
        export = tmp_path / f"events-{next(runs)}.csv"
        try:
            with (
                databases() as url,
                databases() as copied_url,
                databases() as restored_url,
                databases() as replayed_url,
                Ledger.open(url) as ledger,
            ):
                record_world(ledger)
                for type_, payload, effective, reason in EVERY_TYPE:
                    ledger.record(
                        type_, payload, effective=day(effective), actor="setup", reason=reason
                    )
                orders: list = [("PO-A", day("2025-01-10")), ("PO-B", day("2025-01-11"))]
                leases: list = [("L-A", day("2025-01-15"), day("2025-01-31"))]
                later = Later()
                for type_, payload, effective, _ in EVERY_TYPE:
                    later.accepted(type_, payload, day(effective))
                record_stream(ledger, before, orders, leases, later)
                evolve()
                placed = {
                    "order": "PO-V3",
                    "region": "DE",
                    "supplier": "sap",
                    "sku": "chip",
                    "quantity": 2,
                    "unit_price": "99.99",
                    "currency": "EUR",
                }
                ledger.record(
                    "order.placed",
                    with_new_fields("order.placed", placed, 1),
                    effective=day("2027-06-01"),
                    actor="setup",
                )
                orders.append(("PO-V3", day("2027-06-01")))
                later.accepted("order.placed", placed, day("2027-06-01"))
                record_stream(ledger, after, orders, leases, later)

                stored = list(ledger.events())
                assert {event.type for event in stored} == set(PAYLOAD_TYPES)
                versions = {(event.type, event.version) for event in stored}
                assert {("order.placed", 1), ("order.placed", 3)} <= versions
                assert ("invoice.received", 1) in versions

                # Each payload alone: the replay's reader and the model give the same values.
                read = PayloadReader()
                for event in stored:
                    fast = read(event.type, event.version, event.payload)
                    model = event.typed_payload()
                    assert type(fast) is type(model), event.seq
                    assert values(fast) == values(model), event.seq
                    # As verify --deep reads it: the event an append would have made of it.
                    envelope = {
                        "actor": event.actor,
                        "reason": event.reason,
                        "event_id": event.event_id,
                    }
                    current = event.current_payload()
                    checked = read.new_event(event.type, event.effective, current, **envelope)
                    created = NewEvent.create(event.type, event.effective, current, **envelope)
                    assert checked == created, event.seq
                    assert values(checked.payload) == values(created.payload), event.seq

                maintained = read_models(ledger)
                with open(export, "w", encoding="utf-8", newline="") as out:
                    ledger.export_events(out)
                with Ledger.open(replayed_url) as replayed:
                    validating_replay(ledger, replayed, batch)
                    assert_same_rows(maintained, read_models(replayed), "validating replay")
                with Ledger.open(copied_url) as copied:
                    assert copy_ledger(ledger, copied).copied == len(stored)
                    assert_same_rows(maintained, read_models(copied), "copy")
                with Ledger.open(restored_url) as restored:
                    assert restore_export(export, restored).copied == len(stored)
                    assert_same_rows(maintained, read_models(restored), "restore")
                report = ledger.rebuild()
                assert report.events == len(stored)
                assert_same_rows(maintained, read_models(ledger), "rebuild")
                assert ledger.rebuild(check=True).differences == ()
        finally:
            revert()

    check()


def test_a_restored_payload_of_an_older_version_is_read_as_that_version(db_url, tmp_path):
    """An export keeps no version: a restore infers it from the payload's shape, and replays an
    old payload through its upcasters, as a copy (which keeps the version) does."""
    with Ledger.open(db_url) as ledger:
        record_world(ledger)
        placed = {
            "order": "PO-1",
            "region": "CN",
            "supplier": "huawei",
            "sku": "chip",
            "quantity": 3,
            "unit_price": "10",
            "currency": "CNY",
        }
        ledger.record("order.placed", placed, effective="2025-02-01", actor="a")
        try:
            evolve()
            ledger.record(
                "order.placed",
                {**placed, "order": "PO-2", "channel": "tender", "desk": "regional"},
                effective="2025-02-02",
                actor="a",
            )
            export = tmp_path / "events.csv"
            with open(export, "w", encoding="utf-8", newline="") as out:
                ledger.export_events(out)
            with Ledger.open(f"sqlite:///{tmp_path / 'restored.db'}") as restored:
                restore_export(export, restored)
                kept = {event.seq: event.version for event in restored.events()}
                assert kept[len(kept) - 1] == 1 and kept[len(kept)] == 3
                channels = {
                    event.typed_payload().channel
                    for event in restored.events()
                    if event.type == "order.placed"
                }
                assert channels == {"direct", "tender"}
                assert read_models(restored) == read_models(ledger)
        finally:
            revert()


def test_a_payload_the_model_refuses_is_refused_by_every_replay(ledger, tmp_path):
    """The replay's reader checks like the model: a stored quantity of 0 (hashed by a writer of
    its own) stops a rebuild and a copy alike, naming its seq, and neither writes anything."""
    from sqlalchemy import text

    from ledger.chain import chain_hash
    from ledger.errors import IntegrityError

    record_world(ledger)
    with ledger.engine.begin() as connection:
        seq, digest, recorded_at = connection.execute(
            text("SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1")
        ).one()
        payload = (
            '{"currency":"CNY","order":"PO-0","quantity":0,"region":"CN","sku":"chip",'
            '"supplier":"huawei","unit_price":"1"}'
        )
        event_id = str(uuid.uuid4())
        values = (seq + 1, event_id, "order.placed", "2025-03-01", recorded_at, "x", None)
        forged = chain_hash(digest, *values, payload)
        connection.execute(
            schema.events.insert().values(
                seq=seq + 1,
                event_id=event_id,
                type="order.placed",
                effective=date(2025, 3, 1),
                recorded_at=recorded_at,
                actor="x",
                reason=None,
                payload=payload,
                prev_hash=digest,
                hash=forged,
                version=1,
            )
        )
    before = read_models(ledger)
    with pytest.raises(IntegrityError, match=f"seq {seq + 1}: order.placed cannot be replayed"):
        ledger.rebuild()
    assert read_models(ledger) == before
    with Ledger.open(f"sqlite:///{tmp_path / 'copy.db'}") as target:
        with pytest.raises(IntegrityError, match=f"seq {seq + 1}: quantity: must be at least 1"):
            copy_ledger(ledger, target)
        assert target.head()[0] == 0
