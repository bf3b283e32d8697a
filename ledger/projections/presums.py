"""Rows summed at write time for the year-end queries, beside the rows each event adds.

`lease_charges`: what a lease signing or termination charges to each budget year, in the lease's
currency, with the key of its booked rate (ledger.schema says how the reports read it). The rows
are built from the event and the log as it stands before it (`CurrentLog`), like the signed
deltas of order changes, so a replay of the log builds the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps

from ledger import schema
from ledger.current import CurrentLog
from ledger.dates import as_date
from ledger.events import LeaseSigned, LeaseTerminated, Payload
from ledger.money import as_decimal
from ledger.semantics.leases import charges_per_year, termination_charges

Rows = list[tuple[object, dict]]


def with_presummed_rows(read_model_rows: Callable[..., Rows]) -> Callable[..., Rows]:
    """`read_model_rows` (seq, effective, actor, payload, current) with the pre-summed rows of
    the event added after the event's own."""

    @wraps(read_model_rows)
    def rows(seq: int, effective: date, actor: str, payload: Payload, current: CurrentLog) -> Rows:
        found = read_model_rows(seq, effective, actor, payload, current)
        builder = _BUILDERS.get(type(payload))
        if builder is None:
            return found
        return [*found, *builder(seq, effective, payload, current)]

    return rows


def lease_signed_charges(seq: int, effective: date, payload: LeaseSigned, _: CurrentLog) -> Rows:
    """A signing's rows: its payments due in each year (SPEC §4.3), before any termination."""
    charges = charges_per_year(payload.start, payload.months, payload.monthly_payment)
    return _charge_rows(
        seq, effective, payload.lease, payload.region, payload.currency, effective, charges
    )


def lease_terminated_charges(
    seq: int, effective: date, payload: LeaseTerminated, current: CurrentLog
) -> Rows:
    """A termination's rows: the payments it removes from each year, and its fee."""
    lease = current.lease(payload.lease)
    if lease is None:
        raise LookupError(f"lease {payload.lease} is not signed")
    charges = termination_charges(
        as_date(lease["start"]),
        lease["months"],
        as_decimal(lease["monthly_payment"]),
        effective,
        payload.fee,
    )
    return _charge_rows(
        seq,
        effective,
        payload.lease,
        lease["region"],
        lease["currency"],
        as_date(lease["effective"]),
        charges,
    )


def _charge_rows(
    seq: int,
    effective: date,
    lease: str,
    region: str,
    currency: str,
    signed: date,
    charges: dict,
) -> Rows:
    table = schema.lease_charges
    return [
        (
            table,
            {
                "seq": seq,
                "year": year,
                "lease": lease,
                "region": region,
                "currency": currency,
                "signed": signed,
                "amount": amount,
                "effective": effective,
            },
        )
        for year, amount in sorted(charges.items())
        if amount
    ]


_BUILDERS: dict[type, Callable[..., Rows]] = {
    LeaseSigned: lease_signed_charges,
    LeaseTerminated: lease_terminated_charges,
}
