"""A policy's history answers its state at any date as the fold over all its changes does.

Block mode asks, for every order, lease and payment, which policies of its region are in force
on its date. The writer keeps each policy's changes with its state after each one
(`PolicyHistory`), so the answer is one bisection; the definition is `policy_states` over the
changes dated on or before that day. These properties hold the two equal on random histories:
changes recorded in any order (back-dated ones among them), switched on and off, in both modes,
on the same day more than once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.semantics.policies import PolicyHistory, policy_states

START = date(2025, 1, 1)

change = st.fixed_dictionaries(
    {
        "day": st.integers(0, 40),
        "enabled": st.booleans(),
        "mode": st.sampled_from(["warn", "block"]),
        "threshold": st.sampled_from([None, Decimal("0.3"), Decimal("0.5")]),
    }
)


def rows(drawn: list[dict]) -> list[dict]:
    """The read-model rows of the drawn changes, seq in the order they were recorded."""
    return [
        {
            "policy": "min_domestic_share",
            "region": "CN",
            "subject": "",
            "mode": item["mode"],
            "enabled": item["enabled"],
            "threshold": item["threshold"],
            "basis": "value",
            "tolerance": None,
            "effective": START + timedelta(days=item["day"]),
            "seq": seq,
        }
        for seq, item in enumerate(drawn, start=1)
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(change, max_size=25))
def test_the_state_at_every_day_is_the_fold_of_the_changes_dated_by_then(drawn):
    changes = rows(drawn)
    history = PolicyHistory()
    for row in changes:  # in seq order: a later seq may be dated before earlier ones
        history.add(row)
    for offset in range(-1, 43):
        day = START + timedelta(days=offset)
        expected = policy_states([row for row in changes if row["effective"] <= day])
        assert history.at(day) == (expected[0] if expected else None), day


@settings(max_examples=100, deadline=None)
@given(st.lists(change, min_size=1, max_size=25), st.data())
def test_the_answer_does_not_depend_on_the_order_the_changes_arrive_in(drawn, data):
    changes = rows(drawn)
    shuffled = data.draw(st.permutations(changes))
    first, second = PolicyHistory(), PolicyHistory()
    for row in changes:
        first.add(row)
    for row in shuffled:
        second.add(row)
    for offset in range(-1, 43):
        day = START + timedelta(days=offset)
        assert first.at(day) == second.at(day), day


def test_switching_a_policy_off_and_on_again_restarts_its_effective_date():
    history = PolicyHistory()
    for seq, (day, enabled) in enumerate([(1, True), (5, True), (9, False), (12, True)], 1):
        history.add(
            {
                "policy": "budget_cap",
                "region": "CN",
                "subject": "",
                "mode": "block",
                "enabled": enabled,
                "threshold": None,
                "basis": None,
                "effective": START + timedelta(days=day),
                "seq": seq,
            }
        )
    assert history.at(START) is None
    assert history.at(START + timedelta(days=7)).since == START + timedelta(days=1)
    assert history.at(START + timedelta(days=10)).since is None
    assert history.at(START + timedelta(days=20)).since == START + timedelta(days=12)
