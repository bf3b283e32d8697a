"""Random event streams for the property tests, and SPEC §4 applied literally to them.

The strategies make operations (place an order, amend it, sign a lease, set a policy, close a
region's books …); `as_event` turns each into an event given what was recorded before. `Replay`
applies SPEC §4 literally to a list of stored events, written plainly here and independent of
ledger.semantics and ledger.reads; `ClosedBooks` is SPEC §3.1/§4.6 for period events.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import strategies as st

from ledger import schema
from ledger.app import Ledger
from ledger.errors import LedgerError

FIRST_DAY = date(2025, 1, 1)
REGIONS = {"CN": ("CN", "CNY"), "MY": ("MY", "USD"), "DE": ("DE", "EUR")}
SUPPLIERS = {"huawei": "CN", "nvidia": "US", "dcprov": "MY", "sap": "DE"}
CURRENCIES = ["CNY", "USD", "EUR"]
BASE_RATES = [("USD", "CNY", "7.2"), ("CNY", "EUR", "0.13"), ("EUR", "USD", "1.08")]
YEARS = (2025, 2026)
SKUS = ["chip", "gpu"]
POLICY_KINDS = [
    "min_domestic_share",
    "restricted_supplier",
    "restricted_sku",
    "budget_cap",
    "lease_review",
    "three_way_match",
]
EXAMPLES = {"sqlite": 25, "postgres": 10}


def add_months(start: date, months: int) -> date:
    years, month_index = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month_index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# A coarse calendar makes same-day events (ordered by seq) common; amendments, cancellations and
# terminations come some steps after their document, in any recording order (so often back-dated).
days = st.integers(0, 47).map(lambda k: FIRST_DAY + timedelta(days=15 * k))
later = st.integers(0, 24).map(lambda k: timedelta(days=15 * k))
month_ends = st.integers(0, 23).map(lambda k: add_months(date(2025, 1, 31), k))
prices = st.sampled_from(["0", "1", "0.001", "12.345", "99.99", "30000"])
quantities = st.integers(1, 20)
pick = st.integers(0, 2)  # which of the last three orders or leases: several changes per document

place = st.tuples(
    st.just("place"),
    st.sampled_from(sorted(REGIONS)),
    st.sampled_from(sorted(SUPPLIERS)),
    quantities,
    prices,
    st.sampled_from(CURRENCIES),
    days,
    st.sampled_from(SKUS),
)
amend = st.tuples(st.just("amend"), pick, st.none() | quantities, st.none() | prices, later)
# A termination some days after the signing, or on the lease's k-th due date (which keeps it).
terminate = st.tuples(
    st.just("terminate"), pick, st.sampled_from(["0", "10", "333.33"]), later | st.integers(0, 14)
)
# The money after the promise: receipts and invoices of one of the last documents, voids and
# payments of one of the last invoices, some days after their document. An invoice bills its
# quantity at the order's price (or a lease's monthly payment) times a factor, so that some are
# above the price.
spend_operations = st.one_of(
    st.tuples(st.just("receive"), pick, st.integers(1, 12), later),
    st.tuples(
        st.just("invoice"),
        pick,
        st.sampled_from(["order", "order", "lease"]),
        st.integers(1, 12),
        st.sampled_from(["1", "1", "1.01", "1.5", "0.5", "0"]),
        later,
    ),
    st.tuples(st.just("void"), pick, later),
    st.tuples(st.just("pay"), pick, st.sampled_from(["1", "0.5", "0.25"]), later),
)
operations = st.one_of(
    spend_operations,
    spend_operations,
    st.tuples(
        st.just("fx"),
        st.permutations(CURRENCIES).map(lambda c: tuple(c[:2])),
        st.sampled_from(["7.1", "0.14", "1.1", "6.95", "0.125", "8"]),
        days,
    ),
    st.tuples(
        st.just("budget"),
        st.sampled_from(sorted(REGIONS)),
        st.sampled_from(YEARS),
        st.sampled_from(["0", "1000", "250000.5", "1000000"]),
        days,
    ),
    place,
    place,
    amend,
    amend,
    amend,
    st.tuples(st.just("cancel"), pick, later),
    st.tuples(
        st.just("sign"),
        st.sampled_from(sorted(REGIONS)),
        st.sampled_from(sorted(SUPPLIERS)),
        st.integers(1, 50),
        days | month_ends | st.dates(FIRST_DAY, date(2026, 12, 31)),
        st.integers(1, 14),
        prices,
        st.sampled_from(CURRENCIES),
        days,
        st.sampled_from(SKUS),
    ),
    terminate,
    terminate,
    # Close a region through a day, dated some days after it (or, refused, before it).
    st.tuples(
        st.just("close"),
        st.sampled_from(sorted(REGIONS)),
        days,
        st.sampled_from([-15, 0, 15, 90]).map(lambda n: timedelta(days=n)),
    ),
    # Reopen, fully or back to a day, with a reason or (refused) without one.
    st.tuples(
        st.just("reopen"),
        st.sampled_from(sorted(REGIONS)),
        st.none() | days,
        st.sampled_from(["restatement", "", "restatement"]),
        days,
    ),
)


def policy_changes(modes: list[str], kinds: list[str] = POLICY_KINDS) -> st.SearchStrategy[tuple]:
    """Setting a policy: its kind, region, mode, whether it is enabled, and every setting a kind
    may take (as_event keeps those of its kind; a min_domestic_share or lease_review in block
    mode is refused at entry)."""
    return st.tuples(
        st.just("policy"),
        st.sampled_from(kinds),
        st.sampled_from(sorted(REGIONS)),
        st.sampled_from(modes),
        st.sampled_from([True, True, False]),
        st.sampled_from(["0", "0.3", "0.5", "1"]),
        st.none() | st.sampled_from(["value", "units"]),
        st.sampled_from(sorted(SUPPLIERS)),
        st.sampled_from(SKUS),
        days,
    )


# A review of one of the last leases, some days after its signing.
reviews = st.tuples(st.just("review"), pick, st.sampled_from(["approved", "rejected"]), later)

# (as_of, how much of the log is known: None for all of it, else a percentage of its events);
# the last question is always asked at an as-of date after everything.
LAST_DAY = date(2027, 12, 31)
questions = st.tuples(
    st.dates(date(2024, 12, 1), date(2027, 6, 30)) | st.just(LAST_DAY),
    st.none() | st.integers(0, 100),
)


# -- recording ------------------------------------------------------------------------------------


def record_world(ledger: Ledger) -> None:
    """Regions, suppliers and a rate for every pair, in one import."""
    lines = [
        {
            "type": "region.opened",
            "region": region,
            "name": region,
            "country": country,
            "currency": currency,
        }
        for region, (country, currency) in REGIONS.items()
    ]
    lines += [
        {"type": "supplier.registered", "supplier": supplier, "name": supplier, "country": country}
        for supplier, country in SUPPLIERS.items()
    ]
    lines += [
        {"type": "fx.rate_set", "base": base, "quote": quote, "rate": rate}
        for base, quote, rate in BASE_RATES
    ]
    ledger.import_lines(
        (
            (number, {**line, "effective": FIRST_DAY.isoformat()})
            for number, line in enumerate(lines, 1)
        ),
        actor="property",
    )


class Later:
    """What the receipts, invoices, voids and payments of a stream need of what was recorded:
    each order's and lease's payload, and the invoices as (id, effective, payload)."""

    def __init__(self):
        self.documents: dict[str, dict] = {}
        self.invoices: list[tuple[str, date, dict]] = []
        self.receipts = 0
        self.payments = 0

    def accepted(self, type_: str, payload: dict, effective: date) -> None:
        if type_ == "order.placed":
            self.documents[payload["order"]] = payload
        elif type_ == "lease.signed":
            self.documents[payload["lease"]] = payload
        elif type_ == "invoice.received":
            self.invoices.append((payload["invoice"], effective, payload))
        elif type_ == "goods.received":
            self.receipts += 1
        elif type_ == "payment.made":
            self.payments += 1


def as_event(
    operation: tuple, orders: list, leases: list, later: Later | None = None
) -> tuple[str, dict, date, str | None] | None:
    """The event an operation makes (type, payload, effective, reason), given the orders (id,
    effective) and the leases (id, effective, start) recorded so far (and, for receipts,
    invoices, voids and payments, `later`)."""
    kind, *fields = operation
    match kind:
        case "close":
            region, through, lag = fields
            return (
                "period.closed",
                {"region": region, "through": through.isoformat()},
                through + lag,
                None,
            )
        case "reopen":
            region, through, reason, day = fields
            payload = (
                {"region": region}
                if through is None
                else {"region": region, "through": through.isoformat()}
            )
            return "period.reopened", payload, day, reason
    if kind in ("receive", "invoice", "void", "pay"):
        event = None if later is None else _spend_event(kind, fields, orders, leases, later)
    else:
        event = _document_event(kind, fields, orders, leases)
    return None if event is None else (*event, None)


def _spend_event(
    kind: str, fields: list, orders: list, leases: list, later: Later
) -> tuple[str, dict, date] | None:
    match kind:
        case "receive" if orders:
            index, quantity, after = fields
            order, placed = orders[-1 - index % len(orders)]
            payload = {"receipt": f"R-{later.receipts}", "order": order, "quantity": quantity}
            return "goods.received", payload, placed + after
        case "invoice":
            index, of, quantity, factor, after = fields
            invoice = f"INV-{len(later.invoices)}"
            if of == "order" and orders:
                order, placed = orders[-1 - index % len(orders)]
                placed_as = later.documents[order]
                amount = quantity * Decimal(placed_as["unit_price"]) * Decimal(factor)
                payload = {
                    "invoice": invoice,
                    "supplier": placed_as["supplier"],
                    "order": order,
                    "quantity": quantity,
                    "amount": str(amount),
                    "currency": placed_as["currency"],
                }
                return "invoice.received", payload, placed + after
            if of == "lease" and leases:
                lease, signed, _ = leases[-1 - index % len(leases)]
                signed_as = later.documents[lease]
                amount = Decimal(signed_as["monthly_payment"]) * Decimal(factor)
                payload = {
                    "invoice": invoice,
                    "supplier": signed_as["lessor"],
                    "lease": lease,
                    "amount": str(amount),
                    "currency": signed_as["currency"],
                }
                return "invoice.received", payload, signed + after
        case "void" if later.invoices:
            index, after = fields
            invoice, received, _ = later.invoices[-1 - index % len(later.invoices)]
            return "invoice.voided", {"invoice": invoice}, received + after
        case "pay" if later.invoices:
            index, share, after = fields
            invoice, received, billed = later.invoices[-1 - index % len(later.invoices)]
            amount = Decimal(billed["amount"]) * Decimal(share)
            if amount <= 0:
                return None
            payload = {"payment": f"P-{later.payments}", "invoice": invoice, "amount": str(amount)}
            return "payment.made", payload, received + after
    return None


def _document_event(
    kind: str, fields: list, orders: list, leases: list
) -> tuple[str, dict, date] | None:
    match kind:
        case "fx":
            (base, quote), rate, day = fields
            return "fx.rate_set", {"base": base, "quote": quote, "rate": rate}, day
        case "budget":
            region, year, amount, day = fields
            return "budget.revised", {"region": region, "year": year, "amount": amount}, day
        case "place":
            region, supplier, quantity, price, currency, day, sku = fields
            return (
                "order.placed",
                {
                    "order": f"PO-{len(orders)}",
                    "region": region,
                    "supplier": supplier,
                    "sku": sku,
                    "quantity": quantity,
                    "unit_price": price,
                    "currency": currency,
                },
                day,
            )
        case "amend" if orders:
            index, quantity, price, after = fields
            order, placed = orders[-1 - index % len(orders)]
            named = {"quantity": quantity, "unit_price": price}
            payload = {key: value for key, value in named.items() if value is not None}
            return "order.amended", {"order": order, **payload}, placed + after
        case "cancel" if orders:
            index, after = fields
            order, placed = orders[-1 - index % len(orders)]
            return "order.cancelled", {"order": order}, placed + after
        case "sign":
            region, lessor, units, start, months, payment, currency, day, sku = fields
            return (
                "lease.signed",
                {
                    "lease": f"L-{len(leases)}",
                    "region": region,
                    "lessor": lessor,
                    "sku": sku,
                    "units": units,
                    "start": start.isoformat(),
                    "months": months,
                    "monthly_payment": payment,
                    "currency": currency,
                },
                day,
            )
        case "terminate" if leases:
            index, fee, when = fields
            lease, signed, start = leases[-1 - index % len(leases)]
            day = add_months(start, when) if isinstance(when, int) else signed + when
            return "lease.terminated", {"lease": lease, "fee": fee}, day
        case "review" if leases:
            index, outcome, after = fields
            lease, signed, _ = leases[-1 - index % len(leases)]
            payload = {"lease": lease, "owner": "owner", "operator": "op", "outcome": outcome}
            return "lease.reviewed", payload, signed + after
        case "policy":
            policy, region, mode, enabled, threshold, basis, supplier, sku, day = fields
            payload = {"policy": policy, "region": region, "mode": mode, "enabled": enabled}
            if policy == "min_domestic_share":
                payload["threshold"] = threshold
                if basis is not None:
                    payload["basis"] = basis
            elif policy == "restricted_supplier":
                payload["supplier"] = supplier
            elif policy == "restricted_sku":
                payload["sku"] = sku
            elif policy == "three_way_match":
                payload["tolerance"] = threshold
            return "policy.changed", payload, day
    return None


class ClosedBooks:
    """SPEC §3.1 and §4.6 literally: each region's closed-through date after its latest period
    event in recording order, and the regions an event touches."""

    def __init__(self):
        self.closed: dict[str, date | None] = {}
        self.document_region: dict[str, str] = {}

    def touches(self, type_: str, payload: dict) -> set[str]:
        if type_ in ("order.placed", "lease.signed", "budget.revised", "policy.changed"):
            return {payload["region"]}
        if type_ == "invoice.received":
            document = payload.get("order") or payload["lease"]
            return {self.document_region[document]} if document in self.document_region else set()
        if type_ in ("invoice.voided", "payment.made"):
            invoice = payload["invoice"]
            return {self.document_region[invoice]} if invoice in self.document_region else set()
        if type_ in ("order.amended", "order.cancelled", "goods.received"):
            return (
                {self.document_region[payload["order"]]}
                if payload["order"] in self.document_region
                else set()
            )
        if type_ in ("lease.terminated", "lease.reviewed"):
            return (
                {self.document_region[payload["lease"]]}
                if payload["lease"] in self.document_region
                else set()
            )
        if type_ == "fx.rate_set":
            return {
                region
                for region, (_, currency) in REGIONS.items()
                if currency in (payload["base"], payload["quote"])
            }
        return set()

    def refuses(self, type_: str, payload: dict, effective: date) -> set[str]:
        """The closed regions the event touches on or before their closed-through date."""
        return {
            region
            for region in self.touches(type_, payload)
            if self.closed.get(region) is not None and effective <= self.closed[region]
        }

    def period_event_valid(
        self, type_: str, payload: dict, effective: date, reason: str | None
    ) -> bool:
        current = self.closed.get(payload["region"])
        through = date.fromisoformat(payload["through"]) if "through" in payload else None
        if type_ == "period.closed":
            return through <= effective and (current is None or through > current)
        return bool(reason) and current is not None and (through is None or through < current)

    def accepted(self, type_: str, payload: dict) -> None:
        if type_ in ("period.closed", "period.reopened"):
            self.closed[payload["region"]] = (
                date.fromisoformat(payload["through"]) if "through" in payload else None
            )
        elif type_ == "order.placed":
            self.document_region[payload["order"]] = payload["region"]
        elif type_ == "lease.signed":
            self.document_region[payload["lease"]] = payload["region"]
        elif type_ == "invoice.received":
            document = payload.get("order") or payload["lease"]
            self.document_region[payload["invoice"]] = self.document_region[document]


def record_operations(ledger: Ledger, operations: list[tuple]) -> ClosedBooks:
    """Record each operation that makes an event the ledger accepts; skip the rest (an
    amendment of a cancelled order, a second termination…): the log stays valid. Every answer
    of the ledger agrees with the literal model of closed books."""
    orders: list[tuple[str, date]] = []
    leases: list[tuple[str, date, date]] = []
    books = ClosedBooks()
    later = Later()
    for operation in operations:
        event = as_event(operation, orders, leases, later)
        if event is None:
            continue
        type_, payload, day, reason = event
        held_back = books.refuses(type_, payload, day)
        try:
            ledger.record(type_, payload, effective=day, actor="property", reason=reason)
        except LedgerError as error:
            message = str(error)
            if type_ in ("period.closed", "period.reopened"):
                assert not books.period_event_valid(type_, payload, day, reason), message
            if "are closed through" in message:
                # Lifecycle checks come first, so a closed-books refusal names a region the
                # model holds back.
                assert any(f"region {region} " in message for region in held_back), message
            continue
        assert not held_back, f"{type_} {payload} on {day} touches closed {held_back}"
        if type_ in ("period.closed", "period.reopened"):
            assert books.period_event_valid(type_, payload, day, reason), (
                type_,
                payload,
                day,
                reason,
            )
        books.accepted(type_, payload)
        later.accepted(type_, payload, day)
        if type_ == "order.placed":
            orders.append((payload["order"], day))
        elif type_ == "lease.signed":
            leases.append((payload["lease"], day, date.fromisoformat(payload["start"])))
    return books


# -- the naive replay -----------------------------------------------------------------------------


class Replay:
    """SPEC §4 applied literally to the events known (seq ≤ N) that hold at D."""

    def __init__(self, events: list, as_of: date, upto_seq: int | None):
        known = [e for e in events if upto_seq is None or e.seq <= upto_seq]
        self.as_of = as_of
        self.invoices: dict[str, dict] = {}
        self.regions: dict[str, dict] = {}
        self.suppliers: dict[str, dict] = {}
        self.rates: list[tuple] = []
        self.budgets: dict[tuple[str, int], Fraction] = {}
        # Per (region, year): the transfers in or out after its latest revision, in order.
        self.transfers: dict[tuple[str, int], list[tuple[date, dict]]] = defaultdict(list)
        self.orders: dict[str, dict] = {}
        self.leases: dict[str, dict] = {}
        # (effective, payload) of the policy changes and the lease reviews, in the order applied.
        self.policy_changes: list[tuple[date, dict]] = []
        self.reviews: dict[str, dict] = {}
        for event in sorted(
            (e for e in known if e.effective <= as_of), key=lambda e: (e.effective, e.seq)
        ):
            self.apply(event)

    def apply(self, event) -> None:
        p = event.payload
        if event.type == "region.opened":
            self.regions[p["region"]] = p
        elif event.type == "region.updated":
            self.regions[p["region"]] = {**self.regions[p["region"]], **p}
        elif event.type == "supplier.registered":
            self.suppliers[p["supplier"]] = p
        elif event.type == "supplier.updated":
            self.suppliers[p["supplier"]] = {**self.suppliers[p["supplier"]], **p}
        elif event.type == "fx.rate_set":
            self.rates.append(
                (event.effective, event.seq, p["base"], p["quote"], Fraction(p["rate"]))
            )
        elif event.type == "budget.revised":
            self.budgets[(p["region"], p["year"])] = Fraction(p["amount"])
            self.transfers[(p["region"], p["year"])] = []
        elif event.type == "budget.transferred":
            for region in (p["from_region"], p["to_region"]):
                self.transfers[(region, p["year"])].append((event.effective, p))
        elif event.type == "order.placed":
            self.orders[p["order"]] = {
                **p,
                "placed": event.effective,
                "unit_price": Fraction(p["unit_price"]),
                "cancelled": False,
                "amended": False,
                "received": 0,
            }
        elif event.type == "order.amended":
            order = self.orders[p["order"]]
            order["amended"] = True
            if "quantity" in p:
                order["quantity"] = p["quantity"]
            if "unit_price" in p:
                order["unit_price"] = Fraction(p["unit_price"])
        elif event.type == "order.cancelled":
            self.orders[p["order"]]["cancelled"] = True
        elif event.type == "lease.signed":
            self.leases[p["lease"]] = {
                **p,
                "signed": event.effective,
                "start": date.fromisoformat(p["start"]),
                "terminated": None,
                "fee": Fraction(0),
            }
        elif event.type == "lease.terminated":
            self.leases[p["lease"]].update(terminated=event.effective, fee=Fraction(p["fee"]))
        elif event.type == "policy.changed":
            self.policy_changes.append((event.effective, p))
        elif event.type == "lease.reviewed":
            self.reviews[p["lease"]] = {**p, "effective": event.effective}
        elif event.type == "goods.received":
            self.orders[p["order"]]["received"] += p["quantity"]
        elif event.type == "invoice.received":
            self.invoices[p["invoice"]] = {
                **p,
                "effective": event.effective,
                "voided": False,
                "paid": Fraction(0),
            }
        elif event.type == "invoice.voided":
            self.invoices[p["invoice"]]["voided"] = True
        elif event.type == "payment.made":
            self.invoices[p["invoice"]]["paid"] += Fraction(p["amount"])

    def rate(self, currency: str, region: str, on: date) -> Fraction:
        target = self.regions[region]["currency"]
        if currency == target:
            return Fraction(1)
        candidates = [
            (effective, seq, rate if (base, quote) == (currency, target) else 1 / rate)
            for effective, seq, base, quote, rate in self.rates
            if effective <= on and {base, quote} == {currency, target}
        ]
        return max(candidates)[2]

    def budget_of(self, region: str, year: int) -> Fraction:
        """The latest revision, less each transfer out after it, plus each transfer in converted
        at the rate in force on the transfer's own date (with every rate known now)."""
        amount = self.budgets.get((region, year), Fraction(0))
        for effective, p in self.transfers.get((region, year), []):
            if p["from_region"] == region:
                amount -= Fraction(p["amount"])
            else:
                currency = self.regions[p["from_region"]]["currency"]
                amount += Fraction(p["amount"]) * self.rate(currency, region, effective)
        return amount

    def order_value(self, order: dict) -> Fraction:
        if order["cancelled"]:
            return Fraction(0)
        rate = self.rate(order["currency"], order["region"], order["placed"])
        return order["quantity"] * order["unit_price"] * rate

    def lease_charges(self, lease: dict) -> dict[int, Fraction]:
        """Per year: the payments due then (none after a termination) and the fee."""
        rate = self.rate(lease["currency"], lease["region"], lease["signed"])
        charges: dict[int, Fraction] = defaultdict(Fraction)
        for k in range(lease["months"]):
            due = add_months(lease["start"], k)
            if lease["terminated"] is None or due <= lease["terminated"]:
                charges[due.year] += Fraction(lease["monthly_payment"]) * rate
        if lease["terminated"] is not None:
            charges[lease["terminated"].year] += lease["fee"] * rate
        return charges

    def counted(self, kind: str, document: str) -> list[dict]:
        """The document's invoices not voided (all applied ones are dated by the as-of date)."""
        return [
            invoice
            for invoice in self.invoices.values()
            if invoice.get(kind) == document and not invoice["voided"]
        ]

    def layers(self, kind: str, document: str) -> dict[int, dict[str, Fraction]]:
        """Per budget year, what of a document was received, invoiced and paid (SPEC §4.7)."""
        found: dict[int, dict[str, Fraction]] = defaultdict(
            lambda: {"received": Fraction(0), "invoiced": Fraction(0), "paid": Fraction(0)}
        )
        if kind == "order":
            order = self.orders[document]
            rate = self.rate(order["currency"], order["region"], order["placed"])
            year = found[order["placed"].year]
            year["received"] += order["received"] * order["unit_price"] * rate
            for invoice in self.counted("order", document):
                year["invoiced"] += Fraction(invoice["amount"]) * rate
                year["paid"] += invoice["paid"] * rate
            return found
        lease = self.leases[document]
        rate = self.rate(lease["currency"], lease["region"], lease["signed"])
        for k in range(lease["months"]):
            due = add_months(lease["start"], k)
            if due <= self.as_of and (lease["terminated"] is None or due <= lease["terminated"]):
                found[due.year]["received"] += Fraction(lease["monthly_payment"]) * rate
        if lease["terminated"] is not None:
            found[lease["terminated"].year]["received"] += lease["fee"] * rate
        for invoice in self.counted("lease", document):
            found[invoice["effective"].year]["invoiced"] += Fraction(invoice["amount"]) * rate
            found[invoice["effective"].year]["paid"] += invoice["paid"] * rate
        return found

    def spend(self, year: int) -> list[dict]:
        rows = []
        for budget in self.budget(year):
            region = budget["region"]
            layers = {"received": Fraction(0), "invoiced": Fraction(0), "paid": Fraction(0)}
            documents = [
                ("order", o) for o, order in self.orders.items() if order["region"] == region
            ]
            documents += [
                ("lease", lease)
                for lease, signed in self.leases.items()
                if signed["region"] == region
            ]
            for kind, document in documents:
                charged = self.layers(kind, document).get(year)
                for name in layers:
                    layers[name] += charged[name] if charged else 0
            rows.append(
                {
                    "region": region,
                    "year": year,
                    "currency": budget["currency"],
                    "budget": budget["budget"],
                    "committed": budget["committed"],
                    **layers,
                    "open": budget["committed"] - layers["invoiced"],
                    "payable": layers["invoiced"] - layers["paid"],
                    "remaining": budget["remaining"],
                }
            )
        return rows

    def totals(self, kind: str, document: str) -> dict[str, Fraction]:
        years = self.layers(kind, document).values()
        return {
            name: sum((y[name] for y in years), Fraction(0))
            for name in ("received", "invoiced", "paid")
        }

    def budget(self, year: int) -> list[dict]:
        rows = []
        for region in sorted(self.regions):
            budget = self.budget_of(region, year)
            committed = sum(
                self.order_value(o)
                for o in self.orders.values()
                if o["region"] == region and o["placed"].year == year
            )
            committed += sum(
                self.lease_charges(lease)[year]
                for lease in self.leases.values()
                if lease["region"] == region
            )
            rows.append(
                {
                    "region": region,
                    "year": year,
                    "currency": self.regions[region]["currency"],
                    "budget": budget,
                    "committed": committed,
                    "remaining": budget - committed,
                    "utilization": committed / budget if budget else None,
                }
            )
        return rows

    def commitments(self) -> list[dict]:
        rows = []
        for order_id, o in self.orders.items():
            status = "cancelled" if o["cancelled"] else "amended" if o["amended"] else "open"
            rows.append(
                {
                    "kind": "order",
                    "id": order_id,
                    "region": o["region"],
                    "counterparty": o["supplier"],
                    "sku": o["sku"],
                    "quantity": o["quantity"],
                    "status": status,
                    "committed": self.order_value(o),
                    "currency": self.regions[o["region"]]["currency"],
                    **self.totals("order", order_id),
                }
            )
        for lease_id, lease in self.leases.items():
            rows.append(
                {
                    "kind": "lease",
                    "id": lease_id,
                    "region": lease["region"],
                    "counterparty": lease["lessor"],
                    "sku": lease["sku"],
                    "quantity": lease["units"],
                    "status": "open" if lease["terminated"] is None else "terminated",
                    "committed": sum(self.lease_charges(lease).values()),
                    "currency": self.regions[lease["region"]]["currency"],
                    **self.totals("lease", lease_id),
                }
            )
        return sorted(rows, key=lambda row: (row["region"], row["kind"], row["id"]))

    def shares(self, year: int, basis: str) -> list[dict]:
        rows = []
        for region in sorted(self.regions):
            per_supplier: dict[str, dict] = {}
            for o in self.orders.values():
                if o["region"] != region or o["placed"].year != year:
                    continue
                country = self.suppliers[o["supplier"]]["country"]
                share = per_supplier.setdefault(
                    o["supplier"],
                    {
                        "region": region,
                        "supplier": o["supplier"],
                        "country": country,
                        "domestic": country == self.regions[region]["country"],
                        "value": Fraction(0),
                        "units": 0,
                    },
                )
                share["value"] += self.order_value(o)
                share["units"] += 0 if o["cancelled"] else o["quantity"]
            total = sum(share[basis] for share in per_supplier.values())
            for share in sorted(per_supplier.values(), key=lambda s: (-s[basis], s["supplier"])):
                rows.append(
                    {**share, "share": Fraction(share[basis]) / total if total else Fraction(0)}
                )
        return rows


def exact(rows: list[dict]) -> list[dict]:
    """Numbers as Fractions, so a Decimal budget and a Fraction compare by value and type alike."""

    def number(value):
        if isinstance(value, Decimal | Fraction) or (
            isinstance(value, int) and not isinstance(value, bool)
        ):
            return Fraction(value)
        return value

    return [{key: number(value) for key, value in row.items()} for row in rows]


@pytest.fixture(params=["blocks of 4 seqs", "blocks as shipped"])
def bucket_blocks(request, monkeypatch):
    """Order buckets group seqs in blocks; with tiny blocks every knowledge limit falls inside
    some block, so whole buckets and single orders are mixed in every answer."""
    if request.param == "blocks of 4 seqs":
        monkeypatch.setattr(schema, "BUCKET_SEQS", 4)
