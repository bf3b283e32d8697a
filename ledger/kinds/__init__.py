"""The registry of event types: one entry (a Kind) per type, declared in the module of its family,
naming everything the house must know of it — its model, its subject, the regions it touches, its
checks at entry, what block-mode policies judge of it, its read-model rows and the documents a
batch reads for it.

The checks at entry (ledger.rules), the read models (ledger.projections.apply), the write
transaction's lookups (ledger.current), closed books, `log --region`, `log --id`, `diff events`
and the recorded line all look a type up here; none of them matches on type names. An unknown
type is refused (LookupError), never waved through.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledger.kinds import (
    approvals,
    budgets,
    leases,
    orders,
    p2p,
    periods,
    policies,
    rates,
    regions,
)
from ledger.kinds.base import Held, Kind, Subject
from ledger.semantics.periods import THROUGH_THE_LOG as _THROUGH_THE_LOG_RULES
from ledger.semantics.periods import Lookups

FAMILIES = (regions, rates, budgets, orders, leases, policies, periods, p2p, approvals)

KINDS: dict[str, Kind] = {kind.type: kind for family in FAMILIES for kind in family.KINDS}


def kind_of(event_type: str) -> Kind:
    """The registry's entry for a type; LookupError naming the type when it has none."""
    try:
        return KINDS[event_type]
    except KeyError:
        raise LookupError(f"{str(event_type)[:40]!r} is not a registered event type") from None


def touches(event_type: str, payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """The regions an event touches (each once), by its type's rule: its payload's
    region (or both regions of a transfer); the region of the order, lease or invoice it changes,
    receives, bills, voids or pays; for a rate, every region whose currency is the base or the
    quote; for a supplier's update, every region with an order or lease of that supplier. Region
    openings, supplier registrations, approvals and period events touch none."""
    try:
        rule = KINDS[event_type].touches
    except KeyError:
        raise LookupError(f"no rule says which regions a {event_type!r} event touches") from None
    return rule(payload, log)


def subject(event_type: str, payload: Mapping) -> str:
    """What an event is about, for people: PO-1, USD/CNY, CN 2025, min_domestic_share CN."""
    return kind_of(event_type).subject.line.format_map(payload)


def _union(fields: list[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for names in fields for name in names))


# The code fields `log --id CODE` matches, over every type.
ID_FIELDS = _union([kind.subject.ids for kind in KINDS.values()])
# The document fields a batch of stored payloads (whose types are not at hand) is prefetched by.
PREFETCH_FIELDS = _union([kind.prefetch for kind in KINDS.values()])
# The types that touch a region through the log (a document, a supplier), which `log --region`
# keeps whatever their payload names.
THROUGH_THE_LOG = tuple(
    event_type for event_type, kind in KINDS.items() if kind.touches in _THROUGH_THE_LOG_RULES
)

__all__ = [
    "ID_FIELDS",
    "KINDS",
    "PREFETCH_FIELDS",
    "THROUGH_THE_LOG",
    "Held",
    "Kind",
    "Subject",
    "kind_of",
    "subject",
    "touches",
]
