"""`query commitments` (SPEC §5): every order and lease placed or signed by a date, with its status
and its total over all years in the region's currency, then what of it was received, invoiced and
paid (ledger.reads.spend).

Each order's changes within the limit are read in (effective, seq) order and folded by
ledger.semantics.orders; each lease's payments follow ledger.semantics.leases, and what it charges
to one year is its lease_charges.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, select

from ledger import schema
from ledger.dates import as_date
from ledger.money import EXACT
from ledger.reads.rates import rate_book
from ledger.reads.spend import LAYERS, document_totals, leases_as_of
from ledger.semantics.leases import payments_left
from ledger.semantics.orders import Change, as_placed, order_state
from ledger.semantics.rates import RateBook
from ledger.sql import visible


def commitment_rows(
    connection: Connection,
    *,
    as_of: date,
    region: str | None,
    upto_seq: int | None,
    ids: Collection[str] | None = None,
    rate: RateBook | None = None,
    year: int | None = None,
    layers: bool = True,
) -> list[dict[str, Any]]:
    """One row per order placed and per lease signed by as_of, sorted by region, kind and id:
    its status at as_of and `committed`, its total over all years in the region's currency.
    With `ids`, only the orders and leases of those ids. With `year`, each row also has
    `charged`: the part of its commitment charged to that budget year (an order's whole value
    in the year it was placed; a lease's payments due that year, and its fee in the year it
    ended), so that a region's rows add up to its committed for the year. Without `layers`,
    the rows leave out received, invoiced and paid (compliance needs only status and
    committed)."""
    if ids is not None and not ids:
        return []
    rate = rate or rate_book(connection, as_of, upto_seq)
    rows = [
        *_order_commitments(connection, as_of, region, upto_seq, rate, ids, year),
        *_lease_commitments(connection, as_of, region, upto_seq, rate, ids, year),
    ]
    if layers:
        # The later life of each document (SPEC §4.7), over all years.
        totals = document_totals(
            connection, as_of=as_of, upto_seq=upto_seq, region=region, ids=ids, rate=rate
        )
        for row in rows:
            found = totals.get((row["kind"], row["id"]))
            row.update(found or dict.fromkeys(LAYERS, Fraction(0)))
    return sorted(rows, key=lambda row: (row["region"], row["kind"], row["id"]))


def _order_commitments(
    connection: Connection,
    as_of: date,
    region: str | None,
    upto_seq: int | None,
    rate: RateBook,
    ids: Collection[str] | None,
    year: int | None = None,
) -> Iterable[dict[str, Any]]:
    orders, changes, regions = schema.orders, schema.order_changes, schema.regions
    placed_query = (
        select(
            orders.c.order_id,
            orders.c.region,
            orders.c.supplier,
            orders.c.sku,
            orders.c.currency,
            orders.c.effective,
            orders.c.quantity,
            orders.c.unit_price,
            regions.c.currency.label("region_currency"),
        )
        .join_from(orders, regions, regions.c.region == orders.c.region)
        .where(*visible(orders, as_of, upto_seq))
    )
    changes_query = select(
        changes.c.order_id, changes.c.kind, changes.c.quantity, changes.c.unit_price
    ).where(*visible(changes, as_of, upto_seq))
    if ids is not None:
        # By id only, so that the primary key serves it: with the region too, the database would
        # scan the region's orders by date instead. The region is checked below.
        placed_query = placed_query.where(orders.c.order_id.in_(list(ids)))
        changes_query = changes_query.where(changes.c.order_id.in_(list(ids)))
    elif region is not None:
        placed_query = placed_query.where(orders.c.region == region)
        changes_query = changes_query.where(changes.c.region == region)
    changed: dict[str, list[Change]] = {}
    for order_id, kind, quantity, unit_price in connection.execute(
        changes_query.order_by(changes.c.order_id, changes.c.effective, changes.c.seq)
    ):
        changed.setdefault(order_id, []).append((kind, quantity, unit_price))
    for order in connection.execute(placed_query):
        if region is not None and order.region != region:
            continue
        state = order_state(
            as_placed(order.quantity, order.unit_price), changed.get(order.order_id, ())
        )
        value = Fraction(0)
        if not state.cancelled:
            booked = rate.booked_rate(order)
            value = Fraction(state.value) * booked
        row = {
            "kind": "order",
            "id": order.order_id,
            "region": order.region,
            "counterparty": order.supplier,
            "sku": order.sku,
            "quantity": state.quantity,
            "status": state.status,
            "committed": value,
            "currency": order.region_currency,
        }
        if year is not None:
            row["charged"] = value if as_date(order.effective).year == year else Fraction(0)
        yield row


def _lease_commitments(
    connection: Connection,
    as_of: date,
    region: str | None,
    upto_seq: int | None,
    rate: RateBook,
    ids: Collection[str] | None,
    year: int | None = None,
) -> Iterable[dict[str, Any]]:
    signed = leases_as_of(as_of, upto_seq, region, ids)
    charged = {} if year is None else _charged_to(connection, year, as_of, upto_seq, region, ids)
    for lease in connection.execute(signed):
        if region is not None and lease.region != region:
            continue
        booked = rate.booked_rate(lease)
        if lease.terminated is None:
            payments, fee = lease.months, Fraction(0)
        else:
            terminated = as_date(lease.terminated)
            payments = payments_left(as_date(lease.start), lease.months, None, terminated)
            fee = Fraction(lease.fee) * booked
        row = {
            "kind": "lease",
            "id": lease.lease,
            "region": lease.region,
            "counterparty": lease.lessor,
            "sku": lease.sku,
            "quantity": lease.units,
            "status": "open" if lease.terminated is None else "terminated",
            "committed": payments * Fraction(lease.monthly_payment) * booked + fee,
            "currency": lease.region_currency,
        }
        if year is not None:
            row["charged"] = Fraction(charged.get(lease.lease, 0)) * booked
        yield row


def _charged_to(
    connection: Connection,
    year: int,
    as_of: date,
    upto_seq: int | None,
    region: str | None,
    ids: Collection[str] | None,
) -> dict[str, Decimal]:
    """Per lease, what it charges to `year` as of as_of within the limit (its payments due in
    the year, and its fee if it ended in the year), in its own currency: its lease_charges."""
    charges = schema.lease_charges
    query = select(charges.c.lease, charges.c.amount).where(
        charges.c.year == year, *visible(charges, as_of, upto_seq)
    )
    if ids is not None:
        query = query.where(charges.c.lease.in_(list(ids)))
    elif region is not None:
        query = query.where(charges.c.region == region)
    found: dict[str, Decimal] = {}
    with localcontext(EXACT):
        for lease, amount in connection.execute(query):
            found[lease] = found.get(lease, Decimal(0)) + amount
    return found
