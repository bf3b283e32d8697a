"""Policy state over time: each policy's settings at a date, and the date since which
it has been enabled without a break.

A policy is identified by (policy, region, subject), subject being its supplier or sku or ''.
Its settings at D are those of its latest `policy.changed` by (effective, seq) with
effective ≤ D; switching it off and on again restarts its effective date (`since`). The
compliance report, `policy list`, the report's policy series and block mode at entry all take
their states from policy_states.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any


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
    # three_way_match: the share by which an invoice may exceed the order's price.
    tolerance: Decimal | None = None

    def describe(self) -> str:
        """`budget_cap (block) of region CN`, naming the supplier or sku where there is one."""
        subject = f" {self.subject}" if self.subject else ""
        return f"{self.policy}{subject} ({self.mode}) of region {self.region}"


def policy_states(changes: Iterable[Mapping[Any, Any]]) -> list[PolicyState]:
    """The state of each policy after `changes` (rows of the policies read model as mappings,
    all with effective ≤ the date asked and within the knowledge limit), sorted by policy,
    region and subject."""
    order = itemgetter("policy", "region", "subject", "effective", "seq")
    states = []
    for _, group in groupby(
        sorted(changes, key=order), key=itemgetter("policy", "region", "subject")
    ):
        since = None
        for change in group:
            since = _since(since, change)
            latest = change
        states.append(_state(latest, since))
    return states


def _since(before: date | None, change: Mapping[Any, Any]) -> date | None:
    """The policy's effective date after `change`, `before` being the one before it: a
    disabling change ends it, the first enabling change after one starts it again."""
    if not change["enabled"]:
        return None
    return change["effective"] if before is None else before


def _state(latest: Mapping[Any, Any], since: date | None) -> PolicyState:
    return PolicyState(
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
        tolerance=latest.get("tolerance"),
    )


class PolicyHistory:
    """One policy's changes in (effective, seq) order with its state after each, so that its
    state at any date is one bisection away, however long its history. A change dated before
    later ones (a back-dated correction) recomputes the states from it on."""

    def __init__(self) -> None:
        self._changes: list[Mapping[Any, Any]] = []
        self._states: list[PolicyState] = []

    def add(self, change: Mapping[Any, Any]) -> None:
        at = bisect_right(self._changes, (change["effective"], change["seq"]), key=_order)
        self._changes.insert(at, change)
        since = self._states[at - 1].since if at else None
        del self._states[at:]
        for later in self._changes[at:]:
            since = _since(since, later)
            self._states.append(_state(later, since))

    def at(self, on: date) -> PolicyState | None:
        """The policy's state after its changes dated on or before `on` (None: none yet)."""
        count = bisect_right(self._changes, on, key=_effective)
        return self._states[count - 1] if count else None


_order = itemgetter("effective", "seq")
_effective = itemgetter("effective")


def enabled_states(changes: Iterable[Mapping[Any, Any]], on: date) -> list[PolicyState]:
    """The policies switched on at `on`, from any changes (those dated after it are left out)."""
    return [
        state
        for state in policy_states(change for change in changes if change["effective"] <= on)
        if state.enabled
    ]
