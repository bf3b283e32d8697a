"""Closed periods (SPEC §4.6): closed-through dates in log order, and which regions an event touches.

Pure functions over values already read: the entry guard (ledger.rules, through ledger.current),
`period list`, and the restatement diffs all call these, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

CLOSED, REOPENED = "period.closed", "period.reopened"
PERIOD_TYPES = (CLOSED, REOPENED)
# The types whose payload names the region they touch.
REGION_FIELD_TYPES = frozenset({"order.placed", "lease.signed", "budget.revised", "policy.changed"})
ORDER_CHANGE_TYPES = frozenset({"order.amended", "order.cancelled"})
LEASE_CHANGE_TYPES = frozenset({"lease.terminated", "lease.reviewed"})
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


def touches(
    event_type: str,
    payload: Mapping,
    order_region: Callable[[str], str | None],
    lease_region: Callable[[str], str | None],
    currency_regions: Callable[[str], Iterable[str]],
) -> tuple[str, ...]:
    """The regions an event touches (each once): its payload's region; the region of the order
    or lease it amends, cancels, terminates or reviews; for a rate, every region whose currency
    is the base or the quote. Region, supplier and period events touch none. (Tuples, not sets:
    this runs for every event appended.)"""
    if event_type in REGION_FIELD_TYPES:
        return (payload["region"],)
    if event_type in ORDER_CHANGE_TYPES:
        region = order_region(payload["order"])
        return (region,) if region else ()
    if event_type in LEASE_CHANGE_TYPES:
        region = lease_region(payload["lease"])
        return (region,) if region else ()
    if event_type == RATE_TYPE:
        # A pair's two currencies differ, so no region is named twice.
        return (*currency_regions(payload["base"]), *currency_regions(payload["quote"]))
    return ()


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
