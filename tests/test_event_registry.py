"""Every event type is known to every part of the house that must decide about it: a type that a
part forgot would fail open (a type that touched no region would slip past closed books)."""

from __future__ import annotations

import pytest

from ledger.events import PAYLOAD_TYPES
from ledger.semantics.periods import TOUCHES, touches


def test_every_event_type_says_which_regions_it_touches():
    assert set(TOUCHES) == set(PAYLOAD_TYPES)


def test_a_type_without_a_rule_is_refused_not_waved_through():
    with pytest.raises(LookupError, match="invoice.paid"):
        touches("invoice.paid", {}, None)


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
