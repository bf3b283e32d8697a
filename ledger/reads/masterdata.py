"""Reading suppliers' and regions' master data as of a date within a knowledge limit (the fold:
ledger.semantics.masterdata): their registrations or openings and their updates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, select

from ledger import schema
from ledger.semantics.masterdata import Update, master_as_of
from ledger.sql import visible


class RegionRow(NamedTuple):
    """A region opened by the as-of date, with its name and country as of that date."""

    region: str
    name: str
    country: str
    currency: str
    effective: date
    seq: int


def updates_of(
    connection: Connection,
    table: Table,
    key: str,
    as_of: date,
    upto_seq: int | None,
    code: str | None = None,
) -> dict[str, list[Update]]:
    """The known updates (supplier_updates or region_updates) with effective ≤ as_of, per code."""
    query = select(table.c[key], table.c.effective, table.c.seq, table.c.name, table.c.country)
    query = query.where(*visible(table, as_of, upto_seq))
    if code is not None:
        query = query.where(table.c[key] == code)
    found: dict[str, list[Update]] = {}
    for row in connection.execute(query):
        found.setdefault(row[0], []).append(Update(*row[1:]))
    return found


def regions_as_of(
    connection: Connection, rows: Iterable[Any], as_of: date, upto_seq: int | None
) -> list:
    """Rows of `regions` with their name and country as of as_of (RegionRow each)."""
    rows = list(rows)
    if not rows:
        return []
    code = rows[0].region if len(rows) == 1 else None
    updates = updates_of(connection, schema.region_updates, "region", as_of, upto_seq, code)
    result = []
    for row in rows:
        name, country = master_as_of(row.name, row.country, updates.get(row.region, ()), as_of)
        result.append(RegionRow(row.region, name, country, row.currency, row.effective, row.seq))
    return result


def suppliers_as_of(
    connection: Connection, as_of: date, upto_seq: int | None
) -> dict[str, tuple[str, str]]:
    """Every supplier registered by as_of within the limit → (name, country) as of as_of."""
    suppliers = schema.suppliers
    updates = updates_of(connection, schema.supplier_updates, "supplier", as_of, upto_seq)
    query = select(suppliers.c.supplier, suppliers.c.name, suppliers.c.country).where(
        *visible(suppliers, as_of, upto_seq)
    )
    return {
        supplier: master_as_of(name, country, updates.get(supplier, ()), as_of)
        for supplier, name, country in connection.execute(query)
    }


def region_country(
    connection: Connection, region: str, as_of: date, upto_seq: int | None
) -> str | None:
    """The region's country as of as_of (None when it is not opened by then)."""
    regions = schema.regions
    rows = connection.execute(
        select(regions).where(regions.c.region == region, *visible(regions, as_of, upto_seq))
    ).all()
    found = regions_as_of(connection, rows, as_of, upto_seq)
    return found[0].country if found else None
