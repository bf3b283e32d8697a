"""For any valid event stream with policies of every kind, the compliance report equals SPEC §4.5
applied literally to the log, and block mode at entry accepts and refuses exactly the events
SPEC §3.1 and §4.5 say it must: both written plainly here (over tests/streams.py's Replay),
independent of ledger.semantics, ledger.reads and ledger.rules."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streams import (
    LAST_DAY,
    REGIONS,
    SKUS,
    SUPPLIERS,
    ClosedBooks,
    Later,
    Replay,
    add_months,
    as_event,
    bucket_blocks,  # noqa: F401 (a fixture, used by name)
    later,
    operations,
    pick,
    place,
    policy_changes,
    questions,
    record_world,
    reviews,
    spend_operations,
)

from ledger.app import Knowledge, Ledger
from ledger.errors import LedgerError

# Long runs (many random streams, several processes): left out of the inner loop.
pytestmark = pytest.mark.slow

STATUS_ORDER = {"violation": 0, "pending": 1, "ok": 2}
# Cheaper per example than the report properties (one report per question), so more of them.
EXAMPLES = {"sqlite": 150, "postgres": 30}
WARN_ONLY = ("min_domestic_share",)

# Policies of every kind in either mode, and reviews of leases, among the usual operations.
with_policies = st.one_of(operations, operations, policy_changes(["warn", "block"]), reviews)
# Payments against three-way match and lease reviews in block mode.
# A match or review in block mode from the first day, so that many payments meet one.
from_the_start = st.tuples(
    st.just("policy"),
    st.sampled_from(["three_way_match", "lease_review"]),
    st.sampled_from(sorted(REGIONS)),
    st.just("block"),
    st.just(True),
    st.sampled_from(["0", "0.3"]),
    st.none(),
    st.none(),
    st.none(),
    st.just(date(2025, 1, 1)),
)
# Mostly orders, leases, receipts, invoices and payments, so that payments meet exceptions and
# unreviewed leases often.
paying = st.tuples(st.just("pay"), pick, st.sampled_from(["1", "0.5"]), later)
billing = st.tuples(
    st.just("invoice"),
    pick,
    st.sampled_from(["order", "order", "lease"]),
    st.integers(1, 12),
    st.sampled_from(["1", "1.01", "1.5"]),
    later,
)
early_days = st.integers(0, 24).map(lambda k: date(2025, 1, 1) + timedelta(days=15 * k))
signing = st.tuples(
    st.just("sign"),
    st.sampled_from(sorted(REGIONS)),
    st.just("dcprov"),
    st.integers(1, 50),
    early_days,
    st.integers(1, 14),
    st.sampled_from(["100", "99.99"]),
    st.sampled_from(["USD", "CNY"]),
    early_days,
    st.sampled_from(SKUS),
)
with_payment_policies = st.one_of(
    place,
    place,
    signing,
    st.tuples(st.just("receive"), pick, st.integers(1, 12), later),
    billing,
    billing,
    paying,
    paying,
    paying,
    from_the_start,
    reviews,
    spend_operations,
    policy_changes(["block"], ["three_way_match", "lease_review"]),
    operations,
)
# Block-mode policies (and budgets to cap) often, so that entry checks refuse events; now and
# then a warn-only kind in block mode, which is refused as invalid. Many documents of one region
# and year, so that a budget cap meets commitments already there.
days_2025 = st.integers(0, 24).map(lambda k: date(2025, 1, 1) + timedelta(days=15 * k))
with_block_policies = st.one_of(
    st.tuples(
        st.just("place"),
        st.just("CN"),
        st.sampled_from(sorted(SUPPLIERS)),
        st.integers(1, 20),
        st.sampled_from(["1000", "99.99", "2500", "10"]),
        st.sampled_from(["CNY", "USD"]),
        days_2025,
        st.sampled_from(SKUS),
    ),
    st.tuples(
        st.just("budget"),
        st.sampled_from(["CN", "CN", "MY"]),
        st.just(2025),
        st.sampled_from(["20000", "50000", "1000", "250000.5", "0"]),
        days_2025,
    ),
    st.tuples(
        st.just("policy"),
        st.just("budget_cap"),
        st.just("CN"),
        st.just("block"),
        st.sampled_from([True, True, False]),
        st.none(),
        st.none(),
        st.none(),
        st.none(),
        days_2025,
    ),
    # Raising one field of an order whose other field an earlier amendment changed.
    st.tuples(st.just("amend"), pick, st.integers(2, 20), st.none(), later),
    st.tuples(st.just("amend"), pick, st.none(), st.sampled_from(["2500", "10"]), later),
    policy_changes(["block"], ["restricted_supplier", "restricted_sku", "budget_cap"]),
    policy_changes(["block"]),
    operations,
)


# -- SPEC §4.5, literally -------------------------------------------------------------------------


def policies_in_force(replay: Replay) -> dict[tuple, tuple[dict, date | None]]:
    """(policy, region, subject) → (its latest change, the date since which it has been enabled
    without a break, or None) after the policy changes the replay applied."""
    states: dict[tuple, tuple[dict, date | None]] = {}
    for effective, change in replay.policy_changes:
        key = (
            change["policy"],
            change["region"],
            change.get("supplier") or change.get("sku") or "",
        )
        _, since = states.get(key, (None, None))
        if not change["enabled"]:
            since = None
        elif since is None:
            since = effective
        states[key] = (change, since)
    return states


def literal_compliance(replay: Replay, as_of: date) -> list[tuple[str, str, str, str]]:
    """(policy, region, subject, status) of every row of the report, in the report's order."""
    year = as_of.year
    rows = []
    for (policy, region, subject), (change, since) in policies_in_force(replay).items():
        if not change["enabled"]:
            continue
        if policy == "min_domestic_share":
            basis = change.get("basis", "value")
            shares = [row for row in replay.shares(year, basis) if row["region"] == region]
            total = sum(Fraction(row[basis]) for row in shares)
            domestic = sum(Fraction(row[basis]) for row in shares if row["domestic"])
            below = total != 0 and domestic / total < Fraction(change["threshold"])
            rows.append((policy, region, str(year), "violation" if below else "ok"))
        elif policy == "budget_cap":
            (row,) = [row for row in replay.budget(year) if row["region"] == region]
            over = (region, year) in replay.budgets and row["remaining"] < 0
            rows.append((policy, region, str(year), "violation" if over else "ok"))
        elif policy in ("restricted_supplier", "restricted_sku"):
            field = "supplier" if policy == "restricted_supplier" else "sku"
            found = [
                order_id
                for order_id, order in replay.orders.items()
                if order["region"] == region
                and order[field] == subject
                and order["placed"] >= since
                and not order["cancelled"]
            ]
            field = "lessor" if policy == "restricted_supplier" else "sku"
            found += [
                lease_id
                for lease_id, lease in replay.leases.items()
                if lease["region"] == region
                and lease[field] == subject
                and lease["signed"] >= since
                and lease["terminated"] is None
            ]
            rows += [(policy, region, document, "violation") for document in found]
            if not found:
                rows.append((policy, region, subject, "ok"))
        elif policy == "lease_review":
            for lease_id, lease in replay.leases.items():
                if lease["region"] != region or lease["signed"] < since:
                    continue
                if lease["terminated"] is not None:
                    continue
                review = replay.reviews.get(lease_id)
                status = (
                    "pending"
                    if review is None
                    else "ok"
                    if review["outcome"] == "approved"
                    else "violation"
                )
                rows.append((policy, region, lease_id, status))
        elif policy == "three_way_match":
            found = [
                order_id
                for order_id, order in replay.orders.items()
                if order["region"] == region and exception(replay, order_id, change)
            ]
            rows += [(policy, region, order_id, "violation") for order_id in found]
            if not found:
                rows.append((policy, region, "invoices", "ok"))
    return sorted(rows, key=lambda row: (STATUS_ORDER[row[3]], row[0], row[1], row[2]))


def exception(replay: Replay, order_id: str, change: dict) -> bool:
    """SPEC §4.5's three-way match of one order, literally: matched when not cancelled and with
    a receipt or a counted invoice; an exception when r > q, iq > r or ia > iq × p × (1 + t)."""
    order = replay.orders[order_id]
    counted = replay.counted("order", order_id)
    if order["cancelled"] or not (order["received"] or counted):
        return False
    received = order["received"]
    billed = sum(invoice["quantity"] for invoice in counted)
    amount = sum(Fraction(invoice["amount"]) for invoice in counted)
    limit = billed * order["unit_price"] * (1 + Fraction(change.get("tolerance", "0")))
    return received > order["quantity"] or billed > received or amount > limit


# -- SPEC §3.1 and §4.5 at entry, literally ------------------------------------------------------


class Entry:
    """What the ledger must do with each event of a stream, from the events it accepted so far:
    the first check that fails (in the order of SPEC §3.1), or None when it must accept."""

    def __init__(self, world: list):
        self.accepted = list(world)
        self.books = ClosedBooks()

    def refusal(self, type_: str, payload: dict, effective: date, reason: str | None) -> str | None:
        if type_ == "policy.changed" and payload["policy"] in WARN_ONLY:
            if payload["mode"] == "block":
                return "invalid"
        if type_ == "order.amended" and len(payload) == 1:
            return "invalid"  # names neither quantity nor unit_price
        if not self.lifecycle_allows(type_, payload, effective, reason):
            return "lifecycle"
        if self.books.refuses(type_, payload, effective):
            return "closed"
        if self.blocks(type_, payload, effective):
            return "blocked"
        return None

    def lifecycle_allows(
        self, type_: str, payload: dict, effective: date, reason: str | None
    ) -> bool:
        if type_ in ("period.closed", "period.reopened"):
            return self.books.period_event_valid(type_, payload, effective, reason)
        replay = Replay(self.accepted, effective, None)
        if type_ in ("order.amended", "order.cancelled"):
            order = replay.orders.get(payload["order"])
            if type_ == "order.cancelled" and (
                self.logged("goods.received", "order", payload["order"])
                or self.logged("invoice.received", "order", payload["order"])
            ):
                return False
            return order is not None and not order["cancelled"]
        if type_ == "lease.terminated":
            signed = replay.leases.get(payload["lease"])
            ever = any(
                event.type == "lease.terminated" and event.payload["lease"] == payload["lease"]
                for event in self.accepted
            )
            return signed is not None and not ever
        if type_ == "lease.reviewed":
            return payload["lease"] in replay.leases
        if type_ in ("goods.received", "invoice.received") and "order" in payload:
            return payload["order"] in replay.orders and not self.logged(
                "order.cancelled", "order", payload["order"]
            )
        if type_ == "invoice.received":
            return payload["lease"] in replay.leases
        if type_ == "invoice.voided":
            invoice = payload["invoice"]
            return (
                invoice in replay.invoices
                and not self.logged("invoice.voided", "invoice", invoice)
                and not self.logged("payment.made", "invoice", invoice)
            )
        if type_ == "payment.made":
            invoice = payload["invoice"]
            if invoice not in replay.invoices or self.logged("invoice.voided", "invoice", invoice):
                return False
            paid = sum(
                Fraction(event.payload["amount"])
                for event in self.accepted
                if event.type == "payment.made" and event.payload["invoice"] == invoice
            )
            return paid + Fraction(payload["amount"]) <= Fraction(
                replay.invoices[invoice]["amount"]
            )
        return True

    def logged(self, type_: str, field: str, code: str) -> bool:
        """Whether the log holds an event of this type naming this code, whatever its date."""
        return any(
            event.type == type_ and event.payload.get(field) == code for event in self.accepted
        )

    def blocks(self, type_: str, payload: dict, effective: date) -> bool:
        if type_ == "payment.made":
            return self.payment_blocked(payload, effective)
        if type_ not in ("order.placed", "order.amended", "lease.signed"):
            return False
        replay = Replay(self.accepted, effective, None)
        if type_ == "order.amended":
            order = replay.orders[payload["order"]]
            region, supplier, sku = order["region"], None, None
        else:
            region = payload["region"]
            supplier = payload.get("supplier") or payload.get("lessor")
            sku = payload["sku"]
        blocking = [
            key
            for key, (change, _) in policies_in_force(replay).items()
            if key[1] == region and change["enabled"] and change["mode"] == "block"
        ]
        for policy, _, subject in blocking:
            if policy == "restricted_supplier" and subject == supplier:
                return True
            if policy == "restricted_sku" and subject == sku:
                return True
        if not any(policy == "budget_cap" for policy, _, _ in blocking):
            return False
        for year, added in self.added(replay, type_, payload, effective).items():
            if added <= 0 or (region, year) not in replay.budgets:
                continue
            (row,) = [row for row in replay.budget(year) if row["region"] == region]
            if row["committed"] + added > row["budget"]:
                return True
        return False

    def payment_blocked(self, payload: dict, effective: date) -> bool:
        """A three-way-match exception as of the payment's date, or a lease held by a
        lease_review (signed since its date, not terminated by then) without an approval."""
        replay = Replay(self.accepted, effective, None)
        invoice = replay.invoices[payload["invoice"]]
        if "order" in invoice:
            region = replay.orders[invoice["order"]]["region"]
        else:
            region = replay.leases[invoice["lease"]]["region"]
        for (policy, policy_region, _), (change, since) in policies_in_force(replay).items():
            if policy_region != region or not change["enabled"] or change["mode"] != "block":
                continue
            if policy == "three_way_match" and "order" in invoice:
                if exception(replay, invoice["order"], change):
                    return True
            if policy == "lease_review" and "lease" in invoice:
                lease = replay.leases[invoice["lease"]]
                review = replay.reviews.get(invoice["lease"])
                held = lease["signed"] >= since and lease["terminated"] is None
                if held and (review is None or review["outcome"] != "approved"):
                    return True
        return False

    def added(self, replay: Replay, type_: str, payload: dict, effective: date) -> dict:
        """What the event adds to committed, per budget year, in the region's currency."""
        if type_ == "order.placed":
            rate = replay.rate(payload["currency"], payload["region"], effective)
            value = payload["quantity"] * Fraction(payload["unit_price"]) * rate
            return {effective.year: value}
        if type_ == "lease.signed":
            rate = replay.rate(payload["currency"], payload["region"], effective)
            added: dict[int, Fraction] = {}
            start = date.fromisoformat(payload["start"])
            for k in range(payload["months"]):
                year = add_months(start, k).year
                added[year] = added.get(year, 0) + Fraction(payload["monthly_payment"]) * rate
            return added
        order = replay.orders[payload["order"]]
        before = replay.order_value(order)
        quantity = payload.get("quantity", order["quantity"])
        unit_price = Fraction(payload.get("unit_price", order["unit_price"]))
        rate = replay.rate(order["currency"], order["region"], order["placed"])
        return {order["placed"].year: quantity * unit_price * rate - before}

    def accept(self, type_: str, payload: dict, effective: date, seq: int) -> None:
        self.accepted.append(
            SimpleNamespace(seq=seq, type=type_, effective=effective, payload=payload)
        )
        self.books.accepted(type_, payload)


def record_checked(ledger: Ledger, operations: list[tuple]) -> dict[str, int]:
    """Record each operation's event; the ledger must accept exactly those the literal model
    accepts, and refuse a blocked one naming the block-mode policy. Counts per outcome."""
    entry = Entry(list(ledger.events()))
    later = Later()
    orders: list[tuple[str, date]] = []
    leases: list[tuple[str, date, date]] = []
    outcomes: dict[str, int] = {}
    for operation in operations:
        event = as_event(operation, orders, leases, later)
        if event is None:
            continue
        type_, payload, day, reason = event
        expected = entry.refusal(type_, payload, day, reason)
        outcomes[expected or "accepted"] = outcomes.get(expected or "accepted", 0) + 1
        try:
            appended = ledger.record(type_, payload, effective=day, actor="property", reason=reason)
        except LedgerError as error:
            message = str(error)
            assert expected is not None, f"{type_} {payload} on {day} refused: {message}"
            assert ("blocked by" in message) == (expected == "blocked"), (
                expected,
                message,
            )
            continue
        assert expected is None, f"{type_} {payload} on {day} accepted, expected {expected}"
        entry.accept(type_, payload, day, appended.seq)
        later.accepted(type_, payload, day)
        if type_ == "order.placed":
            orders.append((payload["order"], day))
        elif type_ == "lease.signed":
            leases.append((payload["lease"], day, date.fromisoformat(payload["start"])))
    return outcomes


# -- the properties -------------------------------------------------------------------------------


def report(ledger: Ledger, as_of: date, upto_seq: int | None) -> list[tuple[str, str, str, str]]:
    rows = ledger.compliance(as_of=as_of, knowledge=Knowledge(upto_seq))
    return [(row["policy"], row["region"], row["subject"], row["status"]) for row in rows]


@pytest.mark.usefixtures("bucket_blocks")
def test_compliance_equals_a_literal_replay(databases):
    @settings(
        max_examples=EXAMPLES[databases.backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        operations=st.lists(with_policies, min_size=15, max_size=45),
        asked=st.lists(questions, min_size=1, max_size=4),
    )
    def check(operations, asked):
        with databases() as url, Ledger.open(url) as ledger:
            record_world(ledger)
            record_checked(ledger, operations)
            events = list(ledger.events())
            for as_of, known in [*asked, (LAST_DAY, None)]:
                upto_seq = None if known is None else len(events) * known // 100
                expected = literal_compliance(Replay(events, as_of, upto_seq), as_of)
                assert report(ledger, as_of, upto_seq) == expected

    check()


@pytest.mark.usefixtures("bucket_blocks")
def test_block_mode_accepts_and_refuses_as_the_spec_says(databases):
    seen: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES[databases.backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(operations=st.lists(with_block_policies, min_size=15, max_size=45))
    # One stream surely blocked (a cap in block mode, a small budget, a larger order), so that
    # a run whose random streams happen to block nothing still checks a refusal.
    @example(
        operations=[
            ("policy", "budget_cap", "CN", "block", True, None, None, None, None, date(2025, 1, 1)),
            ("budget", "CN", 2025, "1000", date(2025, 1, 1)),
            ("place", "CN", "huawei", 20, "2500", "CNY", date(2025, 1, 16), "chip"),
        ]
    )
    def check(operations):
        with databases() as url, Ledger.open(url) as ledger:
            record_world(ledger)
            for outcome, count in record_checked(ledger, operations).items():
                seen[outcome] = seen.get(outcome, 0) + count

    check()
    # The streams exercise what they are for: events blocked at entry, and events accepted.
    assert seen.get("blocked", 0) > 0 and seen.get("accepted", 0) > 0, seen


@pytest.mark.usefixtures("bucket_blocks")
def test_block_mode_at_a_payment_accepts_and_refuses_as_the_spec_says(databases):
    """Receipts, invoices, voids and payments among three-way matches and lease reviews in
    block mode: every payment is accepted or refused as SPEC §3.1 and §4.5 say, and the
    compliance report equals the literal one afterwards."""
    seen: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES[databases.backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(operations=st.lists(with_payment_policies, min_size=15, max_size=45))
    def check(operations):
        # Both policies in block mode in every region from the first day (later changes in the
        # stream may switch them off or change the tolerance).
        policies = [
            ("policy", policy, region, "block", True, "0", None, None, None, date(2025, 1, 1))
            for policy in ("three_way_match", "lease_review")
            for region in sorted(REGIONS)
        ]
        with databases() as url, Ledger.open(url) as ledger:
            record_world(ledger)
            for outcome, count in record_checked(ledger, [*policies, *operations]).items():
                seen[outcome] = seen.get(outcome, 0) + count
            events = list(ledger.events())
            expected = literal_compliance(Replay(events, LAST_DAY, None), LAST_DAY)
            assert report(ledger, LAST_DAY, None) == expected

    check()
    assert seen.get("blocked", 0) > 0 and seen.get("accepted", 0) > 0, seen
