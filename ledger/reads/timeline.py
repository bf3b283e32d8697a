"""The days on which a region's figures can change, for charts that sample a year: budget
revisions and transfers, policy changes, the days its orders and leases change, and the days
its spend layers can move. Between two such days a figure holds, so a chart sampled on them is
exact.

A row counts as everywhere on the read side: effective within the range asked and, within the
knowledge limit, seq ≤ upto_seq.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import ColumnElement, Connection, Select, Table, literal, or_, select, union

from ledger import schema
from ledger.dates import add_months, as_date
from ledger.sql import visible


def revision_days(
    connection: Connection, *, region: str, year: int, as_of: date, upto_seq: int | None
) -> list[date]:
    """The days, up to as_of, of the budget revisions of the region's `year` and of the
    transfers of that year from or to it: the steps of its budget line."""
    budgets, transfers = schema.budgets, schema.budget_transfers
    query = union(
        select(budgets.c.effective).where(
            budgets.c.region == region, budgets.c.year == year, *visible(budgets, as_of, upto_seq)
        ),
        select(transfers.c.effective).where(
            or_(transfers.c.from_region == region, transfers.c.to_region == region),
            transfers.c.year == year,
            *visible(transfers, as_of, upto_seq),
        ),
    )
    return sorted({as_date(day) for day in connection.execute(query).scalars()})


def policy_change_days(
    connection: Connection, *, region: str, policy: str, as_of: date, upto_seq: int | None
) -> list[date]:
    """The days, up to as_of, on which one of the region's `policy` policies was set or changed."""
    policies = schema.policies
    query = select(policies.c.effective).where(
        policies.c.region == region,
        policies.c.policy == policy,
        *visible(policies, as_of, upto_seq),
    )
    return sorted({as_date(day) for day in connection.execute(query).scalars()})


def document_days(
    connection: Connection, *, region: str, start: date, end: date, upto_seq: int | None
) -> list[date]:
    """The days from start to end on which one of the region's orders or leases was placed,
    signed, amended, cancelled or terminated: its committed changes on no other day."""
    orders, changes, leases, terminations = (
        schema.orders,
        schema.order_changes,
        schema.leases,
        schema.lease_terminations,
    )

    def days(table: Table, *where: ColumnElement[bool]) -> Select:
        conditions = [table.c.effective >= start, table.c.effective <= end, *where]
        if upto_seq is not None:
            conditions.append(table.c.seq <= upto_seq)
        return select(table.c.effective).where(*conditions)

    query = union(
        days(orders, orders.c.region == region),
        days(changes, changes.c.region == region),
        days(leases, leases.c.region == region),
        days(
            terminations,
            terminations.c.lease.in_(select(leases.c.lease).where(leases.c.region == region)),
        ),
    )
    return sorted({as_date(day) for day in connection.execute(query).scalars()})


def spend_change_days(
    connection: Connection,
    *,
    regions: Collection[str],
    start: date,
    end: date,
    upto_seq: int | None,
) -> dict[date, set[tuple[str, str]]]:
    """Per day from start to end, the orders and leases (kind, id) of the regions whose spend
    layers can change that day: a receipt, an invoice, a void or a payment of theirs took
    effect, an order was amended or cancelled (its unit price values what was received), a
    lease was terminated or one of its scheduled payments fell due. On no other day can a layer
    change."""
    receipts, invoices, voids, payments = (
        schema.receipts,
        schema.invoices,
        schema.invoice_voids,
        schema.payments,
    )
    changes, leases, terminations = schema.order_changes, schema.leases, schema.lease_terminations
    regions = list(regions)

    def within(table: Table, *where: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        conditions = [table.c.effective >= start, table.c.effective <= end, *where]
        if upto_seq is not None:
            conditions.append(table.c.seq <= upto_seq)
        return conditions

    queries = [
        select(receipts.c.effective, literal("order"), receipts.c.order_id).where(
            *within(receipts, receipts.c.region.in_(regions))
        ),
        select(invoices.c.effective, invoices.c.kind, invoices.c.document).where(
            *within(invoices, invoices.c.region.in_(regions))
        ),
        select(changes.c.effective, literal("order"), changes.c.order_id).where(
            *within(changes, changes.c.region.in_(regions))
        ),
        select(terminations.c.effective, literal("lease"), terminations.c.lease)
        .join_from(terminations, leases, leases.c.lease == terminations.c.lease)
        .where(*within(terminations, leases.c.region.in_(regions))),
    ]
    for table in (voids, payments):
        queries.append(
            select(table.c.effective, invoices.c.kind, invoices.c.document)
            .join_from(table, invoices, invoices.c.invoice == table.c.invoice)
            .where(*within(table, table.c.region.in_(regions)))
        )
    lease_query = select(leases.c.lease, leases.c.start, leases.c.months).where(
        leases.c.region.in_(regions), leases.c.effective <= end
    )
    if upto_seq is not None:
        lease_query = lease_query.where(leases.c.seq <= upto_seq)
    found: dict[date, set[tuple[str, str]]] = {}
    for query in queries:
        for day, kind, code in connection.execute(query):
            found.setdefault(as_date(day), set()).add((kind, code))
    for code, first, months in connection.execute(lease_query):
        first = as_date(first)
        # Payment k falls due on first + k months: only those from start to end matter.
        k = max(0, (start.year - first.year) * 12 + start.month - first.month - 1)
        while k < months:
            due = add_months(first, k)
            if due > end:
                break
            if due >= start:
                found.setdefault(due, set()).add(("lease", code))
            k += 1
    return found
