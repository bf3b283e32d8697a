"""Validation at entry: an event must fit what the log already knows at its date —
references and lifecycle, closed books (§4.6) and block-mode policies (§4.5).

Each type's own checks are its entry in the registry (ledger.kinds); this module runs them in
their order and holds what is common to every type: closed books, the block-mode policies in
force and the one place an approval lifts their refusal. Checks ask `CurrentLog`, which holds the
log's state inside the append transaction (including the events appended earlier in it), so an
event may refer to an earlier event of the same import file. Every check looks at the event's own
effective date. The rules themselves (policy state, order state, lease schedule, booked rate,
closed periods) are in ledger.semantics; a budget cap reads committed and the budget through
ledger.reads, at full knowledge.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from ledger.chain import event_digest
from ledger.current import CurrentLog
from ledger.errors import BlockedError, UnapprovedError, ValidationError
from ledger.events import NewEvent
from ledger.kinds import Held, kind_of, touches
from ledger.kinds.base import Commitment, blocked_by
from ledger.money import money
from ledger.reads.rates import rate_book
from ledger.reads.regions import budget_amount
from ledger.reads.totals import committed
from ledger.semantics.periods import closed_against, closed_message
from ledger.semantics.policies import PolicyState


def check_event(current: CurrentLog, event: NewEvent) -> None:
    """Raise ValidationError, naming the field, if the event does not fit the log."""
    # The order of the checks: types and ranges (parsing), references and lifecycle (the type's
    # own checks), closed books, block-mode policies (with the approval that may lift their
    # refusal).
    kind_of(event.type).check(current, event.payload, event.effective, event.reason)
    check_closed_books(current, event)
    try:
        check_block_policies(current, event)
    except BlockedError as blocked:
        lift_or_refuse(current, event, blocked)


# -- approvals ------------------------------------------------------------------------


def digest_of(event: NewEvent) -> str:
    """digest(E): the event's type, effective date and payload as stored."""
    return event_digest(event.type, event.effective.isoformat(), event.payload.canonical())


def lift_or_refuse(current: CurrentLog, event: NewEvent, blocked: BlockedError) -> None:
    """The one place a block-mode refusal is lifted: the log holds an approval of this event_id,
    for this exact version (digest), by someone other than the event's actor. Otherwise the
    refusal names the event_id and digest, and how to have it approved."""
    digest = digest_of(event)
    approval = current.approval_for(event.event_id)
    why = None
    if approval is not None:
        if approval["digest"] != digest:
            why = (
                f"approval {approval['approval']} names this event_id for another version of "
                f"the event (digest {approval['digest']}); a changed event needs a new event_id "
                "and an approval of its own"
            )
        elif approval["actor"] == event.actor:
            why = (
                f"approval {approval['approval']} is by {approval['actor']}, who records this "
                "event too; someone other than the approver must record it (four eyes)"
            )
        else:
            return
    raise UnapprovedError(blocked, event.event_id, digest, why)


def check_closed_books(current: CurrentLog, event: NewEvent) -> None:
    """Refuse an event touching a region whose books are closed through its effective date or
    later. One in-memory lookup per event while no region is closed."""
    if not current.periods:
        return
    regions = touches(event.type, event.payload.__dict__, current)
    state = closed_against(regions, event.effective, current.periods)
    if state is not None:
        raise ValidationError(closed_message(state, event.effective), "effective")


# -- block mode -----------------------------------------------------------------------------------


def check_block_policies(current: CurrentLog, event: NewEvent) -> None:
    """Reject an event that a block-mode policy in force at its effective date forbids: what the
    policies judge of it is its type's `block` in the registry (an order placed or amended, a
    lease signed, a payment). Full knowledge: the log as it is now, including the earlier lines
    of the same import."""
    payload = event.payload
    held = kind_of(event.type).block(current, payload)
    if held is None or held.region not in current.policy_history:
        return  # the common case: no policy at all for the region
    on = event.effective
    blocking = blocking_policies(current, held.region, on)
    for state in blocking:
        if state.policy in held.restricted:
            field, value = held.restricted[state.policy]
            if state.subject == value:
                raise BlockedError(
                    f"{blocked_by(state)}: {held.document} with {field} {value} is not allowed",
                    field,
                )
    for state in blocking:
        judge = held.judges.get(state.policy)
        if judge is not None:
            judge(current, payload, on, state)
    commitment = held.commitment
    if commitment is not None and any(state.policy == "budget_cap" for state in blocking):
        # The cap is checked against committed(), which reads the read models: the rows of the
        # events appended before this one must be in the database first.
        current.before_sql()
        _check_budget_cap(current, event, held, commitment)


def blocking_policies(current: CurrentLog, region: str, on: date) -> list[PolicyState]:
    """The region's block-mode policies in force on `on`, in the order of policy_states (by
    policy and subject): each policy's state there is one look-up in its history, and the list
    is kept per day until a policy changes."""
    blocking = current.blocking.get((region, on))
    if blocking is None:
        histories = current.policy_history[region]
        blocking = current.blocking[region, on] = [
            state
            for key in sorted(histories)
            if (state := histories[key].at(on)) is not None
            and state.enabled
            and state.mode == "block"
        ]
    return blocking


def _check_budget_cap(
    current: CurrentLog, event: NewEvent, held: Held, commitment: Commitment
) -> None:
    """For each year the event charges that has a budget recorded as of its date E: refuse it when
    it raises committed as of E and leaves it above the budget as of E. What it adds is in the
    region's currency at the booked rate (a new document: all of it; an amendment: the order's
    value after it less before)."""
    on = event.effective
    connection = current.connection
    region = held.region
    currency = current.regions[region]["currency"]
    rate = rate_book(connection, on, None)
    for year, added in sorted(commitment(current, event.payload, on, rate, currency).items()):
        if added <= 0:
            continue  # lowering (or keeping) a commitment is always allowed
        recorded = budget_amount(connection, region, year, on, None)
        if recorded is None:
            continue
        budget = Fraction(recorded)
        after = committed(connection, region, year, on, None) + added
        if after > budget:
            raise BlockedError(
                f"blocked by budget_cap (block) of region {region} for {year}: "
                f"budget {money(budget, currency)}, committed would be {money(after, currency)}, "
                f"over by {money(after - budget, currency)} ({held.document} adds {money(added, currency)})",
                held.field,
            )
