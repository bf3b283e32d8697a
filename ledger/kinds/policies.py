"""Policies: a region's policy switched on, changed or switched off."""

from __future__ import annotations

from datetime import date

from ledger import schema
from ledger.events import PolicyChanged
from ledger.kinds.base import (
    Kind,
    Log,
    Subject,
    TableRows,
    never_held,
    region_as_of,
    supplier_as_of,
)
from ledger.semantics.periods import own_region


def check_change(current: Log, payload: PolicyChanged, on: date, reason: str | None) -> None:
    region_as_of(current, payload.region, on)
    if payload.supplier is not None:
        supplier_as_of(current, payload.supplier, on, "supplier")


def change_rows(
    seq: int, effective: date, actor: str, payload: PolicyChanged, current: Log
) -> TableRows:
    row = {
        "policy": payload.policy,
        "region": payload.region,
        "subject": payload.subject,
        "mode": payload.mode,
        "enabled": payload.enabled,
        "threshold": payload.threshold,
        "basis": payload.basis,
        "tolerance": payload.tolerance,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.policies, row)]


KINDS = (
    Kind(
        model=PolicyChanged,
        subject=Subject("{policy} {region}", ids=()),
        touches=own_region,
        check=check_change,
        block=never_held,
        rows=change_rows,
        prefetch=(),
    ),
)
