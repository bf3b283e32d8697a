"""Policies as of a date (`policy list`, the report's policy series, compliance): the policies read
model's rows within the limit, turned into states by ledger.semantics.policies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from ledger import schema
from ledger.money import canonical_decimal
from ledger.semantics.policies import PolicyState, enabled_states, policy_states
from ledger.sql import visible


def policies_as_of(
    connection: Connection, as_of: date, upto_seq: int | None, *, region: str | None = None
) -> list[PolicyState]:
    """Every policy set by as_of (enabled or not), sorted by policy, region and subject."""
    policies = schema.policies
    query = select(policies).where(*visible(policies, as_of, upto_seq))
    if region is not None:
        query = query.where(policies.c.region == region)
    return policy_states(row._mapping for row in connection.execute(query))


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
        "tolerance": None if state.tolerance is None else canonical_decimal(state.tolerance),
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
        policies.c.region == region,
        policies.c.policy == policy,
        *visible(policies, dates[-1], upto_seq),
    )
    changes = [row._mapping for row in connection.execute(query)]
    found = {}
    for day in dates:
        state = next(iter(enabled_states(changes, day)), None)
        found[day] = None if state is None else _policy_row(state)
    return found
