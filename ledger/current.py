"""The log as it stands now, inside a write transaction: what the checks at entry and the rows
events add to read models look up. (Not to be confused with a query's knowledge limit,
`upto_seq`: this always sees everything, including the events appended in the transaction.)

One `CurrentLog` lives for one write transaction, which holds the append lock: nobody else can
change the log meanwhile, so what it has read stays true, and it learns every event appended in the
transaction before that event's rows reach the database. Small tables (regions, suppliers,
rates, policies) are read whole once; orders and leases are read per batch of events, in one
query for every document the batch names, and forgotten after the batch to keep memory flat.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, func, select

from ledger import schema
from ledger.dates import as_date
from ledger.kinds import PREFETCH_FIELDS, kind_of
from ledger.kinds.base import Row
from ledger.money import as_decimal
from ledger.semantics.periods import PERIOD_TYPES, PeriodState, next_state, period_states
from ledger.semantics.policies import PolicyHistory
from ledger.sql import for_driver, select_in
from ledger.upcasting import upcast

# The documents `prefetch` reads, by the payload field that names one (the `prefetch` of a type's
# entry in ledger.kinds names some of these).
PREFETCHABLE = ("order", "lease", "invoice", "receipt", "payment")


class CurrentLog:
    """Regions, suppliers, rates, policies and periods read whole; orders and leases per batch."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.regions: dict[str, Row] = _rows_by(connection, schema.regions, "region")
        self.suppliers: dict[str, Row] = _rows_by(connection, schema.suppliers, "supplier")
        rates = schema.fx_rates
        # The first date from which some rate of a currency pair (either direction) is current.
        self.rates_from: dict[frozenset, date] = {}
        for base, quote, first in connection.execute(
            select(rates.c.base, rates.c.quote, func.min(rates.c.effective)).group_by(
                rates.c.base, rates.c.quote
            )
        ):
            self._learn_rate(base, quote, as_date(first))
        # Per region, each of its policies (policy, region, subject) with its history.
        self.policy_history: dict[str, dict[tuple[str, str, str], PolicyHistory]] = {}
        policies = schema.policies
        for row in connection.execute(
            select(policies).order_by(policies.c.effective, policies.c.seq)
        ):
            self._learn_policy(_plain(row))
        # (region, day) → the block-mode policies in force then; cleared when a policy changes.
        self.blocking: dict[tuple[str, date], list] = {}
        # Called before a check that reads the read models with SQL (a block-mode budget cap):
        # the writer puts the rows it still holds into the database.
        self.before_sql: Callable[[], None] = lambda: None
        # Per batch: order_id → order row, or None when there is no such order.
        self.orders: dict[str, Row | None] = {}
        # order_id → its changes in seq order, as (kind, quantity, unit_price, effective, seq):
        # its cancellations, and what an order_changes row's signed delta is folded from.
        self.changes: dict[str, list[tuple]] = {}
        self.leases: dict[str, Row | None] = {}
        # lease → the effective date of its termination (a lease is terminated at most once).
        self.terminated: dict[str, date] = {}
        # Per batch, the later life of the documents read: order_id → its receipts as
        # (quantity, effective, seq); order or lease → its invoices (rows); invoice → its row,
        # or None; invoice → its payments as (amount, effective, seq); invoice → its void's date.
        self.receipts: dict[str, list[tuple]] = {}
        self.document_invoices: dict[str, list[Row]] = {}
        self.invoices: dict[str, Row | None] = {}
        self.payments: dict[str, list[tuple]] = {}
        self.voided: dict[str, date] = {}
        # Per batch, receipt and payment codes → whether the log holds them (their ids are new
        # when recorded).
        self.receipt_codes: dict[str, bool] = {}
        self.payment_codes: dict[str, bool] = {}
        # Region → its books after its latest period event (SPEC §4.6). Period events are few:
        # read by type from the log (index on type), then kept up to date as they are appended.
        events = schema.events
        self.periods: dict[str, PeriodState] = period_states(
            (seq, type_, upcast(type_, version, json.loads(payload)))
            for seq, type_, payload, version in connection.execute(
                select(events.c.seq, events.c.type, events.c.payload, events.c.version)
                .where(events.c.type.in_(PERIOD_TYPES))
                .order_by(events.c.seq)
            )
        )
        self._currency_regions: dict[str, list[str]] | None = None
        # Supplier → the regions of its orders and leases, read when first asked.
        self._supplier_regions: dict[str, set[str]] | None = None
        # Approvals (SPEC §4.9), asked for only when block mode refuses an event: per batch,
        # event_id → the approval naming it, or None. Most ledgers have none, and then nothing is
        # read at all.
        self.approvals: dict[str, Row | None] = {}
        self.any_approval = (
            connection.execute(select(schema.approvals.c.seq).limit(1)).first() is not None
        )

    # -- lookups ----------------------------------------------------------------------------------

    def order(self, order_id: str) -> Row | None:
        if order_id not in self.orders:
            self.prefetch(orders=[order_id])
        return self.orders[order_id]

    def cancelled_on(self, order_id: str) -> list[date]:
        return [
            effective
            for kind, _, _, effective, _ in self.order_changes(order_id)
            if kind == "cancelled"
        ]

    def order_changes(self, order_id: str) -> list[tuple]:
        """The order's changes so far in seq order: (kind, quantity, unit_price, effective, seq)."""
        if order_id not in self.orders:
            self.prefetch(orders=[order_id])
        return self.changes.get(order_id, [])

    def lease(self, lease: str) -> Row | None:
        if lease not in self.leases:
            self.prefetch(leases=[lease])
        return self.leases[lease]

    def is_terminated(self, lease: str) -> bool:
        return self.terminated_on(lease) is not None

    def terminated_on(self, lease: str) -> date | None:
        if lease not in self.leases:
            self.prefetch(leases=[lease])
        return self.terminated.get(lease)

    def lease_reviews(self, lease: str) -> list[tuple[str, date, int]]:
        """The lease's reviews in the log as (outcome, effective, seq), in seq order. Read with
        SQL when asked (only a block-mode lease_review asks, at a payment)."""
        self.before_sql()
        return [
            (outcome, as_date(effective), seq)
            for outcome, effective, seq in self.connection.exec_driver_sql(
                for_driver(
                    self.connection,
                    "SELECT outcome, effective, seq FROM lease_reviews WHERE lease = ? ORDER BY seq",
                ),
                (lease,),
            )
        ]

    def has_receipt(self, receipt: str) -> bool:
        if receipt not in self.receipt_codes:
            self.prefetch(receipts=[receipt])
        return self.receipt_codes[receipt]

    def has_payment(self, payment: str) -> bool:
        if payment not in self.payment_codes:
            self.prefetch(payments=[payment])
        return self.payment_codes[payment]

    def rate_known_from(self, currency: str, other: str) -> date | None:
        return self.rates_from.get(frozenset((currency, other)))

    def regions_of_currency(self, currency: str) -> list[str]:
        if self._currency_regions is None:
            self._currency_regions = {}
            for code, row in self.regions.items():
                self._currency_regions.setdefault(row["currency"], []).append(code)
        return self._currency_regions.get(currency, [])

    def invoice(self, invoice: str) -> Row | None:
        if invoice not in self.invoices:
            self.prefetch(invoices=[invoice])
        return self.invoices[invoice]

    def order_receipts(self, order_id: str) -> list[tuple]:
        """The order's receipts so far: (quantity, effective, seq)."""
        if order_id not in self.orders:
            self.prefetch(orders=[order_id])
        return self.receipts.get(order_id, [])

    def invoices_of(self, kind: str, document: str) -> list[Row]:
        """The invoices of an order or lease so far (rows of the invoices read model)."""
        if document not in (self.orders if kind == "order" else self.leases):
            self.prefetch(**{f"{kind}s": [document]})
        return self.document_invoices.get(document, [])

    def invoice_payments(self, invoice: str) -> list[tuple]:
        """The invoice's payments so far: (amount, effective, seq)."""
        if invoice not in self.invoices:
            self.prefetch(invoices=[invoice])
        return self.payments.get(invoice, [])

    def voided_on(self, invoice: str) -> date | None:
        if invoice not in self.invoices:
            self.prefetch(invoices=[invoice])
        return self.voided.get(invoice)

    def approval_for(self, event_id: str | None) -> Row | None:
        """The approval that names this event_id (at most one does), learned or in the log."""
        if event_id is None or not self.any_approval:
            return None
        if event_id not in self.approvals:
            self.prefetch_approvals([event_id])
        return self.approvals[event_id]

    def prefetch_approvals(self, event_ids: Iterable[str]) -> None:
        """Read in one query the approvals naming any of these event_ids."""
        if not self.any_approval:
            return
        wanted = [event_id for event_id in set(event_ids) if event_id not in self.approvals]
        for event_id in wanted:
            self.approvals[event_id] = None
        for row in select_in(
            self.connection, f"SELECT {_APPROVAL_COLUMNS} FROM approvals WHERE event_id", wanted
        ):
            approval = dict(zip(_APPROVAL_NAMES, row, strict=True))
            approval["effective"] = as_date(approval["effective"])
            self.approvals[approval["event_id"]] = approval

    def approval(self, code: str) -> Row | None:
        """The approval with this id (rare: an approval being recorded)."""
        if not self.any_approval:
            return None
        self.before_sql()
        row = self.connection.exec_driver_sql(
            for_driver(
                self.connection, f"SELECT {_APPROVAL_COLUMNS} FROM approvals WHERE approval = ?"
            ),
            (code,),
        ).first()
        return None if row is None else dict(zip(_APPROVAL_NAMES, row, strict=True))

    def event_seq(self, event_id: str) -> int | None:
        """The seq of the event with this event_id, if the log holds it (this transaction's
        appends included)."""
        self.before_sql()
        return self.connection.exec_driver_sql(
            for_driver(self.connection, "SELECT seq FROM events WHERE event_id = ?"), (event_id,)
        ).scalar()

    # -- what `touches` asks (ledger.semantics.periods.Lookups) -----------------------------------

    def order_region(self, order_id: str) -> str | None:
        row = self.order(order_id)
        return None if row is None else row["region"]

    def lease_region(self, lease: str) -> str | None:
        row = self.lease(lease)
        return None if row is None else row["region"]

    def invoice_region(self, invoice: str) -> str | None:
        row = self.invoice(invoice)
        return None if row is None else row["region"]

    def currency_regions(self, currency: str) -> list[str]:
        return self.regions_of_currency(currency)

    def supplier_regions(self, supplier: str) -> list[str]:
        """The regions with an order or lease of this supplier (asked at a supplier's update):
        every supplier's regions read in one query the first time, then kept up to date as
        orders and leases are appended, so that a batch of updates asks the database once."""
        if self._supplier_regions is None:
            self.before_sql()
            found: dict[str, set[str]] = {}
            for code, region in self.connection.exec_driver_sql(
                "SELECT DISTINCT supplier, region FROM orders "
                "UNION SELECT DISTINCT lessor, region FROM leases"
            ):
                found.setdefault(code, set()).add(region)
            self._supplier_regions = found
        return sorted(self._supplier_regions.get(supplier, ()))

    def prefetch_for(self, payloads: Iterable[Any]) -> None:
        """Prefetch the documents a batch of payloads names: of a typed payload, the fields its
        type's entry in the registry names; of a stored dict (whose type is not at hand), every
        field some type prefetches by."""
        codes: dict[str, list[str]] = {name: [] for name in PREFETCHABLE}
        for payload in payloads:
            if isinstance(payload, dict):
                fields, names = payload, PREFETCH_FIELDS
            else:
                fields, names = payload.__dict__, kind_of(payload.type).prefetch
            for name in names:
                code = fields.get(name)
                if type(code) is str:
                    codes[name].append(code)
        self.prefetch(**{f"{name}s": found for name, found in codes.items()})

    def prefetch(
        self,
        *,
        orders: Iterable[str] = (),
        leases: Iterable[str] = (),
        invoices: Iterable[str] = (),
        receipts: Iterable[str] = (),
        payments: Iterable[str] = (),
    ) -> None:
        """Read the orders, leases and invoices a batch names (with their cancellations,
        terminations, receipts, invoices, voids and payments) in a few queries instead of one
        per event. Only what the checks and the read-model rows need is read."""
        for codes, known, table, key in (
            (receipts, self.receipt_codes, "receipts", "receipt"),
            (payments, self.payment_codes, "payments", "payment"),
        ):
            codes = [code for code in set(codes) if code not in known]
            for code in codes:
                known[code] = False
            for (code,) in select_in(
                self.connection, f"SELECT {key} FROM {table} WHERE {key}", codes
            ):
                known[code] = True
        invoices = [code for code in set(invoices) if code not in self.invoices]
        if invoices:
            self._prefetch_invoices(invoices)
            billed = [row for row in map(self.invoices.get, invoices) if row is not None]
            orders = [*orders, *(row["document"] for row in billed if row["kind"] == "order")]
            leases = [*leases, *(row["document"] for row in billed if row["kind"] == "lease")]
        wanted = [code for code in set(orders) if code not in self.orders]
        for code in wanted:
            self.orders[code] = None
        for (
            order_id,
            region,
            year,
            effective,
            supplier,
            currency,
            quantity,
            unit_price,
        ) in select_in(
            self.connection,
            "SELECT order_id, region, year, effective, supplier, currency, quantity, unit_price "
            "FROM orders WHERE order_id",
            wanted,
        ):
            self.orders[order_id] = {
                "order_id": order_id,
                "region": region,
                "year": year,
                "effective": as_date(effective),
                "supplier": supplier,
                "currency": currency,
                "quantity": quantity,
                "unit_price": as_decimal(unit_price),
            }
        # Only an order already placed can have changes (or receipts, or invoices): nearly every
        # order a batch names that is not in the database yet is one the batch places.
        wanted = [code for code in wanted if self.orders[code] is not None]
        changes_of: dict[str, list[tuple]] = {}
        for order_id, kind, quantity, unit_price, effective, seq in select_in(
            self.connection,
            "SELECT order_id, kind, quantity, unit_price, effective, seq FROM order_changes "
            "WHERE order_id",
            wanted,
        ):
            changes_of.setdefault(order_id, []).append(
                (kind, quantity, unit_price, as_date(effective), seq)
            )
        for order_id, changes in changes_of.items():
            self.changes[order_id] = sorted(changes, key=itemgetter(4))
        for order_id, quantity, effective, seq in select_in(
            self.connection,
            "SELECT order_id, quantity, effective, seq FROM receipts WHERE order_id",
            wanted,
        ):
            self.receipts.setdefault(order_id, []).append((quantity, as_date(effective), seq))
        for order_receipts in self.receipts.values():
            order_receipts.sort(key=itemgetter(2))
        documents = wanted
        wanted = [code for code in set(leases) if code not in self.leases]
        for code in wanted:
            self.leases[code] = None
        for lease, region, effective, lessor, currency, start, months, monthly in select_in(
            self.connection,
            "SELECT lease, region, effective, lessor, currency, start, months, monthly_payment "
            "FROM leases WHERE lease",
            wanted,
        ):
            self.leases[lease] = {
                "lease": lease,
                "region": region,
                "effective": as_date(effective),
                "lessor": lessor,
                "currency": currency,
                # A termination's lease_charges rows are computed from the schedule.
                "start": as_date(start),
                "months": months,
                "monthly_payment": as_decimal(monthly),
            }
        wanted = [code for code in wanted if self.leases[code] is not None]
        for lease, effective in select_in(
            self.connection, "SELECT lease, effective FROM lease_terminations WHERE lease", wanted
        ):
            self.terminated[lease] = as_date(effective)
        documents = [*documents, *wanted]
        if documents:
            by_document: dict[str, list[Row]] = {}
            for row in select_in(
                self.connection,
                f"SELECT {_INVOICE_COLUMNS} FROM invoices WHERE document",
                documents,
            ):
                invoice = _invoice_row(row)
                by_document.setdefault(invoice["document"], []).append(invoice)
            for document, rows in by_document.items():
                self.document_invoices[document] = sorted(rows, key=itemgetter("seq"))

    def _prefetch_invoices(self, codes: list[str]) -> None:
        for code in codes:
            self.invoices[code] = None
        for row in select_in(
            self.connection, f"SELECT {_INVOICE_COLUMNS} FROM invoices WHERE invoice", codes
        ):
            self.invoices[row[0]] = _invoice_row(row)
        found = [code for code in codes if self.invoices[code] is not None]
        for invoice, effective in select_in(
            self.connection, "SELECT invoice, effective FROM invoice_voids WHERE invoice", found
        ):
            self.voided[invoice] = as_date(effective)
        for invoice, amount, effective, seq in select_in(
            self.connection,
            "SELECT invoice, amount, effective, seq FROM payments WHERE invoice",
            found,
        ):
            self.payments.setdefault(invoice, []).append(
                (as_decimal(amount), as_date(effective), seq)
            )
        for payments in self.payments.values():
            payments.sort(key=itemgetter(2))

    def forget_documents(self) -> None:
        """Drop the per-batch lookups once the batch's rows are in the database."""
        self.orders.clear()
        self.changes.clear()
        self.leases.clear()
        self.terminated.clear()
        self.receipts.clear()
        self.document_invoices.clear()
        self.invoices.clear()
        self.payments.clear()
        self.voided.clear()
        self.approvals.clear()
        self.receipt_codes.clear()
        self.payment_codes.clear()

    # -- learning what was appended ---------------------------------------------------------------

    def learn(self, table, row: Row) -> None:
        """Take in one read-model row of an event just appended in this transaction."""
        if table is schema.orders:
            self.orders[row["order_id"]] = row
            if self._supplier_regions is not None:
                self._supplier_regions.setdefault(row["supplier"], set()).add(row["region"])
        elif table is schema.order_changes:
            self.changes.setdefault(row["order_id"], []).append(
                (row["kind"], row["quantity"], row["unit_price"], row["effective"], row["seq"])
            )
        elif table is schema.leases:
            self.leases[row["lease"]] = row
            if self._supplier_regions is not None:
                self._supplier_regions.setdefault(row["lessor"], set()).add(row["region"])
        elif table is schema.lease_terminations:
            self.terminated[row["lease"]] = row["effective"]
        elif table is schema.receipts:
            self.receipt_codes[row["receipt"]] = True
            self.receipts.setdefault(row["order_id"], []).append(
                (row["quantity"], row["effective"], row["seq"])
            )
        elif table is schema.invoices:
            self.invoices[row["invoice"]] = row
            self.document_invoices.setdefault(row["document"], []).append(row)
        elif table is schema.invoice_voids:
            self.voided[row["invoice"]] = row["effective"]
        elif table is schema.payments:
            self.payment_codes[row["payment"]] = True
            self.payments.setdefault(row["invoice"], []).append(
                (row["amount"], row["effective"], row["seq"])
            )
        elif table is schema.approvals:
            self.approvals[row["event_id"]] = row
            self.any_approval = True
        elif table is schema.regions:
            self.regions[row["region"]] = row
            self._currency_regions = None
        elif table is schema.suppliers:
            self.suppliers[row["supplier"]] = row
        elif table is schema.fx_rates:
            self._learn_rate(row["base"], row["quote"], row["effective"])
        elif table is schema.policies:
            self._learn_policy(row)
            self.blocking.clear()

    def learn_event(self, seq: int, event_type: str, payload) -> None:
        """Take in an event just appended that has no read-model rows (a period event)."""
        if event_type in PERIOD_TYPES:
            self.periods[payload.region] = next_state(
                self.periods.get(payload.region), seq, event_type, vars(payload)
            )

    def _learn_policy(self, row: Row) -> None:
        key = (row["policy"], row["region"], row["subject"])
        histories = self.policy_history.setdefault(row["region"], {})
        history = histories.get(key)
        if history is None:
            history = histories[key] = PolicyHistory()
        history.add(row)

    def _learn_rate(self, base: str, quote: str, effective: date) -> None:
        pair = frozenset((base, quote))
        since = self.rates_from.get(pair)
        if since is None or effective < since:
            self.rates_from[pair] = effective


_APPROVAL_NAMES = ("approval", "event_id", "digest", "actor", "effective", "seq")
_APPROVAL_COLUMNS = ", ".join(_APPROVAL_NAMES)

_INVOICE_NAMES = (
    "invoice",
    "kind",
    "document",
    "region",
    "year",
    "supplier",
    "currency",
    "amount",
    "quantity",
    "effective",
    "seq",
)
_INVOICE_COLUMNS = ", ".join(_INVOICE_NAMES)


def _invoice_row(values) -> Row:
    row = dict(zip(_INVOICE_NAMES, values, strict=True))
    row["amount"] = as_decimal(row["amount"])
    row["effective"] = as_date(row["effective"])
    return row


def _rows_by(connection: Connection, table, key: str) -> dict[str, Row]:
    return {getattr(row, key): _plain(row) for row in connection.execute(select(table))}


def _plain(row) -> Row:
    values = dict(row._mapping)
    if isinstance(values.get("effective"), str):
        values["effective"] = date.fromisoformat(values["effective"])
    return values
