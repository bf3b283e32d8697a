"""Master data: regions opened and corrected, suppliers registered and corrected."""

from __future__ import annotations

from datetime import date

from ledger import schema
from ledger.errors import ValidationError
from ledger.events import RegionOpened, RegionUpdated, SupplierRegistered, SupplierUpdated
from ledger.kinds.base import (
    Kind,
    Log,
    Subject,
    TableRows,
    never_held,
    region_as_of,
    supplier_as_of,
)
from ledger.semantics.periods import no_region, own_region, regions_of_supplier


def check_region_opened(current: Log, payload: RegionOpened, on: date, reason: str | None) -> None:
    if payload.region in current.regions:
        raise ValidationError(f"{payload.region!r} is already opened", "region")


def region_opened_rows(
    seq: int, effective: date, actor: str, payload: RegionOpened, current: Log
) -> TableRows:
    row = {
        "region": payload.region,
        "name": payload.name,
        "country": payload.country,
        "currency": payload.currency,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.regions, row)]


def check_region_updated(
    current: Log, payload: RegionUpdated, on: date, reason: str | None
) -> None:
    region_as_of(current, payload.region, on)


def region_updated_rows(
    seq: int, effective: date, actor: str, payload: RegionUpdated, current: Log
) -> TableRows:
    row = {
        "region": payload.region,
        "name": payload.name,
        "country": payload.country,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.region_updates, row)]


def check_supplier_registered(
    current: Log, payload: SupplierRegistered, on: date, reason: str | None
) -> None:
    if payload.supplier in current.suppliers:
        raise ValidationError(f"{payload.supplier!r} is already registered", "supplier")


def supplier_registered_rows(
    seq: int, effective: date, actor: str, payload: SupplierRegistered, current: Log
) -> TableRows:
    row = {
        "supplier": payload.supplier,
        "name": payload.name,
        "country": payload.country,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.suppliers, row)]


def check_supplier_updated(
    current: Log, payload: SupplierUpdated, on: date, reason: str | None
) -> None:
    supplier_as_of(current, payload.supplier, on, "supplier")


def supplier_updated_rows(
    seq: int, effective: date, actor: str, payload: SupplierUpdated, current: Log
) -> TableRows:
    row = {
        "supplier": payload.supplier,
        "name": payload.name,
        "country": payload.country,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.supplier_updates, row)]


KINDS = (
    Kind(
        model=RegionOpened,
        subject=Subject("{region}", ids=()),
        touches=no_region,
        check=check_region_opened,
        block=never_held,
        rows=region_opened_rows,
        prefetch=(),
    ),
    Kind(
        model=RegionUpdated,
        subject=Subject("{region}", ids=()),
        touches=own_region,
        check=check_region_updated,
        block=never_held,
        rows=region_updated_rows,
        prefetch=(),
    ),
    Kind(
        model=SupplierRegistered,
        subject=Subject("{supplier}", ids=()),
        touches=no_region,
        check=check_supplier_registered,
        block=never_held,
        rows=supplier_registered_rows,
        prefetch=(),
    ),
    Kind(
        model=SupplierUpdated,
        subject=Subject("{supplier}", ids=()),
        touches=regions_of_supplier,
        check=check_supplier_updated,
        block=never_held,
        rows=supplier_updated_rows,
        prefetch=(),
    ),
)
