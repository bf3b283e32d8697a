"""Policy state over time: each policy's settings at a date, and the date since which
it has been enabled without a break.

A policy is identified by (policy, region, subject), subject being its supplier or sku or ''.
Its settings at D are those of its latest `policy.changed` by (effective, seq) with
effective ≤ D; switching it off and on again restarts its effective date (`since`). The
compliance report, `policy list`, the report's policy series and block mode at entry all take
their states from policy_states.
"""

from __future__ import annotations

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
                tolerance=latest.get("tolerance"),
            )
        )
    return states


def enabled_states(changes: Iterable[Mapping[Any, Any]], on: date) -> list[PolicyState]:
    """The policies switched on at `on`, from any changes (those dated after it are left out)."""
    return [
        state
        for state in policy_states(change for change in changes if change["effective"] <= on)
        if state.enabled
    ]
