"""The compliance report (SPEC §4.5): rows per enabled policy in force at the as-of date, each with a
status (violation, pending, ok) and a detail that tells a person what to act on."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Table, and_, select

from ledger import schema
from ledger.dates import as_date
from ledger.money import money, percent, round_half_up, threshold_percent
from ledger.reads.commitments import commitment_rows
from ledger.reads.matching import three_way_match
from ledger.reads.policies import enabled_policies
from ledger.reads.rates import rate_book
from ledger.reads.regions import budget_amount, region_rows
from ledger.reads.totals import region_totals
from ledger.semantics.policies import PolicyState
from ledger.semantics.spend import Billed, match_detail
from ledger.sql import visible

STATUS_ORDER = {"violation": 0, "pending": 1, "ok": 2}


def compliance_rows(
    connection: Connection, *, as_of: date, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """Rows with policy, region, subject, status, detail; violations first, then pending, then
    ok; then by policy, region and subject."""
    report = _Report(connection, as_of, upto_seq)
    states = enabled_policies(connection, as_of, upto_seq, region=region)
    report.value_restricted(states)
    rows = []
    for state in states:
        for subject, status, detail in report.rows(state):
            rows.append(
                {
                    "policy": state.policy,
                    "region": state.region,
                    "subject": subject,
                    "status": status,
                    "detail": detail,
                }
            )
    _note_approvals(connection, rows, as_of, upto_seq)
    return sorted(
        rows,
        key=lambda row: (STATUS_ORDER[row["status"]], row["policy"], row["region"], row["subject"]),
    )


# Rows whose subject is a document (an order or lease id); budget_cap's subject is a year.
_DOCUMENT_POLICIES = ("restricted_supplier", "restricted_sku", "three_way_match", "lease_review")


def _note_approvals(
    connection: Connection, rows: list[dict[str, Any]], as_of: date, upto_seq: int | None
) -> None:
    """A violation (or pending row) that an approved event relates to keeps its status, and its
    detail says who approved it: "approved by bob, approval A-1, seq 57" (the approval's seq).
    An approved order, amendment or lease relates to its own row (restrictions) and to the
    budget cap of its region and years; an approved payment to the row of the order or lease
    its invoice bills. Only approved events known and in effect by the as-of date count."""
    notes = _approved_subjects(connection, as_of, upto_seq)
    if not notes:
        return
    for row in rows:
        if row["status"] == "ok":
            continue
        if row["policy"] in _DOCUMENT_POLICIES:
            key = (row["region"], "document", row["subject"])
        elif row["policy"] == "budget_cap":
            key = (row["region"], "year", row["subject"])
        else:
            continue
        if key in notes:
            row["detail"] = "; ".join([row["detail"], *notes[key]])


def _approved_subjects(
    connection: Connection, as_of: date, upto_seq: int | None
) -> dict[tuple[str, str, str], list[str]]:
    """(region, "document" or "year", id or year) → the approvals of events about it."""
    approvals, events = schema.approvals, schema.events
    # Approvals are few and the log is long: the approvals first, then their events by id (a
    # join would let the planner scan the log for them).
    query = select(approvals.c.approval, approvals.c.actor, approvals.c.seq, approvals.c.event_id)
    if upto_seq is not None:
        query = query.where(approvals.c.seq <= upto_seq)
    granted = connection.execute(query.order_by(approvals.c.seq)).all()
    approved: dict[str, tuple] = {}
    wanted = sorted({row.event_id for row in granted})
    for start in range(0, len(wanted), 5000):
        found = select(
            events.c.event_id, events.c.type, events.c.effective, events.c.payload
        ).where(events.c.event_id.in_(wanted[start : start + 5000]), events.c.effective <= as_of)
        if upto_seq is not None:
            found = found.where(events.c.seq <= upto_seq)
        for event_id, type_, effective, payload in connection.execute(found):
            approved[event_id] = (type_, effective, payload)
    notes: dict[tuple[str, str, str], list[str]] = {}
    for approval, actor, seq, event_id in granted:
        if event_id not in approved:
            continue
        type_, effective, payload = approved[event_id]
        note = f"approved by {actor}, approval {approval}, seq {seq}"
        for key in _subjects(connection, type_, as_date(effective), json.loads(payload)):
            notes.setdefault(key, []).append(note)
    return notes


def _subjects(connection: Connection, type_: str, effective: date, payload: dict) -> list[tuple]:
    """The compliance subjects an approved event is about (approvals are few: a query each)."""
    if type_ == "order.placed":
        region, document, years = payload["region"], payload["order"], [effective.year]
    elif type_ == "order.amended":
        order = connection.execute(
            select(schema.orders.c.region, schema.orders.c.year).where(
                schema.orders.c.order_id == payload["order"]
            )
        ).first()
        if order is None:
            return []
        region, document, years = order.region, payload["order"], [order.year]
    elif type_ == "lease.signed":
        start, months = date.fromisoformat(payload["start"]), int(payload["months"])
        last = start.year + (start.month - 1 + months - 1) // 12
        region, document = payload["region"], payload["lease"]
        years = list(range(start.year, last + 1))
    elif type_ == "payment.made":
        invoices = schema.invoices
        invoice = connection.execute(
            select(invoices.c.region, invoices.c.document, invoices.c.year).where(
                invoices.c.invoice == payload["invoice"]
            )
        ).first()
        if invoice is None:
            return []
        region, document, years = invoice.region, invoice.document, [invoice.year]
    else:
        return []
    return [(region, "document", document), *((region, "year", str(year)) for year in years)]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


class _Report:
    """The facts of one report, read once per region and shared by its policies."""

    def __init__(self, connection: Connection, as_of: date, upto_seq: int | None):
        self.connection = connection
        self.as_of = as_of
        self.upto_seq = upto_seq
        self._currencies: dict[str, str] = {}
        self._totals: dict[str, tuple[Fraction, list[dict[str, Any]]]] = {}
        self._restricted: dict[
            PolicyState, tuple[Sequence[Row[*tuple[Any, ...]]], Sequence[Row[*tuple[Any, ...]]]]
        ] = {}
        self._documents: dict[tuple[str, str], dict[str, Any]] = {}
        self.rate = rate_book(connection, as_of, upto_seq)

    def rows(self, state: PolicyState) -> list[tuple[str, str, str]]:
        """(subject, status, detail) for each row of one enabled policy."""
        match state.policy:
            case "min_domestic_share":
                return [self._domestic_share(state)]
            case "budget_cap":
                return [self._budget_cap(state)]
            case "restricted_supplier" | "restricted_sku":
                return self._restriction(state)
            case "lease_review":
                return self._lease_reviews(state)
            case "three_way_match":
                return self._three_way_match(state)
        raise AssertionError(f"unknown policy {state.policy}")

    def currency(self, region: str) -> str:
        if region not in self._currencies:
            (row,) = region_rows(self.connection, self.as_of, self.upto_seq, region)
            self._currencies[region] = row.currency
        return self._currencies[region]

    def totals(self, region: str) -> tuple[Fraction, list[dict[str, Any]]]:
        """The region's committed and supplier shares for the as-of year, computed once for
        all its policies."""
        if region not in self._totals:
            total, shares = region_totals(
                self.connection, region, self.as_of.year, self.as_of, self.upto_seq, self.rate
            )
            assert total is not None  # committed is asked for
            self._totals[region] = (total, shares)
        return self._totals[region]

    def value_restricted(self, states: list[PolicyState]) -> None:
        """Value the documents every restriction policy names in one commitments query per
        region, rather than one per policy."""
        wanted: dict[str, set[str]] = {}
        for state in states:
            if state.policy in ("restricted_supplier", "restricted_sku"):
                placed, signed = self.restricted(state)
                wanted.setdefault(state.region, set()).update(d.id for d in [*placed, *signed])
        for region, ids in wanted.items():
            self.documents(region, sorted(ids))

    def documents(self, region: str, ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
        """Some of the region's orders and leases as of the date, by (kind, id), with status and
        committed; each valued once per report."""
        missing = [
            id_
            for id_ in ids
            if ("order", id_) not in self._documents and ("lease", id_) not in self._documents
        ]
        if missing:
            rows = commitment_rows(
                self.connection,
                as_of=self.as_of,
                region=region,
                upto_seq=self.upto_seq,
                ids=missing,
                rate=self.rate,
                layers=False,
            )
            self._documents.update(((row["kind"], row["id"]), row) for row in rows)
        return self._documents

    def _visible(self, table: Table) -> list[ColumnElement[bool]]:
        return visible(table, self.as_of, self.upto_seq)

    # -- one method per policy kind ---------------------------------------------------------------

    def _domestic_share(self, state: PolicyState) -> tuple[str, str, str]:
        year = self.as_of.year
        basis = state.basis or "value"
        _, shares = self.totals(state.region)
        total = sum((Fraction(share[basis]) for share in shares), Fraction(0))
        domestic = sum(
            (Fraction(share[basis]) for share in shares if share["domestic"]), Fraction(0)
        )
        # A domestic-share policy always carries its threshold (checked at entry).
        assert state.threshold is not None
        threshold = Fraction(state.threshold)
        wanted = threshold_percent(state.threshold)
        if basis == "value":
            currency = self.currency(state.region)

            def amount(value: Fraction) -> str:
                return money(value, currency)
        else:

            def amount(value: Fraction) -> str:
                return _plural(int(value), "unit")

        if total == 0:
            return (
                str(year),
                "ok",
                (f"no orders charged to {year} yet ({basis} basis); threshold {wanted}"),
            )
        share = domestic / total
        measured = f"domestic {amount(domestic)} of {amount(total)}, {basis} basis"
        if share >= threshold:
            return (
                str(year),
                "ok",
                (f"domestic share {percent(share)} meets {wanted} threshold ({measured})"),
            )
        if threshold == 1:
            needed = (
                f"{wanted} cannot be reached while non-domestic orders of "
                f"{amount(total - domestic)} remain"
            )
        else:
            # The x with (domestic + x) / (total + x) = threshold.
            shortfall = (threshold * total - domestic) / (1 - threshold)
            if basis == "value":
                needed = (
                    f"needs {money(shortfall, currency)} more domestic purchases to reach {wanted}"
                )
            else:
                needed = (
                    f"needs {_plural(math.ceil(shortfall), 'more domestic unit')} to reach {wanted}"
                )
        return (
            str(year),
            "violation",
            (f"domestic share {percent(share)} below {wanted} threshold: {needed} ({measured})"),
        )

    def _budget_cap(self, state: PolicyState) -> tuple[str, str, str]:
        year = self.as_of.year
        currency = self.currency(state.region)
        spent, _ = self.totals(state.region)
        budget = budget_amount(self.connection, state.region, year, self.as_of, self.upto_seq)
        if budget is None:
            return (
                str(year),
                "ok",
                (f"no budget recorded for {year}; committed {money(spent, currency)}"),
            )
        remaining = Fraction(budget) - spent
        used = f"committed {money(spent, currency)} of budget {money(budget, currency)}"
        if budget:
            used += f" ({round_half_up(spent / Fraction(budget) * 100)}%)"
        if remaining < 0:
            return str(year), "violation", f"over budget by {money(-remaining, currency)}: {used}"
        return str(year), "ok", f"within budget, headroom {money(remaining, currency)}: {used}"

    def restricted(
        self, state: PolicyState
    ) -> tuple[Sequence[Row[*tuple[Any, ...]]], Sequence[Row[*tuple[Any, ...]]]]:
        """The orders placed and leases signed in the region since the restriction began that
        name its supplier (lessor) or sku."""
        if state in self._restricted:
            return self._restricted[state]
        by_supplier = state.policy == "restricted_supplier"
        orders, leases = schema.orders, schema.leases
        order_column = orders.c.supplier if by_supplier else orders.c.sku
        lease_column = leases.c.lessor if by_supplier else leases.c.sku
        placed = self.connection.execute(
            select(
                orders.c.order_id.label("id"),
                orders.c.supplier.label("counterparty"),
                orders.c.sku,
                orders.c.effective,
            ).where(
                orders.c.region == state.region,
                order_column == state.subject,
                orders.c.effective >= state.since,
                *self._visible(orders),
            )
        )
        signed = self.connection.execute(
            select(
                leases.c.lease.label("id"),
                leases.c.lessor.label("counterparty"),
                leases.c.sku,
                leases.c.effective,
            ).where(
                leases.c.region == state.region,
                lease_column == state.subject,
                leases.c.effective >= state.since,
                *self._visible(leases),
            )
        )
        found = self._restricted[state] = (placed.all(), signed.all())
        return found

    def _restriction(self, state: PolicyState) -> list[tuple[str, str, str]]:
        by_supplier = state.policy == "restricted_supplier"
        since = state.since
        assert since is not None  # only policies in force are checked
        placed, signed = self.restricted(state)
        # Only these documents need their commitment valued: usually none or a handful.
        documents = self.documents(state.region, [document.id for document in [*placed, *signed]])
        what = "supplier" if by_supplier else "sku"
        rows = []
        for kind, found in (("order", placed), ("lease", signed)):
            for document in found:
                current = documents[(kind, document.id)]
                if current["status"] in ("cancelled", "terminated"):
                    continue
                counterparty = "supplier" if kind == "order" else "lessor"
                verb = "placed" if kind == "order" else "signed"
                rows.append(
                    (
                        document.id,
                        "violation",
                        (
                            f"{kind} {document.id} ({counterparty} {document.counterparty}, sku {document.sku}) "
                            f"{verb} {document.effective.isoformat()}, on or after the restriction of "
                            f"{what} {state.subject} from {since.isoformat()}: committed "
                            f"{money(current['committed'], current['currency'])}"
                        ),
                    )
                )
        if not rows:
            rows.append(
                (
                    state.subject,
                    "ok",
                    (
                        f"no open order or lease with {what} {state.subject} placed or signed since "
                        f"{since.isoformat()}"
                    ),
                )
            )
        return rows

    def _lease_reviews(self, state: PolicyState) -> list[tuple[str, str, str]]:
        leases, terminations, reviews = (
            schema.leases,
            schema.lease_terminations,
            schema.lease_reviews,
        )
        signed = self.connection.execute(
            select(leases)
            .outerjoin(
                terminations,
                and_(terminations.c.lease == leases.c.lease, *self._visible(terminations)),
            )
            .where(
                leases.c.region == state.region,
                leases.c.effective >= state.since,
                terminations.c.lease.is_(None),
                *self._visible(leases),
            )
        )
        # The latest known review of each lease of the region, read in one query.
        latest = {}
        for known in self.connection.execute(
            select(reviews)
            .join(leases, leases.c.lease == reviews.c.lease)
            .where(leases.c.region == state.region, *self._visible(reviews))
            .order_by(reviews.c.effective, reviews.c.seq)
        ):
            latest[known.lease] = known
        rows = []
        for lease in signed:
            review = latest.get(lease.lease)
            if review is None:
                days = (self.as_of - lease.effective).days
                rows.append(
                    (
                        lease.lease,
                        "pending",
                        (
                            f"no review yet: pending {_plural(days, 'day')} since signing on "
                            f"{lease.effective.isoformat()} (lessor {lease.lessor}, {lease.units:,} units "
                            f"of {lease.sku}); record the owner/operator review before the capacity is used"
                        ),
                    )
                )
                continue
            reference = f"reference {review.reference}" if review.reference else "no reference"
            reviewed = (
                f"{review.outcome} by {review.actor} on {review.effective.isoformat()}, "
                f"{reference} (owner {review.owner}, operator {review.operator})"
            )
            if review.outcome == "approved":
                rows.append((lease.lease, "ok", reviewed))
            else:
                rows.append(
                    (lease.lease, "violation", f"{reviewed}: the leased capacity must not be used")
                )
        return rows

    def _three_way_match(self, state: PolicyState) -> list[tuple[str, str, str]]:
        rows = []
        looked, failed = three_way_match(
            self.connection,
            as_of=self.as_of,
            upto_seq=self.upto_seq,
            region=state.region,
            tolerance=state.tolerance,
        )
        for facts, failures in failed:
            totals = Billed(facts.invoiced_quantity, facts.invoiced, facts.paid, facts.invoices)
            detail = match_detail(
                failures, facts.state, facts.received, totals, state.tolerance, facts.currency
            )
            rows.append((facts.order, "violation", f"order {facts.order}: {detail}"))
        if not rows:
            tolerance = threshold_percent(state.tolerance or Decimal(0))
            rows.append(
                (
                    "invoices",
                    "ok",
                    f"{_plural(looked, 'order')} with receipts or invoices, every one "
                    f"matched (tolerance {tolerance})",
                )
            )
        return rows
