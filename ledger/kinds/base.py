"""What an entry of the registry of event types declares (Kind), and what the entries of several
families share: the references an event makes, checked as of its date.

Every field of a Kind is required: a type that does nothing somewhere says so with a named
function (`no_region`, `no_checks`, `never_held`, `no_rows`), so that nothing is left out by being
forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Table

from ledger.errors import ValidationError
from ledger.events import NewEvent, Payload
from ledger.semantics.periods import TouchRule
from ledger.semantics.policies import PolicyState
from ledger.semantics.rates import RateBook, no_rate_in_force

if TYPE_CHECKING:
    from ledger.current import CurrentLog

Row = dict[str, Any]
TableRows = list[tuple[Table, Row]]
# The lifecycle checks of an event at entry: raise ValidationError naming the field.
Check = Callable[["CurrentLog", NewEvent], None]
# The read-model rows an event adds, from its seq, effective date, actor and typed payload (read
# by attribute, so that anything with the model's attributes will do) and the log as it stands.
Rows = Callable[[int, date, str, Any, "CurrentLog"], TableRows]
# What block-mode policies judge of an event, or None when no policy can refuse its type.
Block = Callable[["CurrentLog", Any], "Held | None"]
# What an event adds to committed(R, Y) per budget year, in the region's currency.
Commitment = Callable[["CurrentLog", Any, date, RateBook, str], dict[int, Fraction]]
# A policy's own judgement of an event (raise BlockedError to refuse it).
Judge = Callable[["CurrentLog", Any, date, PolicyState], None]


class Subject(NamedTuple):
    """What an event is about, for people and for `log --id`."""

    # What the recorded line names: a format over the payload's fields ("{base}/{quote}").
    line: str
    # The code fields whose value `log --id CODE` matches (the documents it is about).
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Held:
    """What block-mode policies judge of one event (SPEC §4.5)."""

    region: str  # whose policies judge it
    document: str  # how a refusal names it: "order PO-1"
    field: str  # the field a budget cap's refusal names
    # restricted_supplier / restricted_sku → (the field, its value) compared with the subject.
    restricted: Mapping[str, tuple[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    # What it adds to committed, judged by a budget cap; None: no cap judges it.
    commitment: Commitment | None = None
    # Other policies that judge it by their own rule (a payment's three-way match, say).
    judges: Mapping[str, Judge] = field(default_factory=lambda: MappingProxyType({}))


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


def no_checks(current: CurrentLog, event: NewEvent) -> None:
    """Nothing in the log can refuse it (a rate, say): its model's checks are all."""


def never_held(current: CurrentLog, payload: Any) -> None:
    """No block-mode policy judges this type."""
    return None


def no_rows(seq: int, effective: date, actor: str, payload: Any, current: CurrentLog) -> TableRows:
    """No read model: the events are few and read by type from the log itself."""
    return []


# -- references as of the event's date (SPEC §3.1) ------------------------------------------------


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


def region_as_of(current: CurrentLog, region: str, on: date, field: str = "region") -> Row:
    return exists_on(current.regions.get(region), region, on, field, "region", "opened")


def supplier_as_of(current: CurrentLog, supplier: str, on: date, field: str) -> Row:
    return exists_on(current.suppliers.get(supplier), supplier, on, field, "supplier", "registered")


def lease_as_of(current: CurrentLog, lease: str, on: date) -> Row:
    return exists_on(current.lease(lease), lease, on, "lease", "lease", "signed")


def invoice_as_of(current: CurrentLog, invoice: str, on: date) -> Row:
    return exists_on(current.invoice(invoice), invoice, on, "invoice", "invoice", "received")


def order_open_as_of(current: CurrentLog, order: str, on: date) -> Row:
    row = exists_on(current.order(order), order, on, "order", "order", "placed")
    cancelled = [effective for effective in current.cancelled_on(order) if effective <= on]
    if cancelled:
        raise ValidationError(
            f"order {order!r} is cancelled as of {min(cancelled).isoformat()}", "order"
        )
    return row


def order_placed_never_cancelled(current: CurrentLog, order: str, on: date, what: str) -> Row:
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
