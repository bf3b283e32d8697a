"""Every event type is known to every part of the house that must decide about it: each type has
one entry in the registry (ledger.kinds), and the entry names all of its parts. A type that a part
forgot would fail open (a type that touched no region would slip past closed books)."""

from __future__ import annotations

import dataclasses
import string
from datetime import date

import pytest

from ledger.current import PREFETCHABLE
from ledger.events import PAYLOAD_TYPES
from ledger.kinds import ID_FIELDS, KINDS, THROUGH_THE_LOG, Kind, kind_of, subject, touches
from ledger.projections.apply import read_model_rows

TYPES = sorted(PAYLOAD_TYPES)


def test_every_event_type_has_an_entry_and_every_entry_a_type():
    assert sorted(KINDS) == TYPES


def test_an_entry_cannot_leave_a_part_out():
    # No part has a default: an entry that forgets one is an error when the registry loads.
    assert [field.name for field in dataclasses.fields(Kind)] == [
        "model",
        "subject",
        "touches",
        "check",
        "block",
        "rows",
        "prefetch",
    ]
    for field in dataclasses.fields(Kind):
        assert field.default is dataclasses.MISSING, field.name
        assert field.default_factory is dataclasses.MISSING, field.name


@pytest.mark.parametrize("event_type", TYPES)
def test_each_entry_names_every_part(event_type):
    kind = KINDS[event_type]
    assert kind.type == event_type
    assert issubclass(PAYLOAD_TYPES[event_type], kind.model)
    fields = set(kind.model.model_fields)
    for part in (kind.touches, kind.check, kind.block, kind.rows):
        assert callable(part)
    # The subject names fields of the model (the recorded line formats them; `log --id` matches
    # their codes), and the prefetch keys are documents the write transaction can read.
    line_fields = {name for _, name, _, _ in string.Formatter().parse(kind.subject.line) if name}
    assert line_fields and line_fields <= fields
    assert set(kind.subject.ids) <= fields
    assert set(kind.prefetch) <= fields & set(PREFETCHABLE)


def test_a_type_without_an_entry_is_refused_not_waved_through():
    with pytest.raises(LookupError, match="invoice.paid"):
        touches("invoice.paid", {}, None)
    with pytest.raises(LookupError, match="invoice.paid"):
        kind_of("invoice.paid")
    with pytest.raises(LookupError, match="invoice.paid"):
        read_model_rows(1, date(2025, 1, 1), "ann", object(), None, event_type="invoice.paid")


def test_the_types_reaching_a_region_through_the_log_follow_from_their_rules():
    assert set(THROUGH_THE_LOG) == {
        "order.amended",
        "order.cancelled",
        "goods.received",
        "lease.terminated",
        "lease.reviewed",
        "invoice.received",
        "invoice.voided",
        "payment.made",
        "supplier.updated",
    }


def test_log_id_matches_the_document_codes():
    assert set(ID_FIELDS) == {"order", "lease", "receipt", "invoice", "payment"}


@pytest.mark.parametrize(
    "event_type, payload, line",
    [
        ("fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "7.2"}, "USD/CNY"),
        (
            "budget.revised",
            {"region": "CN", "year": 2025, "amount": 1, "currency": None},
            "CN 2025",
        ),
        (
            "budget.transferred",
            {"from_region": "CN", "to_region": "MY", "year": 2025},
            "CN -> MY 2025",
        ),
        ("policy.changed", {"policy": "budget_cap", "region": "CN"}, "budget_cap CN"),
        ("order.placed", {"order": "PO-1", "region": "CN", "supplier": "huawei"}, "PO-1"),
        ("goods.received", {"receipt": "GR-1", "order": "PO-1"}, "GR-1"),
        ("invoice.received", {"invoice": "INV-1", "order": "PO-1", "lease": None}, "INV-1"),
        ("payment.made", {"payment": "PAY-1", "invoice": "INV-1"}, "PAY-1"),
        ("lease.signed", {"lease": "L-1", "region": "MY"}, "L-1"),
        ("period.closed", {"region": "CN", "through": "2025-03-31"}, "CN"),
    ],
)
def test_the_recorded_line_names_the_subject(event_type, payload, line):
    assert subject(event_type, payload) == line


class _Log:
    def order_region(self, order):
        return {"PO-1": "CN"}.get(order)

    def lease_region(self, lease):
        return {"L-1": "MY"}.get(lease)

    def invoice_region(self, invoice):
        return {"INV-1": "CN", "INV-9": "MY"}.get(invoice)

    def currency_regions(self, currency):
        return {"CNY": ["CN"], "USD": ["MY", "US"]}.get(currency, [])

    def supplier_regions(self, supplier):
        return {"nvidia": ["MY", "CN"]}.get(supplier, [])


@pytest.mark.parametrize(
    "event_type, payload, regions",
    [
        ("goods.received", {"order": "PO-1"}, ("CN",)),
        ("invoice.received", {"order": "PO-1", "lease": None}, ("CN",)),
        ("invoice.received", {"lease": "L-1"}, ("MY",)),
        ("invoice.voided", {"invoice": "INV-9"}, ("MY",)),
        ("payment.made", {"invoice": "INV-1"}, ("CN",)),
        ("budget.transferred", {"from_region": "CN", "to_region": "MY"}, ("CN", "MY")),
        ("region.updated", {"region": "MY"}, ("MY",)),
        ("supplier.updated", {"supplier": "nvidia"}, ("CN", "MY")),
        ("supplier.updated", {"supplier": "nobody"}, ()),
        ("approval.granted", {"event_id": "x"}, ()),
        ("fx.rate_set", {"base": "USD", "quote": "CNY"}, ("MY", "US", "CN")),
    ],
)
def test_the_later_life_of_a_document_touches_its_region(event_type, payload, regions):
    assert touches(event_type, payload, _Log()) == regions
