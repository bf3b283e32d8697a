"""A small, deterministic generator of valid event files for the reliability tests.

Regions with their own currencies, domestic and foreign suppliers, a rate for every foreign
currency, budgets for two years, then mostly orders (some amended or cancelled later) and a
few leases. Every event names only what was opened before it, every line carries an
`event_id` derived from the seed and the line number, so importing a file twice adds nothing.
"""

from __future__ import annotations

import csv
import json
import random
import uuid
from datetime import date, timedelta
from pathlib import Path

NAMESPACE = uuid.UUID("0d7f3a52-5e1b-4c8e-9f00-7e1ab1e7f11e")
START = date(2025, 1, 1)
REGIONS = [
    ("CN", "China", "CN", "CNY"),
    ("US", "United States", "US", "USD"),
    ("MY", "Malaysia", "MY", "MYR"),
]
SUPPLIERS = [
    ("huawei", "Huawei", "CN"),
    ("cambricon", "Cambricon", "CN"),
    ("nvidia", "Nvidia", "US"),
    ("amd", "AMD", "US"),
    ("dcprov", "DC Provider Sdn Bhd", "MY"),
]
RATES = [("USD", "CNY", "7.2"), ("USD", "MYR", "4.6"), ("CNY", "MYR", "0.64")]
SKUS = ["ascend-910b", "mlu-370", "h20", "mi300"]
CSV_COLUMNS = [
    "event_id",
    "type",
    "effective",
    "actor",
    "reason",
    "region",
    "name",
    "country",
    "currency",
    "supplier",
    "base",
    "quote",
    "rate",
    "year",
    "amount",
    "order",
    "sku",
    "quantity",
    "unit_price",
    "purpose",
    "lease",
    "lessor",
    "units",
    "start",
    "months",
    "monthly_payment",
]


def events(count: int, *, seed: int = 1, tag: str = "") -> list[dict]:
    """`count` valid event records (envelope and payload side by side, as in an import file).
    `tag` prefixes every order and lease id, so files with different tags can go into one log
    after the same opening events."""
    rng = random.Random(seed)
    records: list[dict] = []

    def add(type_: str, effective: date, **fields) -> None:
        number = len(records)
        records.append(
            {
                "event_id": str(uuid.uuid5(NAMESPACE, f"{seed}/{tag}/{number}")),
                "type": type_,
                "effective": effective.isoformat(),
                "actor": "generator",
                **fields,
            }
        )

    for region, name, country, currency in REGIONS:
        add("region.opened", START, region=region, name=name, country=country, currency=currency)
    for supplier, name, country in SUPPLIERS:
        add("supplier.registered", START, supplier=supplier, name=name, country=country)
    for base, quote, rate in RATES:
        add("fx.rate_set", START, base=base, quote=quote, rate=rate)
    for region, *_ in REGIONS:
        for year in (2025, 2026):
            add(
                "budget.revised",
                START,
                region=region,
                year=year,
                amount=str(rng.randrange(10**8, 10**10)),
            )
    currencies = [currency for *_, currency in REGIONS]
    open_orders: list[tuple[str, date]] = []
    day = START
    number = 0
    while len(records) < count:
        number += 1
        day = min(day + timedelta(days=rng.random() < 0.01), date(2026, 12, 31))
        roll = rng.random()
        if roll < 0.12 and open_orders:
            order, placed = open_orders[rng.randrange(len(open_orders))]
            add(
                "order.amended",
                max(day, placed),
                order=order,
                quantity=rng.randrange(1, 500),
                reason="price review" if rng.random() < 0.5 else None,
            )
        elif roll < 0.15 and open_orders:
            order, placed = open_orders.pop(rng.randrange(len(open_orders)))
            add("order.cancelled", max(day, placed), order=order)
        elif roll < 0.17:
            region = rng.choice(REGIONS)
            add(
                "lease.signed",
                day,
                lease=f"{tag}L-{number}",
                region=region[0],
                lessor="dcprov",
                sku=rng.choice(SKUS),
                units=rng.randrange(1, 1000),
                start=(day + timedelta(days=30)).isoformat(),
                months=rng.randrange(1, 61),
                monthly_payment=str(rng.randrange(1000, 10**6)),
                currency=rng.choice(currencies),
            )
        else:
            order = f"{tag}PO-{number}"
            add(
                "order.placed",
                day,
                order=order,
                region=rng.choice(REGIONS)[0],
                supplier=rng.choice(SUPPLIERS)[0],
                sku=rng.choice(SKUS),
                quantity=rng.randrange(1, 1000),
                unit_price=f"{rng.randrange(100, 10**6)}.{rng.randrange(100):02d}",
                currency=rng.choice(currencies),
                purpose=rng.choice(["training", "inference", "other"]),
            )
            open_orders.append((order, day))
            if len(open_orders) > 500:
                open_orders.pop(0)
    for record in records:
        if record.get("reason", "") is None:
            del record["reason"]
    return records


def write_jsonl(path: Path, records: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def write_csv(path: Path, records: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, CSV_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(
            {key: "" if value is None else value for key, value in record.items()}
            for record in records
        )
    return path
