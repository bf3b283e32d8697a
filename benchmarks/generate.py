"""Generate a realistic, valid event stream of any size as JSON Lines, deterministically.

    python benchmarks/generate.py 100000 -o events.jsonl [--seed 1]

Six regions with their own currencies, about ten suppliers per region (domestic and foreign)
plus data-centre lessors, rates for every currency pair with frequent changes, budgets per region
and year (2021-2026) with revisions, orders with amendments and cancellations, leases with
terminations and reviews, goods received, invoices (for orders and leases, a few voided) and
their payments (together about a quarter of the stream), policy changes, and about 2% back-dated corrections (amendments, rates,
budgets, reviews dated before events already in the stream). Every region's books are closed
through each quarter's last day some weeks after it ends, and once a year one region restates
its last quarter: reopen (with a reason), a back-dated budget correction, close again.

Every line passes the ledger's validation: each event only names regions, suppliers, orders and
leases whose own effective date is on or before its own, foreign-currency documents always have a
rate in force (every pair has one from the first day), amendments and cancellations only touch
orders that are not cancelled, an order that has a receipt is never cancelled, an invoice bills
the order's supplier (or the lease's lessor) in the document's currency, payments never exceed
their invoice and a voided invoice is never paid, leases are terminated at most once, block-mode policies only
restrict a SKU the stream never buys, and no event touches a region (SPEC §4.6: its own, its
document's, or its currency's for a rate) on or before the day that region is closed through. The stream is a prefix-closed sequence: its first K lines
are valid too. Each line carries an explicit `event_id` derived from the seed and the line
number, so importing a file twice adds nothing the second time.

Memory stays constant: the open orders and leases the stream may still amend, cancel, terminate
or review are kept in bounded pools. The module only needs the standard library.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import json
import math
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

START = date(2021, 1, 1)
END = date(2026, 12, 31)
YEARS = range(START.year, END.year + 1)

# (region, name, country, currency, share of the orders)
REGIONS = [
    ("CN", "China", "CN", "CNY", 0.30),
    ("US", "United States", "US", "USD", 0.22),
    ("DE", "Germany (EU)", "DE", "EUR", 0.14),
    ("JP", "Japan", "JP", "JPY", 0.12),
    ("MY", "Overseas (Malaysia)", "MY", "MYR", 0.12),
    ("IN", "India", "IN", "INR", 0.10),
]
# Units of each currency per US dollar at the start; rates drift from there.
USD_RATES = {"USD": 1.0, "EUR": 0.92, "CNY": 7.2, "MYR": 4.6, "INR": 83.0, "JPY": 150.0}
COUNTRY_CURRENCY = {country: currency for _, _, country, currency, _ in REGIONS}

# Supplier name stems per country; the last one of each country registers mid-stream.
SUPPLIER_NAMES = {
    "CN": [
        "Huawei Technologies",
        "Cambricon (寒武纪)",
        "Hygon Information",
        "Biren Technology",
        "Moore Threads",
        "Enflame Technology",
    ],
    "US": ["Nvidia", "AMD", "Intel Habana", "Cerebras Systems", "Groq", "SambaNova"],
    "DE": [
        "Siemens Compute GmbH",
        "Bosch KI Systeme",
        "Aleph Alpha Hardware",
        "Graphcore EU",
        "Nürnberg Rechenzentrum AG",
        "Kühne Silicon GmbH",
    ],
    "JP": [
        "Preferred Networks",
        "Fujitsu",
        "NEC",
        "Sakura Internet",
        "Rapidus",
        "Socionext (ソシオネクスト)",
    ],
    "MY": [
        "Johor Compute Sdn Bhd",
        "Cyberjaya Silicon",
        "Penang Semiconductor",
        "Kulai Systems",
        "Iskandar AI Bhd",
        "Sarawak Digital",
    ],
    "IN": [
        "Tata Elxsi Compute",
        "Yotta Infrastructure",
        "Netweb Technologies",
        "Sify Silicon",
        "Bengaluru AI Labs",
        "Pune Systems Pvt",
    ],
}
# SKUs with a list price in USD; the first three are sold by every supplier of the country that
# makes them, the rest by anyone.
SKUS = {
    "ascend-910b": 16000,
    "ascend-910c": 25000,
    "mlu370": 8000,
    "mlu590": 12000,
    "h20": 13000,
    "h100": 28000,
    "h200": 32000,
    "b200": 40000,
    "mi300x": 18000,
    "gaudi3": 15000,
    "wse-3": 90000,
    "lpu-1": 20000,
    "mn-core2": 17000,
    "a64fx-n": 9000,
}
SKU_LIST = list(SKUS)
# Block mode is only used for a SKU the stream never buys (so it never rejects anything).
BANNED_SKU = "xk-embargoed-01"
WARN_SKU = "h20"

ACTORS = {
    "CN": ["cn.procure.zhao", "cn.procure.chen", "a.chen"],
    "US": ["us.buyer.smith", "us.buyer.garcia"],
    "DE": ["de.einkauf.müller", "de.einkauf.schmidt"],
    "JP": ["jp.kobai.sato", "jp.kobai.suzuki"],
    "MY": ["my.ops.lim", "my.ops.tan"],
    "IN": ["in.purchase.iyer", "in.purchase.rao"],
}
ORDER_REASONS = [
    "Cluster expansion",
    "Q-end allocation",
    "Replacement of failed units",
    "Inference fleet",
    "-5% volume discount agreed",
    "Framework agreement call-off",
    "=budget line 4",
    "Pilot batch",
]
AMEND_REASONS = [
    "Volume adjusted",
    "Price renegotiated",
    "Yield shortfall at supplier",
    "+10% option exercised",
]
CORRECTION_REASONS = ["Correction: wrong figure keyed", "Back-dated correction", "Late paperwork"]
CLOSE_LAG = 20  # days after a quarter's end when its books are closed

POOL_CAP = 4000  # open orders kept for amendments and cancellations
LEASE_CAP = 2000  # leases kept for terminations and reviews
LATER_CAP = 4000  # orders received and not yet billed, invoices not yet paid

# Probability of each kind of main-loop event; whatever is left is order.placed.
MIX = [
    ("amend", 0.090),
    ("cancel", 0.032),
    ("lease", 0.020),
    ("terminate", 0.005),
    ("review", 0.018),
    ("fx", 0.012),
    ("budget", 0.004),
    ("policy", 0.003),
    ("backdated", 0.022),
    ("receive", 0.090),
    ("invoice", 0.075),
    ("pay", 0.080),
    ("void", 0.004),
]
PLACED_SHARE = 1 - sum(p for _, p in MIX)


@dataclass(frozen=True)
class Profile:
    """A mix of regions, suppliers and events. `standard` is the stream every earlier run
    measured; `corrections` is smaller in master data and heavier in what makes compliance and
    the report work: back-dated corrections, policy changes (three-way-match tolerances too)
    and suppliers' name corrections."""

    name: str
    regions: tuple[str, ...]
    suppliers_per_country: int  # chip suppliers; the last of each registers mid-stream
    lessors_per_country: int
    mix: tuple[tuple[str, float], ...]
    match_tolerances: bool = False  # policy changes include three-way-match tolerances


PROFILES = {
    "standard": Profile("standard", tuple(r[0] for r in REGIONS), 6, 2, tuple(MIX)),
    # Four regions and twelve suppliers (two makers and one data centre per country).
    "corrections": Profile(
        "corrections",
        ("CN", "US", "DE", "MY"),
        2,
        1,
        (
            ("amend", 0.090),
            ("cancel", 0.032),
            ("lease", 0.020),
            ("terminate", 0.006),
            ("review", 0.018),
            ("fx", 0.012),
            ("budget", 0.008),
            ("policy", 0.015),
            ("backdated", 0.080),
            ("receive", 0.090),
            ("invoice", 0.075),
            ("pay", 0.080),
            ("void", 0.004),
            ("rename", 0.002),
        ),
        match_tolerances=True,
    ),
}
ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


class Generator:
    def __init__(self, n: int, seed: int, profile: str = "standard"):
        self.n = n
        self.profile = PROFILES[profile]
        self.regions = [r for r in REGIONS if r[0] in self.profile.regions]
        countries = {r[2] for r in self.regions}
        self.supplier_names = {
            country: names[: self.profile.suppliers_per_country]
            for country, names in SUPPLIER_NAMES.items()
            if country in countries
        }
        self.rng = random.Random(seed)
        self.id_prefix = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ledger-benchmark/{seed}"))[:24]
        self.count = 0
        self.span = (END - START).days
        self.days = [(START + timedelta(days=k)).isoformat() for k in range(self.span + 1)]
        self.scheduled: list[tuple[int, int, tuple]] = []  # (day, tie, (kind, args))
        self.tie = 0
        # (order id, placement day, supplier, currency, quantity, unit price): none cancelled,
        # none received (an order with a receipt is amended, never cancelled).
        self.orders: list[tuple] = []
        self.leases: list[tuple[str, int]] = []  # every signed lease (bounded)
        self.active_leases: list[tuple] = []  # (lease, day, lessor, currency, monthly): signed
        # Orders received and not yet billed: (order, supplier, currency, quantity, unit price);
        # invoices not yet paid in full: (invoice, region, amount left, currency, part-paid).
        self.billable: list[tuple] = []
        self.payable: list[tuple] = []
        self.invoice_no = 0
        self.receipt_no = 0
        self.payment_no = 0
        self.order_no = {r[0]: 0 for r in self.regions}
        self.lease_no = {r[0]: 0 for r in self.regions}
        self.region_cum = cumulative([r[4] for r in self.regions])
        self.region_by_code = {r[0]: r for r in self.regions}
        self.usd = {
            c: USD_RATES[c] for c in USD_RATES if c in {"USD", *(r[3] for r in self.regions)}
        }
        # Pairs with the stronger currency as base, so every rate is ≥ 1 and prints plainly.
        currencies = sorted(self.usd, key=lambda c: self.usd[c])
        self.pairs = [(a, b) for i, a in enumerate(currencies) for b in currencies[i + 1 :]]
        self.suppliers: dict[str, tuple[str, str]] = {}  # code -> (country, name)
        self.available: dict[str, list[tuple[str, float]]] = {r[0]: [] for r in self.regions}
        self.lessors: dict[str, list[str]] = {r[0]: [] for r in self.regions}
        self.available_pick: dict[str, tuple[list[str], list[float]]] = {}
        self.budget: dict[tuple[str, int], int] = {}
        self.min_share: dict[str, str] = {}
        self.toggles: dict[tuple, bool] = {}
        self._plan_suppliers()
        # Closed periods: each region's closed-through day (-1: never closed), the regions of
        # each currency, and the quarter ends still to close.
        self.closed = {r[0]: -1 for r in self.regions}
        self.currency_region = {r[3]: r[0] for r in self.regions}
        self.quarter_ends = [
            (date(year, month, day) - START).days
            for year in YEARS
            for month, day in ((3, 31), (6, 30), (9, 30), (12, 31))
        ]
        self.next_quarter = 0
        main = max(1, n - 200)
        placed_per_year = main * (1 - sum(share for _, share in self.profile.mix)) / len(YEARS)
        # Expected yearly commitments per region in its currency: orders (about 150 units at
        # about the average list price) plus a share for leases; budgets are set around it.
        average_price = sum(SKUS.values()) / len(SKUS)
        self.expected = {
            r[0]: placed_per_year * r[4] * 150 * average_price * 1.25 * self.usd[r[3]]
            for r in self.regions
        }

    # -- output ---------------------------------------------------------------------------------

    def event(
        self, type_: str, day: int, actor: str, payload: dict, reason: str | None = None
    ) -> str:
        record = {
            "event_id": f"{self.id_prefix}{self.count:012x}",
            "type": type_,
            "effective": self.days[day],
            "actor": actor,
        }
        if reason is not None:
            record["reason"] = reason
        record.update(payload)
        self.count += 1
        return ENCODE(record)

    def schedule(self, day: int, kind: str, *args) -> None:
        self.tie += 1
        heapq.heappush(self.scheduled, (day, self.tie, (kind, args)))

    # -- set-up ---------------------------------------------------------------------------------

    def _plan_suppliers(self) -> None:
        rng = self.rng
        self.supplier_plan = []  # (code, name, country, day registered)
        for country, names in self.supplier_names.items():
            for k, name in enumerate(names):
                code = f"{country.lower()}-sup-{k + 1:02d}"
                day = 0 if k < len(names) - 1 else rng.randint(300, 1200)
                self.supplier_plan.append((code, name, country, day))
            for k in range(self.profile.lessors_per_country):
                code = f"dc-{country.lower()}-{k + 1}"
                self.supplier_plan.append((code, f"{country} Data Centre {k + 1}", country, 0))
        self.supplier_index = {code: k for k, (code, _, _, _) in enumerate(self.supplier_plan)}
        # Each region buys from its domestic suppliers and four foreign ones.
        self.region_suppliers = {}
        countries = list(self.supplier_names)
        for region, _, country, _, _ in self.regions:
            domestic = [
                c
                for c, _, k, _ in self.supplier_plan
                if k == country and c.startswith(f"{k.lower()}-sup")
            ]
            others = [k for k in countries if k != country]
            if self.profile.name == "standard":
                foreign = [
                    f"{others[(j * 2) % len(others)].lower()}-sup-{j + 1:02d}" for j in range(4)
                ]
            else:
                per = self.profile.suppliers_per_country
                foreign = [
                    f"{others[j % len(others)].lower()}-sup-{j // len(others) % per + 1:02d}"
                    for j in range(4)
                ]
            if country != "US":
                foreign[0] = "us-sup-01"
            self.region_suppliers[region] = [(c, 0.55 / len(domestic)) for c in domestic] + [
                (c, 0.45 / len(foreign)) for c in foreign
            ]
            self.lessors[region] = [
                f"dc-{country.lower()}-{k + 1}" for k in range(self.profile.lessors_per_country)
            ]

    def setup(self):
        for region, name, country, currency, _ in self.regions:
            yield self.event(
                "region.opened",
                0,
                "finance.ops",
                {"region": region, "name": name, "country": country, "currency": currency},
                "Benchmark set-up",
            )
        for code, name, country, day in self.supplier_plan:
            if day == 0:
                yield self.register(code, name, country, 0)
            else:
                self.schedule(day, "supplier", code, name, country)
        for base, quote in self.pairs:
            yield self.rate_event(base, quote, 0, "Opening rate")
        for region, *_ in self.regions:
            yield self.budget_event(region, START.year, 0, initial=True)
            for year in YEARS[1:]:
                self.schedule((date(year - 1, 12, 10) - START).days, "budget", region, year)
        for region, *_ in self.regions:
            threshold = self.rng.choice(["0.3", "0.25", "0.35", "0.2"])
            self.min_share[region] = threshold
            yield self.policy_event(
                0,
                {
                    "policy": "min_domestic_share",
                    "region": region,
                    "threshold": threshold,
                    "mode": "warn",
                },
                "Guideline: domestic share of accelerators",
            )
            yield self.policy_event(
                0,
                {"policy": "budget_cap", "region": region, "mode": "warn"},
                "Warn when commitments exceed budget",
            )
            yield self.policy_event(
                0,
                {"policy": "restricted_sku", "region": region, "sku": BANNED_SKU, "mode": "block"},
                "Embargoed part: never to be bought",
            )
            self.toggles[("budget_cap", region, "")] = True
            if region in ("MY", "IN", "US"):
                yield self.policy_event(
                    0,
                    {"policy": "lease_review", "region": region},
                    "Export control: owner/operator review",
                )
                self.toggles[("lease_review", region, "")] = True
            else:
                self.toggles[("lease_review", region, "")] = False
            if region in ("CN", "DE", "JP"):
                yield self.policy_event(
                    0,
                    {"policy": "three_way_match", "region": region, "tolerance": "0.02"},
                    "Invoices must match what was ordered and received",
                )
            self.toggles[("restricted_sku", region, WARN_SKU)] = False
            self.toggles[("restricted_supplier", region, "us-sup-01")] = False

    # -- event makers ---------------------------------------------------------------------------

    def register(self, code: str, name: str, country: str, day: int) -> str:
        self.suppliers[code] = (country, name)
        for region, _, _, _, _ in self.regions:
            for supplier, weight in self.region_suppliers[region]:
                if supplier == code:
                    self.available[region].append((supplier, weight))
                    pairs = self.available[region]
                    self.available_pick[region] = (
                        [s for s, _ in pairs],
                        cumulative([w for _, w in pairs]),
                    )
        return self.event(
            "supplier.registered",
            day,
            "procure.master-data",
            {"supplier": code, "name": name, "country": country},
        )

    def rate_text(self, base: str, quote: str) -> str:
        return f"{self.usd[quote] / self.usd[base]:.5f}".rstrip("0").rstrip(".")

    def rate_event(self, base: str, quote: str, day: int, reason: str | None = None) -> str:
        return self.event(
            "fx.rate_set",
            day,
            "treasury.wu",
            {"base": base, "quote": quote, "rate": self.rate_text(base, quote)},
            reason,
        )

    def budget_event(
        self, region: str, year: int, day: int, *, initial: bool = False, reason: str | None = None
    ) -> str:
        rng = self.rng
        if initial or (region, year) not in self.budget:
            amount = self.expected[region] * rng.uniform(0.85, 1.3)
        else:
            amount = self.budget[(region, year)] * rng.uniform(0.9, 1.15)
        amount = max(1_000_000, int(amount) // 1_000_000 * 1_000_000)
        self.budget[(region, year)] = amount
        payload = {"region": region, "year": year, "amount": str(amount)}
        if rng.random() < 0.3:
            payload["currency"] = self.region_by_code[region][3]
        if reason is None:
            reason = f"FY{year} capex" if initial else "Budget revision"
        return self.event("budget.revised", day, "finance.ops", payload, reason)

    def policy_event(self, day: int, payload: dict, reason: str | None = None) -> str:
        return self.event("policy.changed", day, "compliance.li", payload, reason)

    def price(self, sku: str, currency: str) -> str:
        value = SKUS[sku] * self.usd[currency] * self.rng.uniform(0.85, 1.15)
        if self.rng.random() < 0.3:
            return f"{value:.2f}"
        return str(int(value))

    def pick_region(self) -> tuple:
        cum = self.region_cum
        return self.regions[
            min(len(self.regions) - 1, bisect.bisect(cum, self.rng.random() * cum[-1]))
        ]

    def order_placed(self, day: int) -> str:
        # The hot path (three events in four): plain random() calls, one dict, one encode.
        rand = self.rng.random
        code, _, country, currency, _ = self.pick_region()
        codes, cum = self.available_pick[code]
        supplier = codes[min(len(codes) - 1, bisect.bisect(cum, rand() * cum[-1]))]
        supplier_country = self.suppliers[supplier][0]
        if supplier_country != country and rand() < 0.35:
            currency = COUNTRY_CURRENCY[supplier_country]
        if rand() < 0.8:  # mostly the supplier's own line of parts
            sku = SKU_LIST[(self.supplier_index[supplier] * 3 + int(rand() * 3)) % len(SKU_LIST)]
        else:
            sku = SKU_LIST[int(rand() * len(SKU_LIST))]
        number = self.order_no[code] = self.order_no[code] + 1
        order = f"{code}-PO-{number:07d}"
        value = SKUS[sku] * self.usd[currency] * (0.85 + 0.3 * rand())
        actors = ACTORS[code]
        record = {
            "event_id": f"{self.id_prefix}{self.count:012x}",
            "type": "order.placed",
            "effective": self.days[day],
            "actor": actors[int(rand() * len(actors))],
        }
        if rand() < 0.12:
            record["reason"] = ORDER_REASONS[int(rand() * len(ORDER_REASONS))]
        record["order"] = order
        record["region"] = code
        record["supplier"] = supplier
        record["sku"] = sku
        record["quantity"] = int(-150 * math.log(1.0 - rand())) + 1
        record["unit_price"] = f"{value:.2f}" if rand() < 0.3 else str(int(value))
        record["currency"] = currency
        r = rand()
        if r < 0.65:
            record["purpose"] = "training" if r < 0.4 else ("inference" if r < 0.6 else "other")
        orders = self.orders
        kept = (order, day, supplier, currency, record["quantity"], record["unit_price"])
        if len(orders) < POOL_CAP:
            orders.append(kept)
        else:
            orders[int(rand() * POOL_CAP)] = kept
        self.count += 1
        return ENCODE(record)

    def order_amended(self, day: int, back_dated: bool = False) -> str | None:
        if not self.orders:
            return None
        rng = self.rng
        order, placed, *_ = self.orders[rng.randrange(len(self.orders))]
        if back_dated:
            placed = max(placed, self.closed[order.split("-", 1)[0]] + 1)
            if placed >= day:
                return None
            day = rng.randint(placed, day - 1)
        payload: dict = {"order": order}
        r = rng.random()
        if r < 0.6:
            payload["quantity"] = int(rng.expovariate(1 / 150)) + 1
        if r > 0.4:
            sku_price = SKUS["h100"] * rng.uniform(0.3, 1.5)
            region = self.region_by_code[order.split("-", 1)[0]]
            payload["unit_price"] = str(int(sku_price * self.usd[region[3]]))
        reason = (
            rng.choice(CORRECTION_REASONS)
            if back_dated
            else (rng.choice(AMEND_REASONS) if rng.random() < 0.3 else None)
        )
        region = order.split("-", 1)[0]
        return self.event("order.amended", day, rng.choice(ACTORS[region]), payload, reason)

    def order_cancelled(self, day: int) -> str | None:
        if not self.orders:
            return None
        rng = self.rng
        index = rng.randrange(len(self.orders))
        order, *_ = self.orders[index]
        self.orders[index] = self.orders[-1]
        self.orders.pop()
        region = order.split("-", 1)[0]
        reason = "Supplier cannot ship" if rng.random() < 0.5 else None
        return self.event(
            "order.cancelled", day, rng.choice(ACTORS[region]), {"order": order}, reason
        )

    def lease_signed(self, day: int) -> str:
        rng = self.rng
        code, _, country, currency, _ = self.pick_region()
        if currency != "USD" and rng.random() < 0.3:
            currency = "USD"
        self.lease_no[code] += 1
        lease = f"{code}-L-{self.lease_no[code]:05d}"
        sku = rng.choice(["h100", "h200", "b200", "ascend-910c", "mi300x"])
        units = rng.randint(50, 3000)
        monthly = units * SKUS[sku] / 30 * self.usd[currency] * rng.uniform(0.8, 1.2)
        start = self.days[min(self.span, day + rng.randint(0, 90))]
        payload = {
            "lease": lease,
            "region": code,
            "lessor": rng.choice(self.lessors[code]),
            "sku": sku,
            "units": units,
            "start": start,
            "months": rng.choice([12, 24, 36, 48, 60]),
            "monthly_payment": str(int(monthly)),
            "currency": currency,
        }
        if len(self.leases) < LEASE_CAP:
            self.leases.append((lease, day))
        else:
            self.leases[rng.randrange(LEASE_CAP)] = (lease, day)
        active = (lease, day, payload["lessor"], currency, payload["monthly_payment"])
        if len(self.active_leases) < LEASE_CAP:
            self.active_leases.append(active)
        else:
            self.active_leases[rng.randrange(LEASE_CAP)] = active
        return self.event(
            "lease.signed",
            day,
            rng.choice(ACTORS[code]),
            payload,
            "Leased capacity" if rng.random() < 0.5 else None,
        )

    def lease_terminated(self, day: int) -> str | None:
        if not self.active_leases:
            return None
        rng = self.rng
        index = rng.randrange(len(self.active_leases))
        lease, *_ = self.active_leases[index]
        self.active_leases[index] = self.active_leases[-1]
        self.active_leases.pop()
        payload: dict = {"lease": lease}
        if rng.random() < 0.6:
            payload["fee"] = str(rng.randint(1, 500) * 10_000)
        region = lease.split("-", 1)[0]
        return self.event(
            "lease.terminated",
            day,
            rng.choice(ACTORS[region]),
            payload,
            "Capacity no longer needed",
        )

    def lease_reviewed(self, day: int, back_dated: bool = False) -> str | None:
        if not self.leases:
            return None
        rng = self.rng
        lease, signed = self.leases[rng.randrange(len(self.leases))]
        if back_dated:
            signed = max(signed, self.closed[lease.split("-", 1)[0]] + 1)
            if signed >= day:
                return None
            day = rng.randint(signed, day - 1)
        region = lease.split("-", 1)[0]
        owner = f"{self.region_by_code[region][1]} Data Centre Holdings"
        outcome = "approved" if rng.random() < 0.85 else "rejected"
        payload = {
            "lease": lease,
            "owner": owner,
            "operator": owner if rng.random() < 0.7 else f"{region} Hosting Services (unverified)",
            "outcome": outcome,
        }
        if rng.random() < 0.8:
            payload["reference"] = f"KYC-{self.days[day][:4]}-{rng.randint(1, 99999):05d}"
        reason = rng.choice(CORRECTION_REASONS) if back_dated else None
        return self.event("lease.reviewed", day, "compliance.li", payload, reason)

    @staticmethod
    def keep(pool: list, item: tuple, rng: random.Random) -> None:
        if len(pool) < LATER_CAP:
            pool.append(item)
        else:
            pool[rng.randrange(LATER_CAP)] = item

    @staticmethod
    def take(pool: list, rng: random.Random) -> tuple:
        index = rng.randrange(len(pool))
        item = pool[index]
        pool[index] = pool[-1]
        pool.pop()
        return item

    def goods_received(self, day: int) -> str | None:
        """Goods of an order arrive (mostly all of them; now and then more or fewer)."""
        if not self.orders:
            return None
        rng = self.rng
        order, _, supplier, currency, quantity, unit_price = self.take(self.orders, rng)
        r = rng.random()
        received = quantity if r < 0.9 else max(1, quantity + rng.randint(-5, 3))
        self.receipt_no += 1
        payload = {"receipt": f"GR-{self.receipt_no:08d}", "order": order, "quantity": received}
        if rng.random() < 0.5:
            payload["reference"] = f"DN-{rng.randint(1, 999999):06d}"
        self.keep(self.billable, (order, supplier, currency, received, unit_price), rng)
        region = order.split("-", 1)[0]
        return self.event("goods.received", day, rng.choice(ACTORS[region]), payload)

    def invoice_received(self, day: int) -> str | None:
        """A supplier bills what arrived (now and then a little above the price), or a lessor
        bills a month of a lease."""
        rng = self.rng
        if self.active_leases and rng.random() < 0.1:
            lease, _, lessor, currency, monthly = rng.choice(self.active_leases)
            region = lease.split("-", 1)[0]
            payload = {"supplier": lessor, "lease": lease, "amount": monthly}
        elif self.billable:
            order, supplier, currency, quantity, unit_price = self.take(self.billable, rng)
            amount = quantity * Decimal(unit_price)
            if rng.random() < 0.05:
                amount = amount * Decimal("1.03")
            region = order.split("-", 1)[0]
            payload = {
                "supplier": supplier,
                "order": order,
                "quantity": quantity,
                "amount": str(amount.quantize(Decimal("0.01"))),
            }
        else:
            return None
        self.invoice_no += 1
        invoice = f"INV-{self.invoice_no:08d}"
        payload = {"invoice": invoice, **payload, "currency": currency}
        if rng.random() < 0.7:
            payload["reference"] = f"{payload['supplier'][:2].upper()}-{rng.randint(1, 10**7):07d}"
        if rng.random() < 0.5:
            payload["due"] = self.days[min(self.span, day + 30)]
        self.keep(self.payable, (invoice, region, payload["amount"], currency, False), rng)
        return self.event("invoice.received", day, "ap.clerk", payload)

    def payment_made(self, day: int) -> str | None:
        """An invoice is paid, mostly in full, sometimes half now and the rest later."""
        if not self.payable:
            return None
        rng = self.rng
        invoice, region, amount, currency, _ = self.take(self.payable, rng)
        left = Decimal(amount)
        if left <= 0:
            return None
        paid = left
        if rng.random() < 0.15 and left >= 2:
            paid = (left / 2).quantize(Decimal("0.01"))
            self.keep(self.payable, (invoice, region, str(left - paid), currency, True), rng)
        self.payment_no += 1
        payload = {"payment": f"PAY-{self.payment_no:08d}", "invoice": invoice, "amount": str(paid)}
        return self.event("payment.made", day, "treasury.wu", payload)

    def invoice_voided(self, day: int) -> str | None:
        """An invoice nothing of which was paid is voided (billed twice, say)."""
        if not self.payable:
            return None
        rng = self.rng
        index = rng.randrange(len(self.payable))
        invoice, *_, part_paid = self.payable[index]
        if part_paid:
            return None
        self.payable[index] = self.payable[-1]
        self.payable.pop()
        return self.event("invoice.voided", day, "ap.clerk", {"invoice": invoice}, "Billed twice")

    def fx_changed(self, day: int, back_dated: bool = False) -> str:
        rng = self.rng
        currency = rng.choice([c for c in self.usd if c != "USD"])
        self.usd[currency] *= rng.uniform(0.985, 1.015)
        base, quote = rng.choice([p for p in self.pairs if currency in p])
        if back_dated:
            open_from = max(self.closed[self.currency_region[c]] for c in (base, quote)) + 1
            day = max(0, open_from, day - rng.randint(1, 120))
            return self.rate_event(base, quote, day, rng.choice(CORRECTION_REASONS))
        return self.rate_event(base, quote, day, "Rate review" if rng.random() < 0.2 else None)

    def budget_revised(self, day: int, back_dated: bool = False) -> str:
        rng = self.rng
        region = rng.choice(self.regions)[0]
        today = START + timedelta(days=day)
        year = today.year
        if not back_dated and today.month >= 10 and year < END.year and rng.random() < 0.5:
            year += 1
        if back_dated:
            first = max(0, (date(year, 1, 1) - START).days, self.closed[region] + 1)
            if first < day:
                day = rng.randint(first, day - 1)
            return self.budget_event(region, year, day, reason=rng.choice(CORRECTION_REASONS))
        return self.budget_event(region, year, day)

    def supplier_renamed(self, day: int) -> str | None:
        """A correction of a supplier's name (master data), from today."""
        rng = self.rng
        code = rng.choice(sorted(self.suppliers))
        country, name = self.suppliers[code]
        suffix = rng.choice(["Ltd.", "GmbH", "Inc.", "Co.", "Holdings"])
        self.suppliers[code] = (country, f"{name.split(' (')[0]} ({suffix})")
        return self.event(
            "supplier.updated",
            day,
            "procure.master-data",
            {"supplier": code, "name": self.suppliers[code][1]},
            "Name corrected",
        )

    def policy_changed(self, day: int) -> str:
        rng = self.rng
        region = rng.choice(self.regions)[0]
        if self.profile.match_tolerances and rng.random() < 0.2:
            matched = [r for r in ("CN", "DE", "JP") if r in self.region_by_code]
            payload = {
                "policy": "three_way_match",
                "region": rng.choice(matched),
                "tolerance": rng.choice(["0", "0.01", "0.02", "0.05"]),
            }
            return self.policy_event(day, payload, "Tolerance reviewed")
        kind = rng.random()
        if kind < 0.35:
            threshold = rng.choice(["0.2", "0.25", "0.3", "0.35", "0.4", "0.5"])
            payload = {
                "policy": "min_domestic_share",
                "region": region,
                "threshold": threshold,
                "mode": "warn",
            }
            if rng.random() < 0.3:
                payload["basis"] = "units"
            return self.policy_event(day, payload, "Guideline updated")
        if kind < 0.55:
            key = ("restricted_sku", region, WARN_SKU)
            payload = {
                "policy": "restricted_sku",
                "region": region,
                "sku": WARN_SKU,
                "mode": "warn",
            }
        elif kind < 0.75:
            key = ("restricted_supplier", region, "us-sup-01")
            payload = {
                "policy": "restricted_supplier",
                "region": region,
                "supplier": "us-sup-01",
                "mode": "warn",
            }
        elif kind < 0.9:
            key = ("budget_cap", region, "")
            payload = {"policy": "budget_cap", "region": region, "mode": "warn"}
        else:
            key = ("lease_review", region, "")
            payload = {"policy": "lease_review", "region": region}
        enabled = not self.toggles[key]
        self.toggles[key] = enabled
        if not enabled:
            payload["enabled"] = False
        return self.policy_event(day, payload, "Rule switched on" if enabled else "Rule lifted")

    def period_event(
        self, type_: str, region: str, through: int | None, day: int, reason: str
    ) -> str:
        payload = (
            {"region": region}
            if through is None
            else {"region": region, "through": self.days[through]}
        )
        if through is not None and type_ == "period.closed":
            self.closed[region] = through
        elif type_ == "period.reopened":
            self.closed[region] = -1 if through is None else through
        return self.event(type_, day, "finance.controller", payload, reason)

    def close_quarter(self, day: int):
        """Close every region's books through the last quarter's end; in the second quarter of
        each year, one region (in turn) then restates that quarter: reopen back to the quarter
        before, a back-dated budget correction inside it, close again."""
        end = self.quarter_ends[self.next_quarter]
        previous = self.quarter_ends[self.next_quarter - 1] if self.next_quarter else None
        restating = (
            self.regions[(self.next_quarter // 4) % len(self.regions)][0]
            if self.next_quarter % 4 == 1
            else None
        )
        self.next_quarter += 1
        label = f"Q{int(self.days[end][5:7]) // 3} {self.days[end][:4]}"
        for region, *_ in self.regions:
            yield self.period_event("period.closed", region, end, day, f"{label} books closed")
        if restating is None or previous is None:
            return
        yield self.period_event(
            "period.reopened",
            restating,
            previous,
            day,
            f"Restatement of {label}: budget correction",
        )
        when = self.rng.randint(previous + 1, end)
        year = (START + timedelta(days=when)).year
        yield self.budget_event(restating, year, when, reason=f"Correction for {label}")
        yield self.period_event(
            "period.closed", restating, end, day, f"{label} closed again after restatement"
        )

    def back_dated(self, day: int) -> str | None:
        r = self.rng.random()
        if r < 0.5:
            return self.order_amended(day, back_dated=True)
        if r < 0.75:
            return self.fx_changed(day, back_dated=True)
        if r < 0.85:
            return self.budget_revised(day, back_dated=True)
        return self.lease_reviewed(day, back_dated=True)

    # -- the stream -----------------------------------------------------------------------------

    def lines(self):
        n = self.n
        for line in self.setup():
            if self.count >= n:
                return
            yield line
        rng = self.rng
        thresholds = []
        total = 0.0
        for kind, share in self.profile.mix:
            total += share
            thresholds.append((total, kind))
        makers = {
            "amend": self.order_amended,
            "cancel": self.order_cancelled,
            "lease": self.lease_signed,
            "terminate": self.lease_terminated,
            "review": self.lease_reviewed,
            "fx": self.fx_changed,
            "budget": self.budget_revised,
            "policy": self.policy_changed,
            "backdated": self.back_dated,
            "receive": self.goods_received,
            "invoice": self.invoice_received,
            "pay": self.payment_made,
            "void": self.invoice_voided,
            "rename": self.supplier_renamed,
        }
        span = self.span
        scheduled = self.scheduled
        while self.count < n:
            day = self.count * span // n
            while scheduled and scheduled[0][0] <= day and self.count < n:
                when, _, (kind, args) = heapq.heappop(scheduled)
                if kind == "supplier":
                    yield self.register(*args, when)
                else:
                    when = max(when, self.closed[args[0]] + 1)
                    yield self.budget_event(args[0], args[1], when, initial=True)
            if self.count >= n:
                return
            quarters = self.quarter_ends
            if self.next_quarter < len(quarters) and day >= quarters[self.next_quarter] + CLOSE_LAG:
                for line in self.close_quarter(day):
                    yield line
                    if self.count >= n:
                        return
                continue
            r = rng.random()
            line = None
            if r < total:
                for threshold, kind in thresholds:
                    if r < threshold:
                        line = makers[kind](day)
                        break
            if line is None:
                line = self.order_placed(day)
            yield line


def generate(n: int, out, seed: int = 1, profile: str = "standard") -> int:
    """Write n events as JSON Lines to the text stream `out`; returns the count written."""
    buffer: list[str] = []
    written = 0
    for line in Generator(n, seed, profile).lines():
        buffer.append(line)
        if len(buffer) >= 10_000:
            out.write("\n".join(buffer) + "\n")
            written += len(buffer)
            buffer.clear()
    if buffer:
        out.write("\n".join(buffer) + "\n")
        written += len(buffer)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, help="number of events")
    parser.add_argument(
        "-o", "--output", required=True, help="JSONL file to write ('-' for stdout)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed [1]")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="standard",
        help="the mix of events [standard]; corrections: four regions, twelve suppliers, more "
        "back-dated corrections and policy changes",
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("n must be at least 1")
    started = time.perf_counter()
    if args.output == "-":
        count = generate(args.n, sys.stdout, args.seed, args.profile)
    else:
        with open(args.output, "w", encoding="utf-8", newline="\n") as out:
            count = generate(args.n, out, args.seed, args.profile)
    elapsed = time.perf_counter() - started
    print(
        f"wrote {count} events in {elapsed:.2f} s ({count / elapsed:,.0f} events/s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
