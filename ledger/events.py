"""The event types of the ledger: strict pydantic payload models, the registry of models by
type (PAYLOAD_TYPES), and an event as a caller proposes it (NewEvent).

The field types the models are built from are in ledger.fields; an event as the log holds it is
ledger.stored.StoredEvent; what each type means to the rest of the house (its checks, the
regions it touches, its read-model rows) is its entry in ledger.kinds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import pydantic
from pydantic import BaseModel, ConfigDict, model_validator

from ledger.chain import canonical
from ledger.dates import last_payment
from ledger.errors import ValidationError
from ledger.fields import (
    FIELD_NAME_PATTERN,
    Code,
    Count,
    Country,
    Currency,
    Day,
    Digest,
    Flag,
    Fraction01,
    Money,
    Positive,
    Text,
    Uuid,
    Year,
    bounded_integer,
    choice,
    parse_actor,
    parse_date,
    parse_event_id,
    parse_reason,
)
from ledger.money import canonical_decimal
from ledger.semantics.periods import CLOSED, REOPENED


class Payload(BaseModel):
    """A payload: frozen, unknown fields refused, every field parsed exactly."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: ClassVar[str]
    # The version of this type's payload model; stored with each event. A change to a model
    # raises it by one and registers an upcaster for the old payloads (ledger.upcasting).
    version: ClassVar[int] = 1

    def canonical(self) -> dict[str, Any]:
        """The stored form: decimals as plain strings, dates as strings, optional
        fields without a value left out."""
        stored: dict[str, Any] = {}
        # The fields' values, as iterating the model gives them (extra fields are forbidden),
        # without pydantic's per-field iterator: this runs for every event appended.
        for name, value in self.__dict__.items():
            kind = type(value)
            if kind is str or kind is int or kind is bool:
                pass
            elif value is None:
                continue
            elif isinstance(value, Decimal):
                value = canonical_decimal(value)
            elif isinstance(value, date):
                value = value.isoformat()
            stored[name] = value
        return stored

    def __reduce__(self):
        # pickle (an import's second process sends its events) through pydantic's own state,
        # restored without pydantic's per-object __setstate__, which costs several times more.
        return (_restore_payload, (type(self), self.__getstate__()))

    def canonical_text(self) -> str:
        """The stored payload text: canonical JSON of `canonical()`."""
        return canonical(self.canonical())


def _restore_payload(model: type[Payload], state: dict[str, Any]) -> Payload:
    payload = model.__new__(model)
    for name, value in state.items():
        object.__setattr__(payload, name, value)
    return payload


class RegionOpened(Payload):
    type: ClassVar[str] = "region.opened"
    region: Code
    name: Text
    country: Country
    currency: Currency


class SupplierRegistered(Payload):
    type: ClassVar[str] = "supplier.registered"
    supplier: Code
    name: Text
    country: Country


class FxRateSet(Payload):
    type: ClassVar[str] = "fx.rate_set"
    base: Currency
    quote: Currency
    rate: Positive

    @model_validator(mode="after")
    def _distinct_pair(self) -> FxRateSet:
        if self.base == self.quote:
            raise ValueError("quote: must differ from base")
        return self


class BudgetRevised(Payload):
    type: ClassVar[str] = "budget.revised"
    region: Code
    year: Year
    amount: Money
    currency: Currency | None = None


class OrderPlaced(Payload):
    type: ClassVar[str] = "order.placed"
    order: Code
    region: Code
    supplier: Code
    sku: Code
    quantity: Count
    unit_price: Money
    currency: Currency
    purpose: Annotated[str, choice("training", "inference", "other")] | None = None


class OrderAmended(Payload):
    type: ClassVar[str] = "order.amended"
    order: Code
    quantity: Count | None = None
    unit_price: Money | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> OrderAmended:
        if self.quantity is None and self.unit_price is None:
            raise ValueError("quantity: an amendment needs quantity, unit_price or both")
        return self


class OrderCancelled(Payload):
    type: ClassVar[str] = "order.cancelled"
    order: Code


class LeaseSigned(Payload):
    type: ClassVar[str] = "lease.signed"
    lease: Code
    region: Code
    lessor: Code
    sku: Code
    units: Count
    start: Day
    months: Annotated[int, bounded_integer(1, 600)]
    monthly_payment: Money
    currency: Currency

    @model_validator(mode="after")
    def _schedule_fits_the_calendar(self) -> LeaseSigned:
        try:
            last_payment(self.start, self.months)
        except ValueError as error:
            raise ValueError(f"months: {error}") from None
        return self


class LeaseTerminated(Payload):
    type: ClassVar[str] = "lease.terminated"
    lease: Code
    fee: Money = Decimal(0)


class LeaseReviewed(Payload):
    type: ClassVar[str] = "lease.reviewed"
    lease: Code
    owner: Text
    operator: Text
    outcome: Annotated[str, choice("approved", "rejected")]
    reference: Text | None = None


POLICY_KINDS = (
    "min_domestic_share",
    "restricted_supplier",
    "restricted_sku",
    "budget_cap",
    "lease_review",
    "three_way_match",
)
WARN_ONLY_POLICIES = ("min_domestic_share",)
# The settings each policy kind takes beyond policy/region/mode/enabled.
POLICY_SETTINGS = {
    "min_domestic_share": ("threshold", "basis"),
    "restricted_supplier": ("supplier",),
    "restricted_sku": ("sku",),
    "budget_cap": (),
    "lease_review": (),
    "three_way_match": ("tolerance",),
}
# Settings with a default, filled in when absent (and stored, so the hash covers them).
POLICY_DEFAULTS = {"basis": "value", "tolerance": Decimal(0)}


class PolicyChanged(Payload):
    type: ClassVar[str] = "policy.changed"
    policy: Annotated[str, choice(*POLICY_KINDS)]
    region: Code
    mode: Annotated[str, choice("warn", "block")] = "warn"
    enabled: Flag = True
    threshold: Fraction01 | None = None
    basis: Annotated[str, choice("value", "units")] | None = None
    supplier: Code | None = None
    sku: Code | None = None
    tolerance: Fraction01 | None = None

    @model_validator(mode="after")
    def _settings_fit_the_policy(self) -> PolicyChanged:
        allowed = POLICY_SETTINGS[self.policy]
        for name in ("threshold", "basis", "supplier", "sku", "tolerance"):
            if getattr(self, name) is not None and name not in allowed:
                raise ValueError(f"{name}: not a setting of {self.policy}")
        for name in allowed:
            if name not in POLICY_DEFAULTS and getattr(self, name) is None:
                raise ValueError(f"{name}: {self.policy} needs {name}")
        if self.policy in WARN_ONLY_POLICIES and self.mode == "block":
            raise ValueError(f"mode: {self.policy} supports only warn mode")
        for name in allowed:
            if name in POLICY_DEFAULTS and getattr(self, name) is None:
                object.__setattr__(self, name, POLICY_DEFAULTS[name])
        return self

    @property
    def subject(self) -> str:
        """What, besides (policy, region), identifies the policy: its supplier or sku."""
        return self.supplier or self.sku or ""


class PeriodClosed(Payload):
    """The region's books are closed through `through`."""

    type: ClassVar[str] = CLOSED
    region: Code
    through: Day


class PeriodReopened(Payload):
    """The region's books stay closed only through `through` (absent: not at all). The
    envelope's reason is required; the entry rules check it."""

    type: ClassVar[str] = REOPENED
    region: Code
    through: Day | None = None


class SupplierUpdated(Payload):
    """A correction of a supplier's master data from its effective date on: only the fields it
    names change (a wrong country is fixed this way, never by a new code)."""

    type: ClassVar[str] = "supplier.updated"
    supplier: Code
    name: Text | None = None
    country: Country | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> SupplierUpdated:
        if self.name is None and self.country is None:
            raise ValueError("name: an update needs name, country or both")
        return self


class RegionUpdated(Payload):
    """A correction of a region's name or country. Its currency never changes: every amount of
    the region is booked in it."""

    type: ClassVar[str] = "region.updated"
    region: Code
    name: Text | None = None
    country: Country | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> RegionUpdated:
        if self.name is None and self.country is None:
            raise ValueError("name: an update needs name, country or both")
        return self


class GoodsReceived(Payload):
    """Goods of an order arrived: `quantity` more units received."""

    type: ClassVar[str] = "goods.received"
    receipt: Code
    order: Code
    quantity: Count
    reference: Text | None = None


class InvoiceReceived(Payload):
    """A supplier's bill, for an order (with the quantity billed) or for a lease (no quantity),
    in the document's currency."""

    type: ClassVar[str] = "invoice.received"
    invoice: Code
    supplier: Code
    currency: Currency
    amount: Money
    order: Code | None = None
    quantity: Count | None = None
    lease: Code | None = None
    reference: Text | None = None
    due: Day | None = None

    @model_validator(mode="after")
    def _one_document(self) -> InvoiceReceived:
        if self.order is not None and self.lease is not None:
            raise ValueError("lease: an invoice is for an order or a lease, not both")
        if self.order is None and self.lease is None:
            raise ValueError("order: an invoice needs an order (with quantity) or a lease")
        if self.order is not None and self.quantity is None:
            raise ValueError("quantity: an invoice for an order needs the quantity billed")
        if self.lease is not None and self.quantity is not None:
            raise ValueError("quantity: an invoice for a lease has no quantity")
        return self

    @property
    def document(self) -> str:
        return self.order if self.order is not None else self.lease  # type: ignore[return-value]

    @property
    def kind(self) -> str:
        return "order" if self.order is not None else "lease"


class InvoiceVoided(Payload):
    type: ClassVar[str] = "invoice.voided"
    invoice: Code


class PaymentMade(Payload):
    """A payment of an invoice, in the invoice's currency."""

    type: ClassVar[str] = "payment.made"
    payment: Code
    invoice: Code
    amount: Positive


class BudgetTransferred(Payload):
    """Budget moved from one region to another for a year: `amount` in the source's currency,
    converted for the target at the rate in force on the transfer's date."""

    type: ClassVar[str] = "budget.transferred"
    from_region: Code
    to_region: Code
    year: Year
    amount: Positive

    @model_validator(mode="after")
    def _two_regions(self) -> BudgetTransferred:
        if self.from_region == self.to_region:
            raise ValueError("to_region: must differ from from_region")
        return self


class ApprovalGranted(Payload):
    """Four eyes: the exact version (digest) of one event (event_id) may pass the block-mode
    policies that would refuse it, when someone other than the approver records it."""

    type: ClassVar[str] = "approval.granted"
    approval: Code
    event_id: Uuid
    digest: Digest


PAYLOAD_TYPES: dict[str, type[Payload]] = {
    model.type: model
    for model in (
        RegionOpened,
        SupplierRegistered,
        FxRateSet,
        BudgetRevised,
        OrderPlaced,
        OrderAmended,
        OrderCancelled,
        LeaseSigned,
        LeaseTerminated,
        LeaseReviewed,
        PolicyChanged,
        PeriodClosed,
        PeriodReopened,
        SupplierUpdated,
        RegionUpdated,
        GoodsReceived,
        InvoiceReceived,
        InvoiceVoided,
        PaymentMade,
        BudgetTransferred,
        ApprovalGranted,
    )
}
ENVELOPE_FIELDS = ("event_id", "type", "effective", "actor", "reason")


def _describe(error: pydantic.ValidationError) -> ValidationError:
    """The first problem of a pydantic error as one line that names the field."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    if location and not FIELD_NAME_PATTERN.fullmatch(location):
        # An unknown field's name comes from the file: quoted, so an error stays one line.
        location = repr(location[:40])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        return ValidationError("unknown field", location)
    if first["type"] == "missing":
        return ValidationError("is required", location)
    if not location and ": " in message:
        # Cross-field checks name their field at the start of the message.
        location, message = message.split(": ", 1)
    return ValidationError(message, location or None)


def parse_payload(event_type: str, fields: dict[str, Any]) -> Payload:
    """Validate the payload fields of one event; raise ValidationError naming the field."""
    model = PAYLOAD_TYPES.get(event_type)
    if model is None:
        raise ValidationError(f"unknown event type {str(event_type)[:40]!r}", "type")
    present = {name: value for name, value in fields.items() if value is not None}
    try:
        return model.model_validate(present)
    except pydantic.ValidationError as error:
        raise _describe(error) from None


def approval_event_id(approval: str) -> str:
    """The envelope event_id of the approval with this id (the same approval, the same event)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ledger:approval:" + approval))


@dataclass(frozen=True)
class NewEvent:
    """An event as a caller proposes it, validated in itself but not yet against the log."""

    type: str
    effective: date
    payload: Payload
    actor: str
    reason: str | None = None
    event_id: str | None = None
    # The payload's stored text (Payload.canonical_text), when the reader of an import has
    # written it already (in its second process, for a large file); else the store writes it.
    payload_text: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        type: str,
        effective: object,
        payload: dict[str, Any],
        *,
        actor: object,
        reason: object = None,
        event_id: object = None,
    ) -> NewEvent:
        """Parse a proposed event from loose values (strings from a CLI or CSV, JSON values)."""
        if not isinstance(type, str) or type not in PAYLOAD_TYPES:
            raise ValidationError(f"unknown event type {str(type)[:40]!r}", "type")
        try:
            effective_date = parse_date(effective)
        except ValueError as error:
            raise ValidationError(str(error), "effective") from None
        return cls(
            type=type,
            effective=effective_date,
            payload=parse_payload(type, payload),
            actor=parse_actor(actor),
            reason=parse_reason(reason),
            event_id=None if event_id in (None, "") else parse_event_id(event_id),
        )

    @classmethod
    def from_record(cls, record: dict[str, Any], *, default_actor: str) -> NewEvent:
        """One line of an import: envelope fields plus the payload fields at top level."""
        if "type" not in record or record["type"] in (None, ""):
            raise ValidationError("is required", "type")
        if "effective" not in record or record["effective"] in (None, ""):
            raise ValidationError("is required", "effective")
        payload = {key: value for key, value in record.items() if key not in ENVELOPE_FIELDS}
        event_id = record.get("event_id")
        if record["type"] == ApprovalGranted.type:
            # An approval's line names the approved event in `event_id`; its own envelope id
            # follows from its approval id, so that the same approval recorded twice adds nothing.
            payload["event_id"] = event_id
            approval = payload.get("approval")
            event_id = approval_event_id(approval) if isinstance(approval, str) else None
        actor = record.get("actor")
        return cls.create(
            record["type"],
            record["effective"],
            payload,
            actor=default_actor if actor in (None, "") else actor,
            reason=record.get("reason"),
            event_id=event_id,
        )
