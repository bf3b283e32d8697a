"""Closed periods: closed-through dates in log order, and the rules by which an event
touches regions.

Pure functions over values already read: the entry guard (ledger.rules, through ledger.current),
`period list`, `log --region` and the restatement diffs all call these (each event type names
its touch rule in ledger.kinds), so the rule lives in one place.
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


# How an event finds the regions it touches: each event type names one of these rules in its
# entry of the registry (ledger.kinds), which has no default, so that no type touches nothing by
# being forgotten. (Tuples, not sets: a rule runs for every event appended.)
TouchRule = Callable[[Mapping, Lookups], tuple[str, ...]]


def no_region(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """Region openings, supplier registrations, approvals and period events touch none."""
    return ()


def own_region(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """The region the payload names."""
    return (payload["region"],)


def region_of_order(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """The region of the order it changes or receives."""
    return _one(log.order_region(payload["order"]))


def region_of_lease(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return _one(log.lease_region(payload["lease"]))


def region_of_invoice(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """The region of the invoice it voids or pays."""
    return _one(log.invoice_region(payload["invoice"]))


def region_of_billed_document(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """The region of the order or lease it bills."""
    if payload.get("order") is not None:
        return region_of_order(payload, log)
    return region_of_lease(payload, log)


def regions_of_rate(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """Every region whose currency is the base or the quote (a pair's two currencies differ, so
    no region is named twice)."""
    return (*log.currency_regions(payload["base"]), *log.currency_regions(payload["quote"]))


def regions_of_transfer(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    return (payload["from_region"], payload["to_region"])


def regions_of_supplier(payload: Mapping, log: Lookups) -> tuple[str, ...]:
    """Every region with an order or lease of the supplier (its master data changes there)."""
    return tuple(sorted(set(log.supplier_regions(payload["supplier"]))))


# The rules that reach a region through the log (a document, a supplier), not through the
# payload's own fields: `log --region` keeps every event of a type with one of these.
THROUGH_THE_LOG: frozenset[TouchRule] = frozenset(
    (
        region_of_order,
        region_of_lease,
        region_of_invoice,
        region_of_billed_document,
        regions_of_supplier,
    )
)


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
    assert through is not None  # a state that closes books has a date
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
