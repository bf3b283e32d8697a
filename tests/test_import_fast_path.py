"""The fast reader of import records (ledger.records) gives exactly what NewEvent.from_record
gives: the same event (every envelope value, the payload's class and every field's value and
type), or the same error message. Records are valid lines of the fixtures with one field
replaced by a tricky value: nulls, empty and blank text, numbers as strings and strings as
numbers, signs, exponents, spaces, non-ASCII digits, upper-case UUIDs, impossible dates, long
text, unknown keys.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from ledger import upcasting
from ledger.errors import LedgerError
from ledger.events import PAYLOAD_TYPES, NewEvent, Payload
from ledger.packaged import fixture
from ledger.records import fast_schema, record_reader


def fixture_records() -> list[dict]:
    records = []
    for name in ("demo.jsonl", "minimal.jsonl"):
        with fixture(name).open("rb") as stream:
            for line in stream:
                records.append(json.loads(line, parse_float=Decimal))
    # Fields the fixtures do not show: every optional field given, nulls, booleans.
    records += [
        {
            "type": "policy.changed",
            "effective": "2025-02-01",
            "policy": "min_domestic_share",
            "region": "CN",
            "threshold": "0.3",
            "basis": "units",
            "mode": "warn",
            "enabled": False,
        },
        {
            "type": "policy.changed",
            "effective": "2025-02-01",
            "policy": "restricted_sku",
            "region": "CN",
            "sku": "h20",
            "mode": "block",
        },
        {
            "type": "lease.signed",
            "effective": "2025-10-01",
            "lease": "L-1",
            "region": "MY",
            "lessor": "dcprov",
            "sku": "h20",
            "units": 100,
            "start": "2025-01-31",
            "months": 3,
            "monthly_payment": Decimal("50000.50"),
            "currency": "USD",
        },
        {"type": "lease.terminated", "effective": "2025-12-01", "lease": "L-1", "fee": 0},
        {
            "type": "budget.revised",
            "effective": "2025-01-01",
            "region": "CN",
            "year": 2025,
            "amount": "1000000.00",
            "currency": "CNY",
            "reason": None,
            "event_id": None,
        },
        {"type": "period.reopened", "effective": "2025-04-06", "region": "CN", "reason": "x"},
    ]
    return records


RECORDS = fixture_records()

TRICKY = [
    None,
    "",
    " ",
    "\t",
    "\x1c",
    "0",
    "-0",
    "-1",
    "+1",
    "1e3",
    "1E+3",
    " 12 ",
    "12.",
    ".5",
    "007",
    "0.1000000000000",
    "0.0000000000001",
    "1" * 21,
    "١٢",
    "1_000",
    "NaN",
    "Infinity",
    "true",
    "False",
    "2025-02-30",
    "2025-2-1",
    "0000-01-01",
    "2025-01-01 ",
    "CNY",
    "cny",
    "ZZZ",
    "CN",
    "warn",
    "block",
    "value",
    "units",
    "approved",
    "68FC16FF-04A0-55D5-8D5A-68B1F2C6137E",
    "{68fc16ff-04a0-55d5-8d5a-68b1f2c6137e}",
    "68fc16ff04a055d58d5a68b1f2c6137e",
    "68fc16ff-04a0-55d5-8d5a-68b1f2c6137e",
    "a\x00b",
    "\ud800",
    "x" * 1001,
    "x" * 1000,
    "a" * 65,
    "-abc",
    "é",
    "名前",
    "=cmd",
    True,
    False,
    0,
    1,
    -1,
    600,
    601,
    2000,
    2101,
    10**15,
    10**15 + 1,
    10**20,
    1.5,
    0.1,
    2.0,
    Decimal("1.10"),
    Decimal("-0.0"),
    Decimal("1E+3"),
    Decimal("0.3"),
    Decimal("NaN"),
    [],
    {},
]
tricky = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=8),
    st.integers(),
    st.decimals(allow_nan=True, allow_infinity=True),
)


def outcome(function, record: dict) -> tuple:
    try:
        event = function(record)
    except LedgerError as error:
        return ("error", type(error).__name__, str(error))
    payload = event.payload
    return (
        "event",
        event.type,
        repr(event.effective),
        repr(event.actor),
        repr(event.reason),
        repr(event.event_id),
        type(payload),
        [(name, type(value), repr(value)) for name, value in payload.__dict__.items()],
        payload.canonical_text(),
    )


def exact(record: dict) -> NewEvent:
    return NewEvent.from_record(record, default_actor="importer")


@pytest.mark.parametrize("record", RECORDS, ids=lambda record: record["type"])
def test_every_valid_fixture_line_reads_the_same_by_both_paths(record):
    assert outcome(record_reader("importer"), record) == outcome(exact, record)
    assert outcome(exact, record)[0] == "event"


def test_every_field_of_every_line_with_each_tricky_value_reads_the_same_by_both_paths():
    read = record_reader("importer")
    for record in RECORDS:
        for key in [*record, "extra"]:
            for value in TRICKY:
                changed = {**record, key: value}
                assert outcome(read, changed) == outcome(exact, changed), (key, value)
            dropped = {name: value for name, value in record.items() if name != key}
            assert outcome(read, dropped) == outcome(exact, dropped), key


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(RECORDS),
    st.one_of(
        st.sampled_from(sorted({key for record in RECORDS for key in record} | {"extra"})),
        st.text(min_size=1, max_size=6),
    ),
    tricky,
    st.booleans(),
)
def test_a_record_with_one_tricky_field_reads_the_same_by_both_paths(record, key, value, drop):
    changed = dict(record)
    if drop:
        changed.pop(key, None)
    else:
        changed[key] = value
    assert outcome(record_reader("importer"), changed) == outcome(exact, changed)


@pytest.mark.parametrize("actor", ["", " ", "a\x00b", "x" * 1001, "é", "ok.actor"])
def test_the_default_actor_is_checked_as_the_exact_path_checks_it(actor):
    record = {key: value for key, value in RECORDS[0].items() if key != "actor"}
    assert outcome(record_reader(actor), record) == outcome(
        lambda r: NewEvent.from_record(r, default_actor=actor), record
    )


def test_every_payload_model_has_a_fast_schema():
    """Else its lines all take the slow path: not wrong, but the speed of imports is lost. An
    approval is the one exception: its line's `event_id` is the approved event's, not the
    envelope's, which only the exact path knows (approvals are few)."""
    slow = {name for name, model in PAYLOAD_TYPES.items() if fast_schema(model) is None}
    assert slow == {"approval.granted"}


def test_the_fast_path_takes_the_common_lines(monkeypatch):
    """The valid fixture lines never reach the exact path (a fast path that refused everything
    would pass the tests above)."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("took the exact path")

    monkeypatch.setattr(NewEvent, "from_record", refuse)
    read = record_reader("importer")
    for record in RECORDS:
        if None not in record.values():
            read(record)


class RegionOpenedV2(PAYLOAD_TYPES["region.opened"]):
    """A later region.opened that also names the region's time zone."""

    version: ClassVar[int] = 2
    timezone: str


@pytest.fixture
def evolved_region():
    upcasting.evolve(RegionOpenedV2, lambda payload: {**payload, "timezone": "UTC"})
    yield
    upcasting.revert("region.opened")


def test_a_reader_made_after_an_evolution_validates_with_the_new_model(evolved_region):
    record = next(record for record in RECORDS if record["type"] == "region.opened")
    read = record_reader("importer")

    with pytest.raises(LedgerError, match="timezone: is required"):
        read(record)
    event = read({**record, "timezone": "Asia/Shanghai"})

    assert type(event.payload) is RegionOpenedV2
    assert outcome(read, {**record, "timezone": "Asia/Shanghai"}) == outcome(
        exact, {**record, "timezone": "Asia/Shanghai"}
    )


def test_a_model_nested_in_a_payload_keeps_refusing_unknown_fields():
    class Inner(BaseModel):
        model_config = ConfigDict(extra="forbid")
        code: str

    class WithInner(Payload):
        type: ClassVar[str] = "test.nested"
        inner: Inner

    assert fast_schema(WithInner) is None
