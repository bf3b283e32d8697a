"""What an entry of the registry of event types declares (Kind), and what the entries of several
families share: the references an event makes, checked as of its date.

Every field of a Kind is required: a type that does nothing somewhere says so with a named
function (`no_region`, `no_checks`, `never_held`, `no_rows`), so that nothing is left out by being
forgotten.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Connection, Table

from ledger.errors import ValidationError
from ledger.events import Payload
from ledger.semantics.periods import PeriodState, TouchRule
from ledger.semantics.policies import PolicyState
from ledger.semantics.rates import RateBook, no_rate_in_force

Row = dict[str, Any]
TableRows = list[tuple[Table, Row]]


class Log(Protocol):
    """What an entry's checks, block-mode targets and rows may ask of the log as it stands in
    the write transaction (ledger.current.CurrentLog: every event appended so far, this
    transaction's included). A document's row is None when the log holds no such document."""

    connection: Connection
    regions: dict[str, Row]
    suppliers: dict[str, Row]
    periods: dict[str, PeriodState]
    # Called before a check reads the read models with SQL: the rows still held are written.
    before_sql: Callable[[], None]

    def order(self, order_id: str) -> Row | None: ...
    def cancelled_on(self, order_id: str) -> list[date]: ...
    def order_changes(self, order_id: str) -> list[tuple]: ...
    def order_receipts(self, order_id: str) -> list[tuple]: ...
    def invoices_of(self, kind: str, document: str) -> list[Row]: ...
    def lease(self, lease: str) -> Row | None: ...
    def is_terminated(self, lease: str) -> bool: ...
    def terminated_on(self, lease: str) -> date | None: ...
    def lease_reviews(self, lease: str) -> list[tuple[str, date, int]]: ...
    def invoice(self, invoice: str) -> Row | None: ...
    def invoice_payments(self, invoice: str) -> list[tuple]: ...
    def voided_on(self, invoice: str) -> date | None: ...
    def has_receipt(self, receipt: str) -> bool: ...
    def has_payment(self, payment: str) -> bool: ...
    def rate_known_from(self, currency: str, other: str) -> date | None: ...
    def approval(self, code: str) -> Row | None: ...
    def approval_for(self, event_id: str | None) -> Row | None: ...
    def event_seq(self, event_id: str) -> int | None: ...


# References and lifecycle at entry, from the typed payload, the effective date and the reason:
# raise ValidationError naming the field.
Check = Callable[[Log, Any, date, "str | None"], None]
# The read-model rows an event adds, from its seq, effective date, actor and typed payload (read
# by attribute, so that anything with the model's attributes will do) and the log as it stands.
Rows = Callable[[int, date, str, Any, Log], TableRows]
# What block-mode policies judge of an event, or None when no policy can refuse its type.
Block = Callable[[Log, Any], "Held | None"]
# What an event adds to committed(R, Y) per budget year, in the region's currency.
Commitment = Callable[[Log, Any, date, RateBook, str], dict[int, Fraction]]
# A policy's own judgement of an event (raise BlockedError to refuse it).
Judge = Callable[[Log, Any, date, PolicyState], None]


class Subject(NamedTuple):
    """What an event is about, for people and for `log --id`."""

    # What the recorded line names: a format over the payload's fields ("{base}/{quote}").
    line: str
    # The code fields whose value `log --id CODE` matches (the documents it is about).
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Held:
    """What block-mode policies judge of one event."""

    region: str  # whose policies judge it
    document: str  # how a refusal names it: "order PO-1"
    field: str  # the field a budget cap's refusal names
    # restricted_supplier / restricted_sku → (the field, its value) compared with the subject.
    restricted: Mapping[str, tuple[str, str]] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )
    # What it adds to committed, judged by a budget cap; None: no cap judges it.
    commitment: Commitment | None = None
    # Other policies that judge it by their own rule (a payment's three-way match, say).
    judges: Mapping[str, Judge] = dataclasses.field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Kind:
    """One event type, declared once: everything the house must know of it."""

    model: type[Payload]  # its fields and their checks (ledger.events)
    subject: Subject  # the recorded line and `log --id`
    touches: TouchRule  # the regions it touches: closed books, `diff events`, `log --region`
    check: Check  # references and lifecycle at entry (ledger.rules runs closed books after)
    block: Block  # what block-mode policies judge of it
    rows: Rows  # its read-model rows (ledger.projections.apply)
    prefetch: tuple[str, ...]  # the document fields a batch reads before checking (CurrentLog)

    @property
    def type(self) -> str:
        return self.model.type


def no_checks(current: Log, payload: Any, on: date, reason: str | None) -> None:
    """Nothing in the log can refuse it (a rate, say): its model's checks are all."""


def never_held(current: Log, payload: Any) -> None:
    """No block-mode policy judges this type."""
    return None


def no_rows(seq: int, effective: date, actor: str, payload: Any, current: Log) -> TableRows:
    """No read model: the events are few and read by type from the log itself."""
    return []


def blocked_by(state: PolicyState) -> str:
    """How a refusal names the block-mode policy that refuses: `blocked by budget_cap (block) of
    region CN, in force since 2025-01-01` (a policy in force has a date since which it is)."""
    return f"blocked by {state.describe()}, in force since {state.since}"


# -- references as of the event's date -------------------------------------------------------------


def known(row: Row | None, noun: str, code: str) -> Row:
    """The row of a document the event's checks found (a replayed log that lacks it is refused,
    naming it)."""
    if row is None:
        raise LookupError(f"{noun} {code!r} is not in the log")
    return row


def exists_on(row: Row | None, code: str, on: date, field: str, noun: str, verb: str) -> Row:
    """The read-model row of a region, supplier, order or lease that exists on date `on`."""
    if row is None:
        raise ValidationError(f"{noun} {code!r} is not {verb}", field)
    if row["effective"] > on:
        raise ValidationError(
            f"{noun} {code!r} is {verb} only from {row['effective'].isoformat()}, after {on.isoformat()}",
            field,
        )
    return row


def region_as_of(current: Log, region: str, on: date, field: str = "region") -> Row:
    return exists_on(current.regions.get(region), region, on, field, "region", "opened")


def supplier_as_of(current: Log, supplier: str, on: date, field: str) -> Row:
    return exists_on(current.suppliers.get(supplier), supplier, on, field, "supplier", "registered")


def lease_as_of(current: Log, lease: str, on: date) -> Row:
    return exists_on(current.lease(lease), lease, on, "lease", "lease", "signed")


def invoice_as_of(current: Log, invoice: str, on: date) -> Row:
    return exists_on(current.invoice(invoice), invoice, on, "invoice", "invoice", "received")


def order_open_as_of(current: Log, order: str, on: date) -> Row:
    row = exists_on(current.order(order), order, on, "order", "order", "placed")
    cancelled = [effective for effective in current.cancelled_on(order) if effective <= on]
    if cancelled:
        raise ValidationError(
            f"order {order!r} is cancelled as of {min(cancelled).isoformat()}", "order"
        )
    return row


def order_placed_never_cancelled(current: Log, order: str, on: date, what: str) -> Row:
    """An order placed on or before `on` for which the log holds no cancellation, whatever its
    date: a cancelled order receives no goods and no bills."""
    row = exists_on(current.order(order), order, on, "order", "order", "placed")
    cancelled = current.cancelled_on(order)
    if cancelled:
        raise ValidationError(
            f"order {order!r} is cancelled (from {min(cancelled).isoformat()}); "
            f"a cancelled order takes no {what}",
            "order",
        )
    return row


def require_rate(
    current: Log, currency: str, region_currency: str, on: date, field: str = "currency"
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
