"""Policies over time (SPEC §4.5): each policy's settings at a date, the date since which it has
been enabled without a break, and the block-mode checks that reject an event at entry (§3.1).

A policy is identified by (policy, region, subject), subject being its supplier or sku or ''.
Its settings at D are those of its latest `policy.changed` by (effective, seq) with
effective ≤ D; switching it off and on again restarts its effective date (`since`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, select

from ledger import schema
from ledger.dates import payment_dates
from ledger.errors import LedgerError, ValidationError
from ledger.events import LeaseSigned, NewEvent, OrderAmended, OrderPlaced
from ledger.known import Known
from ledger.money import canonical_decimal, round_half_up
from ledger.projections.queries import booked_rate, budget_amount, committed


@dataclass(frozen=True)
class PolicyState:
    """One policy as of a date: the settings of its latest change and since when it is on."""

    policy: str
    region: str
    subject: str
    mode: str
    enabled: bool
    threshold: Decimal | None
    basis: str | None
    # The policy's effective date: the first enabling change after the last disabling one;
    # None while it is switched off.
    since: date | None
    # The effective date and seq of the change that gave the current settings.
    changed: date
    seq: int

    def describe(self) -> str:
        """`budget_cap (block) of region CN`, naming the supplier or sku where there is one."""
        subject = f" {self.subject}" if self.subject else ""
        return f"{self.policy}{subject} ({self.mode}) of region {self.region}"


def policies_as_of(
    connection: Connection, as_of: date, upto_seq: int | None, *, region: str | None = None
) -> list[PolicyState]:
    """Every policy set by as_of (enabled or not), sorted by policy, region and subject."""
    policies = schema.policies
    query = select(policies).where(policies.c.effective <= as_of)
    if upto_seq is not None:
        query = query.where(policies.c.seq <= upto_seq)
    if region is not None:
        query = query.where(policies.c.region == region)
    return policy_states(row._mapping for row in connection.execute(query))


def policy_states(changes: Iterable[Mapping[str, Any]]) -> list[PolicyState]:
    """The state of each policy after `changes` (the policies read model's rows as mappings, all
    already within the as-of date and knowledge limit), sorted by policy, region and subject."""
    order = itemgetter("policy", "region", "subject", "effective", "seq")
    states = []
    for _, group in groupby(
        sorted(changes, key=order), key=itemgetter("policy", "region", "subject")
    ):
        since = None
        for change in group:
            if not change["enabled"]:
                since = None
            elif since is None:
                since = change["effective"]
            latest = change
        states.append(
            PolicyState(
                policy=latest["policy"],
                region=latest["region"],
                subject=latest["subject"],
                mode=latest["mode"],
                enabled=latest["enabled"],
                threshold=latest["threshold"],
                basis=latest["basis"],
                since=since,
                changed=latest["effective"],
                seq=latest["seq"],
            )
        )
    return states


def enabled_policies(
    connection: Connection, as_of: date, upto_seq: int | None, *, region: str | None = None
) -> list[PolicyState]:
    """The policies in force and switched on at as_of."""
    return [
        state
        for state in policies_as_of(connection, as_of, upto_seq, region=region)
        if state.enabled
    ]


def policy_rows(
    connection: Connection, *, as_of: date, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """`ledger policy list`: one row per policy set by as_of, enabled or not."""
    return [
        _policy_row(state) for state in policies_as_of(connection, as_of, upto_seq, region=region)
    ]


def _policy_row(state: PolicyState) -> dict[str, Any]:
    return {
        "policy": state.policy,
        "region": state.region,
        "subject": state.subject,
        "mode": state.mode,
        "enabled": state.enabled,
        "threshold": None if state.threshold is None else canonical_decimal(state.threshold),
        "basis": state.basis,
        "since": state.since,
        "changed": state.changed,
        "seq": state.seq,
    }


def policy_series(
    connection: Connection, *, region: str, policy: str, dates: Iterable[date], upto_seq: int | None
) -> dict[date, dict[str, Any] | None]:
    """For each date, the first (by subject) enabled `policy` of `region` in force then, as a
    policy_rows row, or None: the region's policy changes read once for all dates."""
    dates = sorted(set(dates))
    if not dates:
        return {}
    policies = schema.policies
    query = select(policies).where(
        policies.c.region == region, policies.c.policy == policy, policies.c.effective <= dates[-1]
    )
    if upto_seq is not None:
        query = query.where(policies.c.seq <= upto_seq)
    changes = [row._mapping for row in connection.execute(query)]
    found = {}
    for day in dates:
        states = policy_states(change for change in changes if change["effective"] <= day)
        state = next((state for state in states if state.enabled), None)
        found[day] = None if state is None else _policy_row(state)
    return found


def money(value: Decimal | Fraction | int, currency: str) -> str:
    """An amount for a message: rounded half up to cents, thousands separated."""
    return f"{round_half_up(value):,} {currency}"


# -- block mode at entry --------------------------------------------------------------------------


def check_block_policies(known: Known, event: NewEvent) -> None:
    """Reject an order.placed, order.amended or lease.signed that a block-mode policy in force at
    the event's effective date forbids (SPEC §3.1, §4.5). Full knowledge: the log as it is now,
    including the earlier lines of the same import."""
    payload = event.payload
    on = event.effective
    match payload:
        case OrderPlaced():
            region = payload.region
            restricted = {
                "restricted_supplier": ("supplier", payload.supplier),
                "restricted_sku": ("sku", payload.sku),
            }
            document = f"order {payload.order}"
        case LeaseSigned():
            region = payload.region
            restricted = {
                "restricted_supplier": ("lessor", payload.lessor),
                "restricted_sku": ("sku", payload.sku),
            }
            document = f"lease {payload.lease}"
        case OrderAmended():
            # Amendments change neither supplier nor sku: only a budget cap can block them.
            region = known.order(payload.order)["region"]
            restricted = {}
            document = f"order {payload.order}"
        case _:
            return
    if region not in known.policy_changes:
        return  # the common case: no policy at all for the region
    # The policies in force on `on` follow from the changes dated on or before it: a prefix of
    # the region's changes in date order, so its length identifies them.
    changes = known.policy_changes[region]
    prefix = bisect_right(changes, on, key=itemgetter("effective"))
    blocking = known.blocking.get((region, prefix))
    if blocking is None:
        blocking = known.blocking[region, prefix] = [
            state
            for state in policy_states(changes[:prefix])
            if state.enabled and state.mode == "block"
        ]
    for state in blocking:
        if state.policy in restricted:
            field, value = restricted[state.policy]
            if state.subject == value:
                raise ValidationError(
                    f"blocked by {state.describe()}, in force since {state.since.isoformat()}: "
                    f"{document} with {field} {value} is not allowed",
                    field,
                )
    if any(state.policy == "budget_cap" for state in blocking):
        # The cap is checked against committed(), which reads the read models: the rows of the
        # events appended before this one must be in the database first.
        known.before_sql()
        _check_budget_cap(known.connection, event, region, document)


def _check_budget_cap(connection: Connection, event: NewEvent, region: str, document: str) -> None:
    """For each year the event charges that has a budget recorded as of its date E: refuse it when
    it raises committed as of E and leaves it above the budget as of E."""
    on = event.effective
    currency = connection.execute(
        select(schema.regions.c.currency).where(schema.regions.c.region == region)
    ).scalar_one()
    field = "lease" if isinstance(event.payload, LeaseSigned) else "order"
    for year, added in sorted(_added_commitment(connection, event.payload, on, currency).items()):
        if added <= 0:
            continue  # lowering (or keeping) a commitment is always allowed
        recorded = budget_amount(connection, region, year, on, None)
        if recorded is None:
            continue
        budget = Fraction(recorded)
        after = committed(connection, region, year, on, None) + added
        if after > budget:
            raise ValidationError(
                f"blocked by budget_cap (block) of region {region} for {year}: "
                f"budget {money(budget, currency)}, committed would be {money(after, currency)}, "
                f"over by {money(after - budget, currency)} ({document} adds {money(added, currency)})",
                field,
            )


def _added_commitment(
    connection: Connection, payload, on: date, currency: str
) -> dict[int, Fraction]:
    """What the event adds to committed(R, Y) as of its date, per budget year Y, in the region's
    currency at the booked rate."""
    match payload:
        case OrderPlaced():
            rate = _rate(connection, payload.currency, currency, on)
            return {on.year: payload.quantity * Fraction(payload.unit_price) * rate}
        case LeaseSigned():
            rate = _rate(connection, payload.currency, currency, on)
            added: dict[int, Fraction] = defaultdict(Fraction)
            for due in payment_dates(payload.start, payload.months):
                added[due.year] += Fraction(payload.monthly_payment) * rate
            return added
        case OrderAmended():
            order = connection.execute(
                select(schema.orders).where(schema.orders.c.order_id == payload.order)
            ).one()
            quantity, unit_price = _order_terms(connection, order, on)
            new_quantity = quantity if payload.quantity is None else payload.quantity
            new_price = unit_price if payload.unit_price is None else payload.unit_price
            rate = _rate(connection, order.currency, currency, order.effective)
            change = (new_quantity * Fraction(new_price) - quantity * Fraction(unit_price)) * rate
            return {order.year: change}
    return {}


def _order_terms(connection: Connection, order, on: date) -> tuple[int, Decimal]:
    """The order's quantity and unit price as of `on`: each overridden by the latest amendment
    that names it (SPEC §4.2). The caller has checked the order is not cancelled."""
    changes = schema.order_changes
    quantity, unit_price = order.quantity, order.unit_price
    amendments = connection.execute(
        select(changes.c.quantity, changes.c.unit_price)
        .where(
            changes.c.order_id == order.order_id,
            changes.c.kind == "amended",
            changes.c.effective <= on,
        )
        .order_by(changes.c.effective, changes.c.seq)
    )
    for amendment in amendments:
        if amendment.quantity is not None:
            quantity = amendment.quantity
        if amendment.unit_price is not None:
            unit_price = amendment.unit_price
    return quantity, unit_price


def _rate(connection: Connection, currency: str, region_currency: str, on: date) -> Fraction:
    rate = booked_rate(connection, currency, region_currency, on, None)
    if rate is None:
        raise LedgerError(f"no {currency}/{region_currency} rate is in force on {on.isoformat()}")
    return rate
