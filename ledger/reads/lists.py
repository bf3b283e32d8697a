"""Master data as of a date and a knowledge limit: regions, suppliers, rates, budget revisions
and transfers.

Every list reads one read model, keeps the rows with effective ≤ as_of (and seq ≤ upto_seq), and
returns plain dicts with the SPEC §5 column names. Regions and suppliers are listed by code (one
row each: a code is opened or registered once); rates and budget revisions, of which there are
many per key, in the order they took effect: (effective, seq).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, or_, select

from ledger import schema
from ledger.dates import as_date
from ledger.reads.masterdata import suppliers_as_of
from ledger.reads.rates import rate_book
from ledger.reads.regions import region_rows
from ledger.semantics.budgets import Transfer, transfer_change
from ledger.sql import visible


def region_list(
    connection: Connection, *, as_of: date, upto_seq: int | None, region: str | None = None
) -> list[dict[str, Any]]:
    """Regions opened by as_of, by code: region, name, country (both as of as_of), currency,
    opened, seq."""
    return [
        {
            "region": row.region,
            "name": row.name,
            "country": row.country,
            "currency": row.currency,
            "opened": as_date(row.effective),
            "seq": row.seq,
        }
        for row in region_rows(connection, as_of, upto_seq, region)
    ]


def supplier_list(
    connection: Connection, *, as_of: date, upto_seq: int | None
) -> list[dict[str, Any]]:
    """Suppliers (and lessors) registered by as_of, by code: supplier, name, country (both as
    of as_of), registered, seq."""
    suppliers = schema.suppliers
    query = (
        select(suppliers).where(*visible(suppliers, as_of, upto_seq)).order_by(suppliers.c.supplier)
    )
    master = suppliers_as_of(connection, as_of, upto_seq)
    return [
        {
            "supplier": row.supplier,
            "name": master[row.supplier][0],
            "country": master[row.supplier][1],
            "registered": as_date(row.effective),
            "seq": row.seq,
        }
        for row in connection.execute(query)
    ]


def fx_list(
    connection: Connection,
    *,
    as_of: date,
    upto_seq: int | None,
    base: str | None = None,
    quote: str | None = None,
) -> list[dict[str, Any]]:
    """Every known `fx.rate_set` with effective ≤ as_of, in (effective, seq) order: base, quote,
    rate (the exact Decimal recorded), effective, seq. base/quote match the event's own
    direction (a USD→CNY rate is not listed under --base CNY)."""
    rates = schema.fx_rates
    query = (
        select(rates)
        .where(*visible(rates, as_of, upto_seq))
        .order_by(rates.c.effective, rates.c.seq)
    )
    if base is not None:
        query = query.where(rates.c.base == base)
    if quote is not None:
        query = query.where(rates.c.quote == quote)
    return [
        {
            "base": row.base,
            "quote": row.quote,
            "rate": row.rate,
            "effective": as_date(row.effective),
            "seq": row.seq,
        }
        for row in connection.execute(query)
    ]


def budget_list(
    connection: Connection,
    *,
    as_of: date,
    upto_seq: int | None,
    year: int | None = None,
    region: str | None = None,
) -> list[dict[str, Any]]:
    """Every known `budget.revised` with effective ≤ as_of, in (effective, seq) order: region,
    year, amount (exact), currency (the region's), effective, seq, and the event's reason."""
    budgets, regions, events = schema.budgets, schema.regions, schema.events
    query = (
        select(
            budgets.c.region,
            budgets.c.year,
            budgets.c.amount,
            budgets.c.effective,
            budgets.c.seq,
            regions.c.currency,
            events.c.reason,
        )
        .join_from(budgets, regions, regions.c.region == budgets.c.region)
        .join(events, events.c.seq == budgets.c.seq)
        .where(*visible(budgets, as_of, upto_seq))
        .order_by(budgets.c.effective, budgets.c.seq)
    )
    if year is not None:
        query = query.where(budgets.c.year == year)
    if region is not None:
        query = query.where(budgets.c.region == region)
    return [
        {
            "region": row.region,
            "year": row.year,
            "amount": row.amount,
            "currency": row.currency,
            "effective": as_date(row.effective),
            "seq": row.seq,
            "reason": row.reason,
        }
        for row in connection.execute(query)
    ]


def transfer_list(
    connection: Connection,
    *,
    as_of: date,
    upto_seq: int | None,
    year: int | None = None,
    region: str | None = None,
) -> list[dict[str, Any]]:
    """Every known `budget.transferred` with effective ≤ as_of (from or to `region` when given),
    in (effective, seq) order: from_region, to_region, year, amount and currency (the sender's),
    received and to_currency (what the receiver gains, SPEC §4.4: at the rate in force on the
    transfer's date within the knowledge limit), rate, effective, seq, and the reason."""
    transfers, events = schema.budget_transfers, schema.events
    senders, receivers = schema.regions.alias("senders"), schema.regions.alias("receivers")
    query = (
        select(
            transfers.c.from_region,
            transfers.c.to_region,
            transfers.c.year,
            transfers.c.amount,
            transfers.c.effective,
            transfers.c.seq,
            senders.c.currency.label("currency"),
            receivers.c.currency.label("to_currency"),
            events.c.reason,
        )
        .join_from(transfers, senders, senders.c.region == transfers.c.from_region)
        .join(receivers, receivers.c.region == transfers.c.to_region)
        .join(events, events.c.seq == transfers.c.seq)
        .where(*visible(transfers, as_of, upto_seq))
        .order_by(transfers.c.effective, transfers.c.seq)
    )
    if year is not None:
        query = query.where(transfers.c.year == year)
    if region is not None:
        query = query.where(or_(transfers.c.from_region == region, transfers.c.to_region == region))
    rate = rate_book(connection, as_of, upto_seq)
    rows = []
    for row in connection.execute(query):
        transfer = Transfer(
            row.effective, row.seq, row.from_region, row.to_region, row.amount, row.currency
        )
        received = transfer_change(transfer, row.to_region, row.to_currency, rate)
        rows.append(
            {
                "from_region": row.from_region,
                "to_region": row.to_region,
                "year": row.year,
                "amount": row.amount,
                "currency": row.currency,
                "received": received,
                "to_currency": row.to_currency,
                "rate": received / Fraction(row.amount),
                "effective": as_date(row.effective),
                "seq": row.seq,
                "reason": row.reason,
            }
        )
    return rows
