"""Closed periods (SPEC §4.6): closed-through dates in log order, and which regions an event touches.

Pure functions over values already read: the entry guard (ledger.rules, through ledger.current),
`period list`, and the restatement diffs all call these, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

CLOSED, REOPENED = "period.closed", "period.reopened"
PERIOD_TYPES = (CLOSED, REOPENED)
RATE_TYPE = "fx.rate_set"


@dataclass(frozen=True)
class PeriodState:
    """A region's books after its latest period event (within some knowledge limit)."""

    region: str
    closed_through: date | None  # None: open
    seq: int  # the latest period event of the region
    type: str
    close_seq: int | None  # the latest period.closed of the region


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def next_state(
    state: PeriodState | None, seq: int, event_type: str, payload: Mapping
) -> PeriodState:
    """The state after one more period event, taken in log (seq) order whatever its effective
    date: closing is a fact of when the books were closed."""
    through = _day(payload.get("through"))
    close_seq = seq if event_type == CLOSED else (state.close_seq if state else None)
    return PeriodState(payload["region"], through, seq, event_type, close_seq)


def period_states(events: Iterable[tuple[int, str, Mapping]]) -> dict[str, PeriodState]:
    """Region → its state, from (seq, type, payload) of period events in seq order."""
    states: dict[str, PeriodState] = {}
    for seq, event_type, payload in events:
        if event_type in PERIOD_TYPES:
            region = payload["region"]
            states[region] = next_state(states.get(region), seq, event_type, payload)
    return states


class Lookups(Protocol):
    """What `touches` asks of the log: the region of a document, the regions of a currency, the
    regions whose orders or leases name a supplier. Each returns None / () when it knows none."""

    def order_region(self, order: str) -> str | None: ...
    def lease_region(self, lease: str) -> str | None: ...
    def invoice_region(self, invoice: str) -> str | None: ...
    def currency_regions(self, currency: str) -> Iterable[str]: ...
    def supplier_regions(self, supplier: str) -> Iterable[str]: ...


def _one(region: str | None) -> tuple[str, ...]:
    return (region,) if region else ()


def _named(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return (payload["region"],)


def _of_order(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return _one(log.order_region(payload["order"]))


def _of_lease(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return _one(log.lease_region(payload["lease"]))


def _of_invoice(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return _one(log.invoice_region(payload["invoice"]))


def _of_billed_document(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    if payload.get("order") is not None:
        return _of_order(payload, log)
    return _of_lease(payload, log)


def _of_rate(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    # A pair's two currencies differ, so no region is named twice.
    return (*log.currency_regions(payload["base"]), *log.currency_regions(payload["quote"]))


def _of_transfer(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return (payload["from_region"], payload["to_region"])


def _of_supplier(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return tuple(sorted(set(log.supplier_regions(payload["supplier"]))))


def _none(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return ()


# Every event type, and how to find the regions it touches. A type missing here is refused by
# `touches` (and a test walks the registry of payload models against it): a type that silently
# touched no region would slip past closed books.
TOUCHES: dict[str, Callable[[Mapping, Lookups], tuple[str, ...]]] = {
    "region.opened": _none,
    "supplier.registered": _none,
    "approval.granted": _none,
    CLOSED: _none,
    REOPENED: _none,
    "order.placed": _named,
    "lease.signed": _named,
    "budget.revised": _named,
    "policy.changed": _named,
    "region.updated": _named,
    "order.amended": _of_order,
    "order.cancelled": _of_order,
    "goods.received": _of_order,
    "lease.terminated": _of_lease,
    "lease.reviewed": _of_lease,
    "invoice.received": _of_billed_document,
    "invoice.voided": _of_invoice,
    "payment.made": _of_invoice,
    RATE_TYPE: _of_rate,
    "budget.transferred": _of_transfer,
    "supplier.updated": _of_supplier,
}


def touches(event_type: str, payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """The regions an event touches (each once): its payload's region (or both regions of a
    transfer); the region of the order, lease or invoice it changes, receives, bills, voids or
    pays; for a rate, every region whose currency is the base or the quote; for a supplier's
    update, every region with an order or lease of that supplier. Region openings, supplier
    registrations, approvals and period events touch none. (Tuples, not sets: this runs for
    every event appended.)"""
    try:
        rule = TOUCHES[event_type]
    except KeyError:
        raise LookupError(f"no rule says which regions a {event_type!r} event touches") from None
    return rule(payload, log)


def closed_against(
    regions: Iterable[str], effective: date, states: Mapping[str, PeriodState]
) -> PeriodState | None:
    """The state of the first region (by code) among `regions` whose books are closed through a
    date on or after `effective`; None when the event may be recorded."""
    closed = [
        state
        for state in map(states.get, regions)
        if state is not None
        and state.closed_through is not None
        and effective <= state.closed_through
    ]
    return min(closed, key=lambda state: state.region) if closed else None


def closed_message(state: PeriodState, effective: date) -> str:
    """One line naming the region, the date, the close and the command that reopens it."""
    through = state.closed_through
    by = (
        f"seq {state.seq}"
        if state.type == CLOSED
        else (f"seq {state.seq}, a partial reopening after the close at seq {state.close_seq}")
    )
    # Reopen back to the day before the event; an event dated 0001-01-01 has no day before it,
    # so the whole period must be reopened.
    keep = (
        f" --through {date.fromordinal(effective.toordinal() - 1).isoformat()}"
        if effective > date.min
        else ""
    )
    return (
        f"the books of region {state.region} are closed through {through.isoformat()} ({by}), "
        f"and this event dated {effective.isoformat()} touches them; to restate, first run "
        f"`ledger period reopen {state.region}{keep} --reason TEXT`"
    )
