"""Closed periods and restatements read back (SPEC §4.6, §5): `period list` and the three diffs.

A restatement compares one report as of D at two knowledge limits, an earlier seq K and a later
seq M; the events that can explain the difference are those with K < seq ≤ M and effective ≤ D
that touch the region. The rules themselves (closed-through, "touches") are in
ledger.semantics.periods.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, select

from ledger import schema
from ledger.dates import as_date
from ledger.kinds import touches
from ledger.money import format_amount
from ledger.reads.budget import budget_rows
from ledger.reads.commitments import commitment_rows
from ledger.reads.regions import region_rows
from ledger.reads.spend import spend_rows
from ledger.semantics.periods import CLOSED, PERIOD_TYPES, PeriodState, next_state, period_states
from ledger.sql import for_driver, select_in
from ledger.upcasting import upcast


def _period_events(connection: Connection, upto_seq: int | None, region: str | None = None) -> list:
    events = schema.events
    query = (
        select(
            events.c.seq,
            events.c.type,
            events.c.payload,
            events.c.version,
            events.c.recorded_at,
            events.c.actor,
            events.c.reason,
        )
        .where(events.c.type.in_(PERIOD_TYPES))
        .order_by(events.c.seq)
    )
    if upto_seq is not None:
        query = query.where(events.c.seq <= upto_seq)
    rows = [
        (row.seq, row.type, upcast(row.type, row.version, json.loads(row.payload)), *row[4:])
        for row in connection.execute(query)
    ]
    return [row for row in rows if region is None or row[2]["region"] == region]


def period_rows(
    connection: Connection, *, as_of: date, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """One row per region opened by as_of: its closed-through date and its latest period event
    within the limit (every cell but the region empty when it has none)."""
    events = _period_events(connection, upto_seq, region)
    states = period_states((seq, type_, payload) for seq, type_, payload, *_ in events)
    envelopes = {
        seq: (recorded_at, actor, reason) for seq, _, _, recorded_at, actor, reason in events
    }
    rows = []
    for opened in region_rows(connection, as_of, upto_seq, region):
        state = states.get(opened.region)
        row: dict[str, Any] = {
            "region": opened.region,
            "closed_through": None,
            "seq": None,
            "recorded_at": None,
            "actor": None,
            "reason": None,
        }
        if state is not None:
            recorded_at, actor, reason = envelopes[state.seq]
            row.update(
                closed_through=state.closed_through,
                seq=state.seq,
                recorded_at=recorded_at,
                actor=actor,
                reason=reason,
            )
        rows.append(row)
    return rows


def period_history(
    connection: Connection, *, as_of: date, region: str | None, upto_seq: int | None
) -> list[dict[str, Any]]:
    """Every period event within the limit of the regions opened by as_of, in seq order: region,
    type, through (as recorded), closed_through (the region's books right after it), seq,
    effective, recorded_at, actor, reason."""
    events = schema.events
    query = (
        select(events.c.seq, events.c.type, events.c.payload, events.c.version, events.c.effective)
        .where(events.c.type.in_(PERIOD_TYPES))
        .order_by(events.c.seq)
    )
    if upto_seq is not None:
        query = query.where(events.c.seq <= upto_seq)
    effective = {row.seq: as_date(row.effective) for row in connection.execute(query)}
    opened = {row.region for row in region_rows(connection, as_of, upto_seq, region)}
    rows: list[dict[str, Any]] = []
    state: dict[str, PeriodState] = {}
    for seq, type_, payload, recorded_at, actor, reason in _period_events(connection, upto_seq):
        code = payload["region"]
        state[code] = next_state(state.get(code), seq, type_, payload)
        if code not in opened:
            continue
        rows.append(
            {
                "region": code,
                "type": type_,
                "through": as_date(payload["through"]) if payload.get("through") else None,
                "closed_through": state[code].closed_through,
                "seq": seq,
                "effective": effective[seq],
                "recorded_at": recorded_at,
                "actor": actor,
                "reason": reason,
            }
        )
    return rows


def last_close_seq(connection: Connection, region: str, upto_seq: int | None) -> int | None:
    """The seq of the region's last `period.closed` within the limit; None when it has none."""
    closes = [
        seq for seq, type_, *_ in _period_events(connection, upto_seq, region) if type_ == CLOSED
    ]
    return closes[-1] if closes else None


def close_events(connection: Connection, region: str, upto_seq: int | None) -> list[tuple]:
    """The region's `period.closed` events within the limit, in seq order, as (seq, through)."""
    return [
        (seq, as_date(payload["through"]))
        for seq, type_, payload, *_ in _period_events(connection, upto_seq, region)
        if type_ == CLOSED
    ]


def _printed(value: Decimal | Fraction | int | None) -> str | None:
    return None if value is None else format_amount(value)


def budget_diff(
    connection: Connection,
    *,
    as_of: date,
    year: int,
    region: str | None,
    before: int | None,
    after: int | None,
) -> list[dict[str, Any]]:
    """Per region, the budget report at both limits, where budget or committed print differently.
    The `_before` cells are empty for a region not known at the earlier limit."""

    def at(limit: int | None) -> list[dict[str, Any]]:
        return budget_rows(connection, as_of=as_of, year=year, region=region, upto_seq=limit)

    earlier = {row["region"]: row for row in at(before)}
    rows = []
    for now in at(after):
        then = earlier.get(now["region"], {})
        if all(_printed(then.get(name)) == _printed(now[name]) for name in ("budget", "committed")):
            continue
        rows.append(
            {
                "region": now["region"],
                "year": year,
                "currency": now["currency"],
                **{
                    f"{name}_{side}": row.get(name)
                    for name in ("budget", "committed", "remaining")
                    for side, row in (("before", then), ("after", now))
                },
                # The changes, after the columns the SPEC names (empty without a before).
                **{
                    f"{name}_change": _change(then.get(name), now[name])
                    for name in ("budget", "committed", "remaining")
                },
            }
        )
    return rows


def _change(
    before: Decimal | Fraction | int | None, after: Decimal | Fraction | int | None
) -> Fraction | None:
    """after − before, exact; None when either side is missing."""
    if before is None or after is None:
        return None
    return Fraction(after) - Fraction(before)


SPEND_LAYERS = ("committed", "received", "invoiced", "paid")


def spend_diff(
    connection: Connection,
    *,
    as_of: date,
    year: int,
    region: str | None,
    before: int | None,
    after: int | None,
) -> list[dict[str, Any]]:
    """Per region, the spend report at both limits, where committed, received, invoiced or paid
    print differently. The `_before` cells are empty for a region not known at the earlier
    limit."""

    def at(limit: int | None) -> list[dict[str, Any]]:
        return spend_rows(connection, as_of=as_of, year=year, region=region, upto_seq=limit)

    earlier = {row["region"]: row for row in at(before)}
    rows = []
    for now in at(after):
        then = earlier.get(now["region"], {})
        if all(_printed(then.get(name)) == _printed(now[name]) for name in SPEND_LAYERS):
            continue
        rows.append(
            {
                "region": now["region"],
                "year": year,
                "currency": now["currency"],
                **{
                    f"{name}_{side}": row.get(name)
                    for name in SPEND_LAYERS
                    for side, row in (("before", then), ("after", now))
                },
                **{f"{name}_change": _change(then.get(name), now[name]) for name in SPEND_LAYERS},
            }
        )
    return rows


def commitment_diff(
    connection: Connection,
    *,
    as_of: date,
    region: str | None,
    before: int | None,
    after: int | None,
) -> list[dict[str, Any]]:
    """Per order and lease placed or signed by as_of at either limit, where its status or its
    printed committed total differs; cells empty on a side where it is not there."""
    earlier = {
        (row["kind"], row["id"]): row
        for row in commitment_rows(connection, as_of=as_of, region=region, upto_seq=before)
    }
    later = {
        (row["kind"], row["id"]): row
        for row in commitment_rows(connection, as_of=as_of, region=region, upto_seq=after)
    }
    rows = []
    for key in earlier.keys() | later.keys():
        then, now = earlier.get(key, {}), later.get(key, {})
        if then.get("status") == now.get("status") and _printed(then.get("committed")) == _printed(
            now.get("committed")
        ):
            continue
        known = now or then
        rows.append(
            {
                "kind": key[0],
                "id": key[1],
                "region": known["region"],
                "currency": known["currency"],
                "status_before": then.get("status"),
                "status_after": now.get("status"),
                "committed_before": then.get("committed"),
                "committed_after": now.get("committed"),
                "committed_change": _change(then.get("committed"), now.get("committed")),
            }
        )
    return sorted(rows, key=lambda row: (row["region"], row["kind"], row["id"]))


def event_diff(
    connection: Connection,
    *,
    as_of: date,
    region: str | None,
    before: int,
    after: int | None,
) -> list[dict[str, Any]]:
    """The events with before < seq ≤ after and effective ≤ as_of that touch a region (with
    `region`: that touch it), in seq order, with the regions they touch among those known at
    the later limit."""
    events, regions = schema.events, schema.regions
    known = select(regions.c.region, regions.c.currency)
    if after is not None:
        known = known.where(regions.c.seq <= after)
    by_currency: dict[str, list[str]] = {}
    for code, currency in connection.execute(known):
        by_currency.setdefault(currency, []).append(code)
    known_regions = {code for codes in by_currency.values() for code in codes}
    query = (
        select(events)
        .where(events.c.seq > before, events.c.effective <= as_of)
        .order_by(events.c.seq)
    )
    if after is not None:
        query = query.where(events.c.seq <= after)
    rows = [row for row in connection.execute(query) if row.type not in PERIOD_TYPES]
    payloads = [upcast(row.type, row.version, json.loads(row.payload)) for row in rows]
    lookups = KnownDocuments(connection, payloads, by_currency, after)
    found = []
    for row, payload in zip(rows, payloads, strict=True):
        touched = set(touches(row.type, payload, lookups)) & known_regions
        if not touched or (region is not None and region not in touched):
            continue
        found.append(
            {
                "seq": row.seq,
                "type": row.type,
                "effective": as_date(row.effective),
                "recorded_at": row.recorded_at,
                "actor": row.actor,
                "reason": row.reason,
                "regions": ";".join(sorted(touched)),
                "payload": row.payload,
            }
        )
    return found


class KnownDocuments:
    """What `touches` asks, answered from the read models within the later knowledge limit."""

    def __init__(
        self,
        connection: Connection,
        payloads: Sequence[Mapping[str, Any]],
        by_currency: Mapping[str, Sequence[str]],
        upto_seq: int | None,
    ) -> None:
        def codes(key: str) -> list[str]:
            return [p[key] for p in payloads if type(p.get(key)) is str]

        self._orders = _document_regions(connection, "orders", "order_id", codes("order"), upto_seq)
        self._leases = _document_regions(connection, "leases", "lease", codes("lease"), upto_seq)
        self._invoices = _document_regions(
            connection, "invoices", "invoice", codes("invoice"), upto_seq
        )
        self._by_currency = by_currency
        self._connection = connection
        self._upto_seq = upto_seq

    def order_region(self, order: str) -> str | None:
        return self._orders.get(order)

    def lease_region(self, lease: str) -> str | None:
        return self._leases.get(lease)

    def invoice_region(self, invoice: str) -> str | None:
        return self._invoices.get(invoice)

    def currency_regions(self, currency: str) -> Sequence[str]:
        return self._by_currency.get(currency, ())

    def supplier_regions(self, supplier: str) -> list[str]:
        limit = "" if self._upto_seq is None else f" AND seq <= {int(self._upto_seq)}"
        return [
            region
            for (region,) in self._connection.exec_driver_sql(
                for_driver(
                    self._connection,
                    f"SELECT region FROM orders WHERE supplier = ?{limit} "
                    f"UNION SELECT region FROM leases WHERE lessor = ?{limit}",
                ),
                (supplier, supplier),
            )
        ]


def _document_regions(
    connection: Connection, table: str, key: str, codes: list[str], upto_seq: int | None
) -> dict[str, str]:
    found = {}
    for code, region, seq in select_in(
        connection, f"SELECT {key}, region, seq FROM {table} WHERE {key}", sorted(set(codes))
    ):
        if upto_seq is None or seq <= upto_seq:
            found[code] = region
    return found
