"""Leases: signed (a schedule of monthly payments), terminated (with a fee) and reviewed."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from ledger import schema
from ledger.errors import ValidationError
from ledger.events import LeaseReviewed, LeaseSigned, LeaseTerminated
from ledger.kinds.base import (
    Held,
    Kind,
    Log,
    Subject,
    TableRows,
    lease_as_of,
    never_held,
    region_as_of,
    require_rate,
    supplier_as_of,
)
from ledger.projections.presums import lease_signed_charges, lease_terminated_charges
from ledger.semantics.leases import charges_per_year, payments_per_year
from ledger.semantics.periods import own_region, region_of_lease
from ledger.semantics.rates import Placement, RateBook


def check_signed(current: Log, payload: LeaseSigned, on: date, reason: str | None) -> None:
    if current.lease(payload.lease) is not None:
        raise ValidationError(f"{payload.lease!r} is already signed", "lease")
    region = region_as_of(current, payload.region, on)
    supplier_as_of(current, payload.lessor, on, "lessor")
    require_rate(current, payload.currency, region["currency"], on)


def signed_held(current: Log, payload: LeaseSigned) -> Held:
    return Held(
        region=payload.region,
        document=f"lease {payload.lease}",
        field="lease",
        restricted={
            "restricted_supplier": ("lessor", payload.lessor),
            "restricted_sku": ("sku", payload.sku),
        },
        commitment=signed_commitment,
    )


def signed_commitment(
    current: Log, payload: LeaseSigned, on: date, rate: RateBook, currency: str
) -> dict[int, Fraction]:
    """A new lease commits each year's payments, at the rate booked on its signing."""
    booked = rate.booked_rate(Placement(payload.currency, currency, on))
    charges = charges_per_year(payload.start, payload.months, payload.monthly_payment)
    return {year: Fraction(charge) * booked for year, charge in charges.items()}


def signed_rows(
    seq: int, effective: date, actor: str, payload: LeaseSigned, current: Log
) -> TableRows:
    """The lease, and how many of its payments fall in each budget year."""
    lease = {
        "lease": payload.lease,
        "region": payload.region,
        "lessor": payload.lessor,
        "sku": payload.sku,
        "units": payload.units,
        "start": payload.start,
        "months": payload.months,
        "monthly_payment": payload.monthly_payment,
        "currency": payload.currency,
        "effective": effective,
        "seq": seq,
    }
    rows: TableRows = [(schema.leases, lease)]
    for year, payments in sorted(payments_per_year(payload.start, payload.months).items()):
        row = {"lease": payload.lease, "year": year, "region": payload.region, "payments": payments}
        rows.append((schema.lease_years, row))
    # What the signing charges to each year, summed now for the year-end queries.
    return [*rows, *lease_signed_charges(seq, effective, payload, current)]


def check_terminated(current: Log, payload: LeaseTerminated, on: date, reason: str | None) -> None:
    lease = payload.lease
    lease_as_of(current, lease, on)
    if current.is_terminated(lease):
        raise ValidationError(f"{lease!r} is already terminated", "lease")


def terminated_rows(
    seq: int, effective: date, actor: str, payload: LeaseTerminated, current: Log
) -> TableRows:
    row = {
        "lease": payload.lease,
        "fee": payload.fee,
        "year": effective.year,
        "effective": effective,
        "seq": seq,
    }
    # What the termination takes off each year's charges (and its fee), summed now.
    return [
        (schema.lease_terminations, row),
        *lease_terminated_charges(seq, effective, payload, current),
    ]


def check_reviewed(current: Log, payload: LeaseReviewed, on: date, reason: str | None) -> None:
    lease_as_of(current, payload.lease, on)


def reviewed_rows(
    seq: int, effective: date, actor: str, payload: LeaseReviewed, current: Log
) -> TableRows:
    row = {
        "lease": payload.lease,
        "owner": payload.owner,
        "operator": payload.operator,
        "outcome": payload.outcome,
        "reference": payload.reference,
        "actor": actor,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.lease_reviews, row)]


KINDS = (
    Kind(
        model=LeaseSigned,
        subject=Subject("{lease}", ids=("lease",)),
        touches=own_region,
        check=check_signed,
        block=signed_held,
        rows=signed_rows,
        prefetch=("lease",),
    ),
    Kind(
        model=LeaseTerminated,
        subject=Subject("{lease}", ids=("lease",)),
        touches=region_of_lease,
        check=check_terminated,
        block=never_held,
        rows=terminated_rows,
        prefetch=("lease",),
    ),
    Kind(
        model=LeaseReviewed,
        subject=Subject("{lease}", ids=("lease",)),
        touches=region_of_lease,
        check=check_reviewed,
        block=never_held,
        rows=reviewed_rows,
        prefetch=("lease",),
    ),
)
