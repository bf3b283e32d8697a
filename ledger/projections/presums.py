"""Rows summed at write time for the year-end queries, beside the rows each event adds.

`lease_charges` (built by the lease entries of ledger.kinds): what a lease signing or termination charges to each budget year, in the lease's
currency: the months of the payments it adds (or removes), its fee, and the key of its booked
rate (ledger.schema says how the reports read them). The rows
are built from the event and the log as it stands before it (`CurrentLog`), like the signed
deltas of order changes, so a replay of the log builds the same rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table

from ledger import schema
from ledger.dates import as_date
from ledger.events import LeaseSigned, LeaseTerminated
from ledger.money import EXACT, as_decimal
from ledger.semantics.leases import payment_months, payments_removed

if TYPE_CHECKING:
    from ledger.kinds.base import Log

Rows = list[tuple[Table, dict[str, Any]]]


def lease_signed_charges(seq: int, effective: date, payload: LeaseSigned, _: Log) -> Rows:
    """A signing's rows: per year, its payments due in the year."""
    monthly = payload.monthly_payment
    rows = []
    for year, (first, last) in sorted(payment_months(payload.start, payload.months).items()):
        rows.append(
            _charge_row(seq, effective, year, monthly, (first, last), Decimal(0), payload.start)
        )
    return _lease_rows(payload.lease, payload.region, payload.currency, effective, rows)


def lease_terminated_charges(
    seq: int, effective: date, payload: LeaseTerminated, current: Log
) -> Rows:
    """A termination's rows: per year, the payments due after it (removed), and its fee in its
    own year."""
    lease = current.lease(payload.lease)
    if lease is None:
        raise LookupError(f"lease {payload.lease} is not signed")
    start, months = as_date(lease["start"]), lease["months"]
    monthly = -as_decimal(lease["monthly_payment"])
    removed = payments_removed(start, months, effective)
    spans = payment_months(start, months)
    rows = []
    for year in sorted({*removed, effective.year}):
        fee = payload.fee if year == effective.year else Decimal(0)
        count = removed.get(year, 0)
        if not count and not fee:
            continue
        last = spans[year][1] if count else 0
        months_removed = (last - count + 1, last) if count else None
        rows.append(_charge_row(seq, effective, year, monthly, months_removed, fee, start))
    return _lease_rows(
        payload.lease, lease["region"], lease["currency"], as_date(lease["effective"]), rows
    )


def _charge_row(
    seq: int,
    effective: date,
    year: int,
    monthly: Decimal,
    due: tuple[int, int] | None,
    fee: Decimal,
    start: date,
) -> dict:
    count = 0 if due is None else due[1] - due[0] + 1
    return {
        "seq": seq,
        "year": year,
        "amount": EXACT.add(EXACT.multiply(monthly, count), fee),
        "monthly": monthly if count else Decimal(0),
        "first_month": None if due is None else due[0],
        "last_month": None if due is None else due[1],
        "due_day": start.day,
        "fee": fee,
        "effective": effective,
    }


def _lease_rows(lease: str, region: str, currency: str, signed: date, rows: list[dict]) -> Rows:
    table = schema.lease_charges
    return [
        (table, {**row, "lease": lease, "region": region, "currency": currency, "signed": signed})
        for row in rows
    ]
