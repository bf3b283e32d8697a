"""Which logged events are about a region, for `log --region R`: those that touch R (SPEC §4.6,
ledger.semantics.periods.touches), and those that name R as their own region though they touch
none (its opening, its period events).

An amendment, a receipt or a payment names no region: it touches one through its document, a
rate through its currencies, a supplier's update through the supplier's documents. The SQL
condition keeps every event that could be about R (its payload names R, or it is of a type that
reaches a region through the log), and `about_region` decides for each batch with the same rule
as closed books and `diff events`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select

from ledger import schema
from ledger.chain import canonical
from ledger.kinds import THROUGH_THE_LOG, touches
from ledger.reads.diff import KnownDocuments
from ledger.semantics.periods import RATE_TYPE
from ledger.upcasting import upcast

# The types whose payload names the region(s) it is about.
NAMING_FIELDS = ("region", "from_region", "to_region")


def payload_has(connection: Connection, field: str, code: str) -> ColumnElement[bool]:
    """The stored payload holds field: code. A plain substring test on the canonical text:
    codes are case-sensitive, and SQLite's LIKE ignores ASCII case, so not LIKE."""
    position = func.strpos if connection.dialect.name == "postgresql" else func.instr
    return position(schema.events.c.payload, canonical({field: code})[1:-1]) > 0


def could_be_about(
    connection: Connection, region: str, upto_seq: int | None
) -> ColumnElement[bool]:
    """A condition on `events` that every event about `region` meets (a superset)."""
    events, regions = schema.events, schema.regions
    query = select(regions.c.currency).where(regions.c.region == region)
    if upto_seq is not None:
        query = query.where(regions.c.seq <= upto_seq)
    currency = connection.execute(query).scalar()
    conditions = [payload_has(connection, field, region) for field in NAMING_FIELDS]
    conditions.append(events.c.type.in_(THROUGH_THE_LOG))
    if currency is not None:
        rates = events.c.type == RATE_TYPE
        conditions.append(rates & payload_has(connection, "base", currency))
        conditions.append(rates & payload_has(connection, "quote", currency))
    return or_(*conditions)


def about_region(
    connection: Connection, region: str, upto_seq: int | None
) -> Callable[[Sequence[Any]], Iterable[Any]]:
    """A function from a batch of `events` rows to those that touch `region` or name it as
    their region (the regions' currencies read once, the batch's documents per batch)."""
    regions = schema.regions
    known = select(regions.c.region, regions.c.currency)
    if upto_seq is not None:
        known = known.where(regions.c.seq <= upto_seq)
    by_currency: dict[str, list[str]] = {}
    for code, currency in connection.execute(known):
        by_currency.setdefault(currency, []).append(code)

    def select_rows(rows: Sequence) -> Iterable:
        payloads = [upcast(row.type, row.version, json.loads(row.payload)) for row in rows]
        lookups = KnownDocuments(connection, payloads, by_currency, upto_seq)
        for row, payload in zip(rows, payloads, strict=True):
            if payload.get("region") == region or region in touches(row.type, payload, lookups):
                yield row

    return select_rows
