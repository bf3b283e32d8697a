"""The log as it stands now, inside a write transaction: what the checks at entry and the rows
events add to read models look up. (Not to be confused with a query's knowledge limit,
`upto_seq`: this always sees everything, including the events appended in the transaction.)

One `CurrentLog` lives for one write transaction, which holds the append lock: nobody else can
change the log meanwhile, so what it has read stays true, and it learns every event appended in the
transaction before that event's rows reach the database. Small tables (regions, suppliers,
rates, policies) are read whole once; orders and leases are read per batch of events, in one
query for every document the batch names, and forgotten after the batch to keep memory flat.
"""

from __future__ import annotations

import json
from bisect import insort
from collections.abc import Callable, Iterable
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, func, select

from ledger import schema
from ledger.dates import as_date
from ledger.money import as_decimal
from ledger.semantics.periods import PERIOD_TYPES, PeriodState, next_state, period_states, touches
from ledger.sql import select_in

Row = dict[str, Any]


class CurrentLog:
    """Regions, suppliers, rates, policies and periods read whole; orders and leases per batch."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.regions: dict[str, Row] = _rows_by(connection, schema.regions, "region")
        self.suppliers: dict[str, Row] = _rows_by(connection, schema.suppliers, "supplier")
        rates = schema.fx_rates
        # The first date from which some rate of a currency pair (either direction) is current.
        self.rates_from: dict[frozenset, date] = {}
        for base, quote, first in connection.execute(
            select(rates.c.base, rates.c.quote, func.min(rates.c.effective)).group_by(
                rates.c.base, rates.c.quote
            )
        ):
            self._learn_rate(base, quote, as_date(first))
        # Per region, its policy changes in (effective, seq) order.
        self.policy_changes: dict[str, list[Row]] = {}
        policies = schema.policies
        for row in connection.execute(
            select(policies).order_by(policies.c.effective, policies.c.seq)
        ):
            self.policy_changes.setdefault(row.region, []).append(_plain(row))
        # (region, how many of its changes are in force) → the block-mode policies then; cleared
        # when a policy changes.
        self.blocking: dict[tuple[str, int], list] = {}
        # Called before a check that reads the read models with SQL (a block-mode budget cap):
        # the writer puts the rows it still holds into the database.
        self.before_sql: Callable[[], None] = lambda: None
        # Per batch: order_id → order row, or None when there is no such order.
        self.orders: dict[str, Row | None] = {}
        # order_id → its changes in seq order, as (kind, quantity, unit_price, effective, seq):
        # its cancellations, and what an order_changes row's signed delta is folded from.
        self.changes: dict[str, list[tuple]] = {}
        self.leases: dict[str, Row | None] = {}
        self.terminated: dict[str, bool] = {}
        # Region → its books after its latest period event (SPEC §4.6). Period events are few:
        # read by type from the log (index on type), then kept up to date as they are appended.
        from ledger.upcasting import upcast

        events = schema.events
        self.periods: dict[str, PeriodState] = period_states(
            (seq, type_, upcast(type_, version, json.loads(payload)))
            for seq, type_, payload, version in connection.execute(
                select(events.c.seq, events.c.type, events.c.payload, events.c.version)
                .where(events.c.type.in_(PERIOD_TYPES))
                .order_by(events.c.seq)
            )
        )
        self._currency_regions: dict[str, list[str]] | None = None
        # Bound once: touched_regions runs for every event appended.
        self._region_lookups = (self._order_region, self._lease_region, self.regions_of_currency)

    # -- lookups ----------------------------------------------------------------------------------

    def order(self, order_id: str) -> Row | None:
        if order_id not in self.orders:
            self.prefetch(orders=[order_id])
        return self.orders[order_id]

    def cancelled_on(self, order_id: str) -> list[date]:
        return [
            effective
            for kind, _, _, effective, _ in self.order_changes(order_id)
            if kind == "cancelled"
        ]

    def order_changes(self, order_id: str) -> list[tuple]:
        """The order's changes so far in seq order: (kind, quantity, unit_price, effective, seq)."""
        if order_id not in self.orders:
            self.prefetch(orders=[order_id])
        return self.changes.get(order_id, [])

    def lease(self, lease: str) -> Row | None:
        if lease not in self.leases:
            self.prefetch(leases=[lease])
        return self.leases[lease]

    def is_terminated(self, lease: str) -> bool:
        if lease not in self.leases:
            self.prefetch(leases=[lease])
        return self.terminated.get(lease, False)

    def rate_known_from(self, currency: str, other: str) -> date | None:
        return self.rates_from.get(frozenset((currency, other)))

    def regions_of_currency(self, currency: str) -> list[str]:
        if self._currency_regions is None:
            self._currency_regions = {}
            for code, row in self.regions.items():
                self._currency_regions.setdefault(row["currency"], []).append(code)
        return self._currency_regions.get(currency, [])

    def touched_regions(self, event_type: str, payload) -> tuple[str, ...]:
        """The regions an event about to be appended touches (SPEC §4.6)."""
        return touches(event_type, payload.__dict__, *self._region_lookups)

    def _order_region(self, order_id: str) -> str | None:
        row = self.order(order_id)
        return row and row["region"]

    def _lease_region(self, lease: str) -> str | None:
        row = self.lease(lease)
        return row and row["region"]

    def prefetch(self, *, orders: Iterable[str] = (), leases: Iterable[str] = ()) -> None:
        """Read the orders and leases a batch names (with their cancellations and terminations)
        in a few queries instead of one per event. Only what the checks and the read-model rows
        need is read."""
        wanted = [code for code in set(orders) if code not in self.orders]
        for code in wanted:
            self.orders[code] = None
        for (
            order_id,
            region,
            year,
            effective,
            supplier,
            currency,
            quantity,
            unit_price,
        ) in select_in(
            self.connection,
            "SELECT order_id, region, year, effective, supplier, currency, quantity, unit_price "
            "FROM orders WHERE order_id",
            wanted,
        ):
            self.orders[order_id] = {
                "order_id": order_id,
                "region": region,
                "year": year,
                "effective": as_date(effective),
                "supplier": supplier,
                "currency": currency,
                "quantity": quantity,
                "unit_price": as_decimal(unit_price),
            }
        # Only an order already placed can have changes: nearly every order a batch names that
        # is not in the database yet is one the batch places.
        wanted = [code for code in wanted if self.orders[code] is not None]
        found: dict[str, list[tuple]] = {}
        for order_id, kind, quantity, unit_price, effective, seq in select_in(
            self.connection,
            "SELECT order_id, kind, quantity, unit_price, effective, seq FROM order_changes "
            "WHERE order_id",
            wanted,
        ):
            found.setdefault(order_id, []).append(
                (kind, quantity, unit_price, as_date(effective), seq)
            )
        for order_id, changes in found.items():
            self.changes[order_id] = sorted(changes, key=itemgetter(4))
        wanted = [code for code in set(leases) if code not in self.leases]
        for code in wanted:
            self.leases[code] = None
        for lease, region, effective in select_in(
            self.connection, "SELECT lease, region, effective FROM leases WHERE lease", wanted
        ):
            self.leases[lease] = {"lease": lease, "region": region, "effective": as_date(effective)}
        wanted = [code for code in wanted if self.leases[code] is not None]
        for (lease,) in select_in(
            self.connection, "SELECT lease FROM lease_terminations WHERE lease", wanted
        ):
            self.terminated[lease] = True

    def forget_documents(self) -> None:
        """Drop the per-batch lookups once the batch's rows are in the database."""
        self.orders.clear()
        self.changes.clear()
        self.leases.clear()
        self.terminated.clear()

    # -- learning what was appended ---------------------------------------------------------------

    def learn(self, table, row: Row) -> None:
        """Take in one read-model row of an event just appended in this transaction."""
        if table is schema.orders:
            self.orders[row["order_id"]] = row
        elif table is schema.order_changes:
            self.changes.setdefault(row["order_id"], []).append(
                (row["kind"], row["quantity"], row["unit_price"], row["effective"], row["seq"])
            )
        elif table is schema.leases:
            self.leases[row["lease"]] = row
        elif table is schema.lease_terminations:
            self.terminated[row["lease"]] = True
        elif table is schema.regions:
            self.regions[row["region"]] = row
            self._currency_regions = None
        elif table is schema.suppliers:
            self.suppliers[row["supplier"]] = row
        elif table is schema.fx_rates:
            self._learn_rate(row["base"], row["quote"], row["effective"])
        elif table is schema.policies:
            insort(
                self.policy_changes.setdefault(row["region"], []),
                row,
                key=itemgetter("effective", "seq"),
            )
            self.blocking.clear()

    def learn_event(self, seq: int, event_type: str, payload) -> None:
        """Take in an event just appended that has no read-model rows (a period event)."""
        if event_type in PERIOD_TYPES:
            self.periods[payload.region] = next_state(
                self.periods.get(payload.region), seq, event_type, vars(payload)
            )

    def _learn_rate(self, base: str, quote: str, effective: date) -> None:
        pair = frozenset((base, quote))
        since = self.rates_from.get(pair)
        if since is None or effective < since:
            self.rates_from[pair] = effective


def _rows_by(connection: Connection, table, key: str) -> dict[str, Row]:
    return {getattr(row, key): _plain(row) for row in connection.execute(select(table))}


def _plain(row) -> Row:
    values = dict(row._mapping)
    if isinstance(values.get("effective"), str):
        values["effective"] = date.fromisoformat(values["effective"])
    return values
