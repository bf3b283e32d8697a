"""Validation at entry (SPEC §3.1): an event must fit what the log already knows at its date —
references and lifecycle, closed books (§4.6) and block-mode policies (§4.5).

Checks ask `CurrentLog`, which holds the log's state inside the append transaction (including the
events appended earlier in it), so an event may refer to an earlier event of the same import
file. Every check looks at the event's own effective date. The rules themselves (policy state,
order state, lease schedule, booked rate, closed periods) are in ledger.semantics; a budget
cap reads committed and the budget through ledger.reads, at full knowledge.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from fractions import Fraction
from operator import itemgetter

from ledger.chain import event_digest
from ledger.current import CurrentLog, Row
from ledger.errors import BlockedError, UnapprovedError, ValidationError
from ledger.events import (
    ApprovalGranted,
    BudgetRevised,
    BudgetTransferred,
    GoodsReceived,
    InvoiceReceived,
    InvoiceVoided,
    LeaseReviewed,
    LeaseSigned,
    LeaseTerminated,
    NewEvent,
    OrderAmended,
    OrderCancelled,
    OrderPlaced,
    PaymentMade,
    PeriodClosed,
    PeriodReopened,
    PolicyChanged,
    RegionOpened,
    RegionUpdated,
    SupplierRegistered,
    SupplierUpdated,
)
from ledger.money import money
from ledger.reads.rates import rate_book
from ledger.reads.regions import budget_amount, budget_of
from ledger.reads.totals import committed
from ledger.semantics.leases import charges_per_year
from ledger.semantics.orders import after_change, as_placed, order_state
from ledger.semantics.periods import closed_against, closed_message
from ledger.semantics.policies import policy_states
from ledger.semantics.rates import Placement, no_rate_in_force
from ledger.semantics.spend import (
    billed,
    match_detail,
    match_failures,
    payment_room,
    received_quantity,
)


def check_event(current: CurrentLog, event: NewEvent) -> None:
    """Raise ValidationError, naming the field, if the event does not fit the log."""
    payload = event.payload
    on = event.effective
    match payload:
        case RegionOpened():
            if payload.region in current.regions:
                raise ValidationError(f"{payload.region!r} is already opened", "region")
        case SupplierRegistered():
            if payload.supplier in current.suppliers:
                raise ValidationError(f"{payload.supplier!r} is already registered", "supplier")
        case BudgetRevised():
            region = region_as_of(current, payload.region, on)
            if payload.currency is not None and payload.currency != region["currency"]:
                raise ValidationError(
                    f"{payload.currency} is not the currency of region {payload.region} "
                    f"({region['currency']}); budgets are kept in the region's currency",
                    "currency",
                )
        case OrderPlaced():
            if current.order(payload.order) is not None:
                raise ValidationError(f"{payload.order!r} is already placed", "order")
            region = region_as_of(current, payload.region, on)
            supplier_as_of(current, payload.supplier, on, "supplier")
            require_rate(current, payload.currency, region["currency"], on)
        case OrderAmended():
            order_open_as_of(current, payload.order, on)
        case OrderCancelled():
            order_open_as_of(current, payload.order, on)
            check_nothing_received_or_billed(current, payload.order)
        case GoodsReceived():
            if current.has_receipt(payload.receipt):
                raise ValidationError(f"{payload.receipt!r} is already recorded", "receipt")
            order_placed_never_cancelled(current, payload.order, on, "goods")
        case InvoiceReceived():
            check_invoice(current, payload, on)
        case InvoiceVoided():
            invoice_as_of(current, payload.invoice, on)
            if current.voided_on(payload.invoice) is not None:
                raise ValidationError(f"invoice {payload.invoice!r} is already voided", "invoice")
            if current.invoice_payments(payload.invoice):
                raise ValidationError(
                    f"invoice {payload.invoice!r} has payments; a paid invoice cannot be voided",
                    "invoice",
                )
        case PaymentMade():
            check_payment(current, payload, on)
        case LeaseSigned():
            if current.lease(payload.lease) is not None:
                raise ValidationError(f"{payload.lease!r} is already signed", "lease")
            region = region_as_of(current, payload.region, on)
            supplier_as_of(current, payload.lessor, on, "lessor")
            require_rate(current, payload.currency, region["currency"], on)
        case LeaseTerminated():
            lease_as_of(current, payload.lease, on)
            if current.is_terminated(payload.lease):
                raise ValidationError(f"{payload.lease!r} is already terminated", "lease")
        case LeaseReviewed():
            lease_as_of(current, payload.lease, on)
        case PolicyChanged():
            region_as_of(current, payload.region, on)
            if payload.supplier is not None:
                supplier_as_of(current, payload.supplier, on, "supplier")
        case SupplierUpdated():
            supplier_as_of(current, payload.supplier, on, "supplier")
        case RegionUpdated():
            region_as_of(current, payload.region, on)
        case BudgetTransferred():
            check_transfer(current, payload, on)
        case PeriodClosed():
            check_close(current, payload, on)
        case PeriodReopened():
            check_reopen(current, payload, event.reason)
        case ApprovalGranted():
            check_approval(current, payload, event.reason)
    # The order of SPEC §3.1: types and ranges (parsing), references and lifecycle (above),
    # closed books, block-mode policies (with the approval that may lift their refusal).
    check_closed_books(current, event)
    try:
        check_block_policies(current, event)
    except BlockedError as blocked:
        lift_or_refuse(current, event, blocked)


# -- approvals (SPEC §4.9) ------------------------------------------------------------------------


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


def check_approval(current: CurrentLog, payload: ApprovalGranted, reason: str | None) -> None:
    """An approval is new, has a reason, and comes before the event it approves: that event is
    not in the log yet, and no other approval names it."""
    if reason is None or not reason.strip():
        raise ValidationError("an approval needs a reason (--reason TEXT)", "reason")
    if current.approval(payload.approval) is not None:
        raise ValidationError(f"approval {payload.approval!r} is already recorded", "approval")
    other = current.approval_for(payload.event_id)
    if other is not None:
        raise ValidationError(
            f"event {payload.event_id} is already approved by approval {other['approval']} "
            f"(seq {other['seq']}); an event has at most one approval",
            "event_id",
        )
    seq = current.event_seq(payload.event_id)
    if seq is not None:
        raise ValidationError(
            f"event {payload.event_id} is already recorded (seq {seq}); an approval comes "
            "before the event it approves",
            "event_id",
        )


def check_closed_books(current: CurrentLog, event: NewEvent) -> None:
    """Refuse an event touching a region whose books are closed through its effective date or
    later. One in-memory lookup per event while no region is closed."""
    if not current.periods:
        return
    state = closed_against(
        current.touched_regions(event.type, event.payload), event.effective, current.periods
    )
    if state is not None:
        raise ValidationError(closed_message(state, event.effective), "effective")


def check_transfer(current: CurrentLog, payload: BudgetTransferred, on: date) -> None:
    """Both regions opened by `on`, each with a budget recorded for the year as of `on`, a rate
    between their currencies in force when they differ, and the source's budget as of `on` not
    below zero afterwards (SPEC §3.1). Never refused by a budget cap (§4.5)."""
    source = region_as_of(current, payload.from_region, on, "from_region")
    target = region_as_of(current, payload.to_region, on, "to_region")
    require_rate(current, source["currency"], target["currency"], on, "to_region")
    # The budgets are read from the read models: the rows of the events appended before this
    # one must be in the database first.
    current.before_sql()
    budgets = {}
    for field, region in (("from_region", payload.from_region), ("to_region", payload.to_region)):
        budget = budget_of(current.connection, region, payload.year, on, None)
        if not budget.recorded:
            raise ValidationError(
                f"no budget is recorded for region {region} and {payload.year} as of "
                f"{on.isoformat()}; record one with `ledger budget revise {region} "
                f"{payload.year} AMOUNT` first",
                field,
            )
        budgets[field] = budget.amount
    left = budgets["from_region"] - Fraction(payload.amount)
    if left < 0:
        currency = source["currency"]
        raise ValidationError(
            f"region {payload.from_region} has a {payload.year} budget of "
            f"{money(budgets['from_region'], currency)} as of {on.isoformat()}; moving "
            f"{money(payload.amount, currency)} would leave it {money(left, currency)}",
            "amount",
        )


def check_close(current: CurrentLog, payload: PeriodClosed, on: date) -> None:
    region_as_of(current, payload.region, on)
    if payload.through > on:
        raise ValidationError(
            f"{payload.through.isoformat()} is after the close's own effective date "
            f"{on.isoformat()}; books can be closed only through a day already reached",
            "through",
        )
    state = current.periods.get(payload.region)
    if (
        state is not None
        and state.closed_through is not None
        and payload.through <= state.closed_through
    ):
        raise ValidationError(
            f"region {payload.region} is already closed through {state.closed_through.isoformat()} "
            f"(seq {state.seq}); a new close must go further",
            "through",
        )


def check_reopen(current: CurrentLog, payload: PeriodReopened, reason: str | None) -> None:
    if reason is None or not reason.strip():
        raise ValidationError("a reopening needs a reason (--reason TEXT)", "reason")
    if payload.region not in current.regions:
        raise ValidationError(f"region {payload.region!r} is not opened", "region")
    state = current.periods.get(payload.region)
    if state is None or state.closed_through is None:
        raise ValidationError(f"the books of region {payload.region} are not closed", "region")
    if payload.through is not None and payload.through >= state.closed_through:
        raise ValidationError(
            f"{payload.through.isoformat()} is not before the current closed-through date "
            f"{state.closed_through.isoformat()} of region {payload.region}",
            "through",
        )


def _exists_on(row: Row | None, code: str, on: date, field: str, noun: str, verb: str) -> Row:
    """The read-model row of a region, supplier, order or lease that exists on date `on`."""
    if row is None:
        raise ValidationError(f"{noun} {code!r} is not {verb}", field)
    if row["effective"] > on:
        raise ValidationError(
            f"{noun} {code!r} is {verb} only from {row['effective'].isoformat()}, after {on.isoformat()}",
            field,
        )
    return row


def region_as_of(current: CurrentLog, region: str, on: date, field: str = "region") -> Row:
    return _exists_on(current.regions.get(region), region, on, field, "region", "opened")


def supplier_as_of(current: CurrentLog, supplier: str, on: date, field: str) -> Row:
    return _exists_on(
        current.suppliers.get(supplier), supplier, on, field, "supplier", "registered"
    )


def lease_as_of(current: CurrentLog, lease: str, on: date) -> Row:
    return _exists_on(current.lease(lease), lease, on, "lease", "lease", "signed")


def order_open_as_of(current: CurrentLog, order: str, on: date) -> Row:
    row = _exists_on(current.order(order), order, on, "order", "order", "placed")
    cancelled = [effective for effective in current.cancelled_on(order) if effective <= on]
    if cancelled:
        raise ValidationError(
            f"order {order!r} is cancelled as of {min(cancelled).isoformat()}", "order"
        )
    return row


def order_placed_never_cancelled(current: CurrentLog, order: str, on: date, what: str) -> Row:
    """An order placed on or before `on` for which the log holds no cancellation, whatever its
    date: a cancelled order receives no goods and no bills."""
    row = _exists_on(current.order(order), order, on, "order", "order", "placed")
    cancelled = current.cancelled_on(order)
    if cancelled:
        raise ValidationError(
            f"order {order!r} is cancelled (from {min(cancelled).isoformat()}); "
            f"a cancelled order takes no {what}",
            "order",
        )
    return row


def check_nothing_received_or_billed(current: CurrentLog, order: str) -> None:
    """An order with receipts or invoices in the log is amended, not cancelled."""
    what = []
    if current.order_receipts(order):
        what.append("receipts")
    if current.invoices_of("order", order):
        what.append("invoices")
    if what:
        raise ValidationError(
            f"order {order!r} has {' and '.join(what)}; amend it instead of cancelling it",
            "order",
        )


def check_invoice(current: CurrentLog, payload: InvoiceReceived, on: date) -> None:
    if current.invoice(payload.invoice) is not None:
        raise ValidationError(f"{payload.invoice!r} is already received", "invoice")
    if payload.order is not None:
        document = order_placed_never_cancelled(current, payload.order, on, "invoices")
        counterparty, noun = document["supplier"], f"order {payload.order!r}"
    else:
        document = lease_as_of(current, payload.lease, on)
        counterparty, noun = document["lessor"], f"lease {payload.lease!r}"
    if payload.supplier != counterparty:
        role = "supplier" if payload.order is not None else "lessor"
        raise ValidationError(
            f"{payload.supplier!r} is not the {role} of {noun} ({counterparty})", "supplier"
        )
    if payload.currency != document["currency"]:
        raise ValidationError(
            f"{payload.currency} is not the currency of {noun} ({document['currency']}); "
            "an invoice is in its document's currency",
            "currency",
        )


def invoice_as_of(current: CurrentLog, invoice: str, on: date) -> Row:
    return _exists_on(current.invoice(invoice), invoice, on, "invoice", "invoice", "received")


def check_payment(current: CurrentLog, payload: PaymentMade, on: date) -> None:
    if current.has_payment(payload.payment):
        raise ValidationError(f"{payload.payment!r} is already recorded", "payment")
    invoice = invoice_as_of(current, payload.invoice, on)
    voided = current.voided_on(payload.invoice)
    if voided is not None:
        raise ValidationError(
            f"invoice {payload.invoice!r} is voided (from {voided.isoformat()})", "invoice"
        )
    room = payment_room(invoice["amount"], current.invoice_payments(payload.invoice))
    if payload.amount > room:
        currency = invoice["currency"]
        raise ValidationError(
            f"{money(payload.amount, currency)} would bring the payments of invoice "
            f"{payload.invoice} above its amount {money(invoice['amount'], currency)} "
            f"(still to pay: {money(room, currency)})",
            "amount",
        )


def require_rate(
    current: CurrentLog, currency: str, region_currency: str, on: date, field: str = "currency"
) -> None:
    """A document in a foreign currency needs a rate for the pair in force at its date."""
    if currency == region_currency:
        return
    first = current.rate_known_from(currency, region_currency)
    if first is None or first > on:
        raise ValidationError(
            f"{no_rate_in_force(currency, region_currency, on)}; "
            f"record one with `ledger fx set {currency} {region_currency} RATE` first",
            field,
        )


# -- block mode -----------------------------------------------------------------------------------


def check_block_policies(current: CurrentLog, event: NewEvent) -> None:
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
            region = current.order(payload.order)["region"]
            restricted = {}
            document = f"order {payload.order}"
        case PaymentMade():
            # The payment, not the invoice, is held back: the invoice is a fact, the payment
            # our own decision.
            region = current.invoice(payload.invoice)["region"]
            restricted = {}
            document = f"payment {payload.payment}"
        case _:
            return
    if region not in current.policy_changes:
        return  # the common case: no policy at all for the region
    # The policies in force on `on` follow from the changes dated on or before it: a prefix of
    # the region's changes in date order, so its length identifies them.
    changes = current.policy_changes[region]
    prefix = bisect_right(changes, on, key=itemgetter("effective"))
    blocking = current.blocking.get((region, prefix))
    if blocking is None:
        blocking = current.blocking[region, prefix] = [
            state
            for state in policy_states(changes[:prefix])
            if state.enabled and state.mode == "block"
        ]
    for state in blocking:
        if state.policy in restricted:
            field, value = restricted[state.policy]
            if state.subject == value:
                raise BlockedError(
                    f"blocked by {state.describe()}, in force since {state.since.isoformat()}: "
                    f"{document} with {field} {value} is not allowed",
                    field,
                )
    if isinstance(payload, PaymentMade):
        for state in blocking:
            if state.policy == "three_way_match":
                _check_three_way_match(current, payload, on, state)
            elif state.policy == "lease_review":
                _check_lease_review(current, payload, on, state)
        return
    if any(state.policy == "budget_cap" for state in blocking):
        # The cap is checked against committed(), which reads the read models: the rows of the
        # events appended before this one must be in the database first.
        current.before_sql()
        _check_budget_cap(current, event, region, document)


def _check_budget_cap(current: CurrentLog, event: NewEvent, region: str, document: str) -> None:
    """For each year the event charges that has a budget recorded as of its date E: refuse it when
    it raises committed as of E and leaves it above the budget as of E."""
    on = event.effective
    connection = current.connection
    currency = current.regions[region]["currency"]
    field = "lease" if isinstance(event.payload, LeaseSigned) else "order"
    for year, added in sorted(_added_commitment(current, event.payload, on, currency).items()):
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
                f"over by {money(after - budget, currency)} ({document} adds {money(added, currency)})",
                field,
            )


def _added_commitment(current: CurrentLog, payload, on: date, currency: str) -> dict[int, Fraction]:
    """What the event adds to committed(R, Y) as of its date, per budget year Y, in the region's
    currency at the booked rate (a new document: all of it; an amendment: the order's value
    after it less before, SPEC §4.2)."""
    rate = rate_book(current.connection, on, None)
    match payload:
        case OrderPlaced():
            value = as_placed(payload.quantity, payload.unit_price).value
            return {
                on.year: Fraction(value)
                * rate.booked_rate(Placement(payload.currency, currency, on))
            }
        case LeaseSigned():
            booked = rate.booked_rate(Placement(payload.currency, currency, on))
            charges = charges_per_year(payload.start, payload.months, payload.monthly_payment)
            return {year: Fraction(charge) * booked for year, charge in charges.items()}
        case OrderAmended():
            # The order and its changes as the write transaction holds them (earlier lines of
            # the same import included): those in force on the amendment's date, in date order.
            order = current.order(payload.order)
            changes = sorted(
                (change for change in current.order_changes(payload.order) if change[3] <= on),
                key=itemgetter(3, 4),
            )
            before = order_state(as_placed(order["quantity"], order["unit_price"]), changes)
            after = after_change(before, "amended", payload.quantity, payload.unit_price)
            booked = rate.booked_rate(Placement(order["currency"], currency, order["effective"]))
            return {order["year"]: (Fraction(after.value) - Fraction(before.value)) * booked}
    return {}


def _check_three_way_match(current: CurrentLog, payload: PaymentMade, on: date, state) -> None:
    """Refuse a payment of an invoice whose order is a three-way-match exception as of the
    payment's date (SPEC §4.5): the whole log, read as of that date."""
    invoice = current.invoice(payload.invoice)
    if invoice["kind"] != "order":
        return
    order_id = invoice["document"]
    order = current.order(order_id)
    changes = sorted(
        (change for change in current.order_changes(order_id) if change[3] <= on),
        key=itemgetter(3, 4),
    )
    now = order_state(as_placed(order["quantity"], order["unit_price"]), changes)
    received = received_quantity(current.order_receipts(order_id), on)
    invoices = current.invoices_of("order", order_id)
    voided = {
        row["invoice"]: day
        for row in invoices
        if (day := current.voided_on(row["invoice"])) is not None
    }
    totals = billed(invoices, voided, {}, on)  # payments do not enter the match
    failures = match_failures(
        now.quantity, now.unit_price, received, totals.quantity, totals.amount, state.tolerance
    )
    if failures:
        detail = match_detail(failures, now, received, totals, state.tolerance, order["currency"])
        raise BlockedError(
            f"blocked by {state.describe()}, in force since {state.since.isoformat()}: "
            f"payment {payload.payment} of invoice {payload.invoice} is held back, order "
            f"{order_id} is an exception ({detail})",
            "invoice",
        )


def _check_lease_review(current: CurrentLog, payload: PaymentMade, on: date, state) -> None:
    """Refuse a payment of an invoice of a lease the policy holds (signed on or after its
    effective date, not terminated by the payment's date) whose latest review with effective ≤
    the payment's date is not an approval (SPEC §4.5)."""
    invoice = current.invoice(payload.invoice)
    if invoice["kind"] != "lease":
        return
    lease_id = invoice["document"]
    lease = current.lease(lease_id)
    if lease["effective"] < state.since:
        return
    terminated = current.terminated_on(lease_id)
    if terminated is not None and terminated <= on:
        return
    reviews = sorted(
        (review for review in current.lease_reviews(lease_id) if review[1] <= on),
        key=itemgetter(1, 2),
    )
    if reviews and reviews[-1][0] == "approved":
        return
    why = (
        f"its latest review (seq {reviews[-1][2]}, {reviews[-1][1].isoformat()}) is {reviews[-1][0]}"
        if reviews
        else f"it has no review by {on.isoformat()}"
    )
    raise BlockedError(
        f"blocked by {state.describe()}, in force since {state.since.isoformat()}: "
        f"payment {payload.payment} of invoice {payload.invoice} is held back, lease "
        f"{lease_id} is not cleared ({why}); record an approved `ledger lease review` first",
        "invoice",
    )
