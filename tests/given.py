"""The worlds the tests start from, written once.

- The worked example (SPEC §6) step by step through the `ledger` command: `given_steps(run, N)`
  for steps 1…N, `given_step_9` … `given_step_12` for the close, the reopen, the receipts,
  invoices and payments.
- Its world through the library: `given_world(ledger)`, and `place`, `sign`, `set_policy`.
- The small worlds: China and Huawei (`given_china_and_huawei`), and China's books
  (`given_china_books`: a budget and a rate as well), by the actors the audit tests expect.
- The commands and payloads they are made of (`OPEN_CN`, `CHINA`, `HUAWEI` …), for a test that
  builds a world of its own from them.
- The demo's books by tests/streams.py's literal replay (`demo_books`), and its figures printed
  as the commands print them (`amount`, `plain`, `fraction4`, `percent`), so that a test of the
  demo states which figure it expects, not a number copied from an earlier run.

`run` is the fixture of tests/conftest.py (`ledger --db <db_url> ARGS…` in-process); `ledger` an
open `Ledger`.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

JAN_1 = date(2025, 1, 1)

# -- the payloads ---------------------------------------------------------------------------------

CHINA = {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"}
MALAYSIA = {"region": "MY", "name": "Malaysia", "country": "MY", "currency": "USD"}
HUAWEI = {"supplier": "huawei", "name": "Huawei", "country": "CN"}


# -- the worked example, through the `ledger` command ---------------------------------------------

OPEN_CN = (
    "region", "open", "CN", "--name", "China", "--country", "CN", "--currency", "CNY",
    "--effective", "2025-01-01",
)  # fmt: skip
OPEN_MY = (
    "region", "open", "MY", "--name", "Malaysia", "--country", "MY", "--currency", "USD",
    "--effective", "2025-01-01",
)  # fmt: skip
REGISTER_HUAWEI = (
    "supplier", "register", "huawei", "--name", "Huawei", "--country", "CN",
    "--effective", "2025-01-01",
)  # fmt: skip
REGISTER_NVIDIA = (
    "supplier", "register", "nvidia", "--name", "Nvidia", "--country", "US",
    "--effective", "2025-01-01",
)  # fmt: skip
REGISTER_DCPROV = (
    "supplier", "register", "dcprov", "--name", "DC Provider", "--country", "MY",
    "--effective", "2025-01-01",
)  # fmt: skip
PLACE_PO_1 = (
    "order", "place", "PO-1", "--region", "CN", "--supplier", "huawei", "--sku", "ascend-910b",
    "--quantity", "10", "--unit-price", "30000", "--currency", "CNY", "--effective", "2025-01-10",
)  # fmt: skip
PLACE_PO_2 = (
    "order", "place", "PO-2", "--region", "CN", "--supplier", "nvidia", "--sku", "h20",
    "--quantity", "10", "--unit-price", "10000", "--currency", "USD", "--effective", "2025-02-01",
)  # fmt: skip
SIGN_L_1 = (
    "lease", "sign", "L-1", "--region", "MY", "--lessor", "dcprov", "--sku", "h20",
    "--units", "100", "--start", "2025-11-15", "--months", "3", "--monthly-payment", "50000",
    "--currency", "USD", "--effective", "2025-10-01",
)  # fmt: skip

STEPS = {
    1: [OPEN_CN, OPEN_MY, REGISTER_HUAWEI, REGISTER_NVIDIA, REGISTER_DCPROV],
    2: [
        ("fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01"),
        ("budget", "revise", "CN", "2025", "1000000", "--effective", "2025-01-01"),
    ],
    3: [PLACE_PO_1],
    4: [PLACE_PO_2],
    5: [("order", "amend", "PO-2", "--quantity", "5", "--effective", "2025-03-01")],
    6: [("fx", "set", "USD", "CNY", "7.1", "--effective", "2025-01-20")],
    7: [SIGN_L_1],
    8: [("lease", "terminate", "L-1", "--fee", "10000", "--effective", "2025-12-01")],
}
CLOSE_CN = ("period", "close", "CN", "--through", "2025-03-31", "--effective", "2025-04-05")
# Step 10: what a closed CN still takes, the reopen and the back-dated correction it allows.
STEP_10 = [
    ("fx", "set", "EUR", "USD", "1.1", "--effective", "2025-02-01"),
    ("order", "amend", "PO-1", "--unit-price", "31000", "--effective", "2025-04-01"),
    (
        "period", "reopen", "CN", "--through", "2025-01-31", "--effective", "2025-04-06",
        "--reason", "FX restatement",
    ),
    ("fx", "set", "USD", "CNY", "7.0", "--effective", "2025-02-01"),
]  # fmt: skip
STEP_11 = [
    (
        "policy", "set", "three_way_match", "--region", "CN", "--tolerance", "0.01",
        "--mode", "block", "--effective", "2025-04-01",
    ),
    ("receipt", "record", "R-1", "--order", "PO-1", "--quantity", "6", "--effective", "2025-04-10"),
    ("receipt", "record", "R-2", "--order", "PO-2", "--quantity", "5", "--effective", "2025-04-12"),
    (
        "invoice", "record", "INV-1", "--supplier", "huawei", "--order", "PO-1", "--quantity", "8",
        "--amount", "248000", "--currency", "CNY", "--effective", "2025-04-20",
    ),
    (
        "invoice", "record", "INV-2", "--supplier", "nvidia", "--order", "PO-2", "--quantity", "5",
        "--amount", "51000", "--currency", "USD", "--effective", "2025-04-25",
    ),
]  # fmt: skip
# Step 12: the payment the three-way match holds back, the rest of the goods, the payment again.
REFUSED_P1 = ("payment", "record", "P-1", "--invoice", "INV-1", "--amount", "100000",
              "--effective", "2025-05-02")  # fmt: skip
R3 = ("receipt", "record", "R-3", "--order", "PO-1", "--quantity", "2", "--effective", "2025-05-05")
P1 = ("payment", "record", "P-1", "--invoice", "INV-1", "--amount", "248000",
      "--effective", "2025-05-06")  # fmt: skip
P2 = ("payment", "record", "P-2", "--invoice", "INV-2", "--amount", "51000",
      "--effective", "2025-05-06")  # fmt: skip


def _recorded(run, *args: str) -> int:
    """Run a recording command that must succeed; the seq it printed."""
    result = run(*args)
    assert result.exit_code == 0, (args, result.stderr)
    return int(result.stdout)


def given_steps(run, last: int, first: int = 1) -> int:
    """Record steps first…last through the CLI; returns the seq of the last event."""
    seq = 0
    for step in range(first, last + 1):
        for args in STEPS[step]:
            seq = _recorded(run, *args)
    return seq


def given_step_9(run) -> int:
    """Steps 1–8, then the close of CN through 2025-03-31; returns the close's seq."""
    given_steps(run, 8)
    return _recorded(run, *CLOSE_CN)


def given_step_10(run) -> int:
    """Step 9, then what a closed CN still takes, the reopen through 2025-01-31 and the
    back-dated USD/CNY correction; returns the seq of the close."""
    close = given_step_9(run)
    for args in STEP_10:
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
    return close


def given_step_11(run) -> None:
    """Step 10, then a three-way match in block mode, two receipts and two invoices."""
    given_step_10(run)
    for args in STEP_11:
        _recorded(run, *args)


def given_step_12(run) -> None:
    """Step 11, then the payment refused, the rest of PO-1's goods and the payment of INV-1."""
    given_step_11(run)
    assert run(*REFUSED_P1).exit_code == 1
    _recorded(run, *R3)
    _recorded(run, *P1)


# -- the worked example's world, through the library ----------------------------------------------


def given_world(ledger) -> None:
    """Regions CN (CNY) and MY (USD); huawei (CN), nvidia (US), dcprov (MY); USD→CNY 7.2;
    CN budget 2025 of 1,000,000 — all effective 2025-01-01."""
    for region in (CHINA, MALAYSIA):
        ledger.record("region.opened", {**region}, effective="2025-01-01")
    for supplier, country in (("huawei", "CN"), ("nvidia", "US"), ("dcprov", "MY")):
        ledger.record(
            "supplier.registered",
            {"supplier": supplier, "name": supplier, "country": country},
            effective="2025-01-01",
        )
    ledger.record(
        "fx.rate_set", {"base": "USD", "quote": "CNY", "rate": "7.2"}, effective="2025-01-01"
    )
    ledger.record(
        "budget.revised",
        {"region": "CN", "year": 2025, "amount": "1000000"},
        effective="2025-01-01",
    )


def place(
    ledger, order, supplier, quantity, unit_price, currency, effective, *, region="CN", sku=None
) -> int:
    """An order; its seq."""
    sku = sku or {"huawei": "ascend-910b", "nvidia": "h20"}.get(supplier, "mlu")
    return ledger.record(
        "order.placed",
        {
            "order": order,
            "region": region,
            "supplier": supplier,
            "sku": sku,
            "quantity": quantity,
            "unit_price": unit_price,
            "currency": currency,
        },
        effective=effective,
    ).seq


def sign(
    ledger,
    lease,
    effective,
    *,
    lessor="dcprov",
    sku="h20",
    start="2025-11-15",
    months=3,
    payment="50000",
    units=100,
) -> int:
    """A lease in MY, paid in USD; its seq."""
    return ledger.record(
        "lease.signed",
        {
            "lease": lease,
            "region": "MY",
            "lessor": lessor,
            "sku": sku,
            "units": units,
            "start": start,
            "months": months,
            "monthly_payment": payment,
            "currency": "USD",
        },
        effective=effective,
    ).seq


def set_policy(ledger, policy, region, effective, **settings) -> int:
    """A policy change; its seq."""
    return ledger.record(
        "policy.changed", {"policy": policy, "region": region, **settings}, effective=effective
    ).seq


# -- small worlds ---------------------------------------------------------------------------------


def given_china_and_huawei(ledger, *, actor: str = "setup") -> None:
    """Seq 1: region CN (China, CNY); seq 2: supplier huawei (Huawei, CN); on 2025-01-01."""
    ledger.record("region.opened", {**CHINA}, effective=JAN_1, actor=actor)
    ledger.record("supplier.registered", {**HUAWEI}, effective=JAN_1, actor=actor)


def given_china_books(ledger) -> None:
    """China and Huawei (by `setup`), then CN's 2025 budget of 1,000,000 (by `cfo`) and USD→CNY
    7.2 (by `treasury`): four events, each actor's own, on 2025-01-01."""
    given_china_and_huawei(ledger)
    ledger.record(
        "budget.revised",
        {"region": "CN", "year": 2025, "amount": "1000000"},
        effective=JAN_1,
        actor="cfo",
    )
    ledger.record(
        "fx.rate_set",
        {"base": "USD", "quote": "CNY", "rate": "7.2"},
        effective=JAN_1,
        actor="treasury",
    )


# -- the demo, replayed -------------------------------------------------------------------------


def demo_events() -> list[SimpleNamespace]:
    """The demo's events as its audit export (fixtures/demo.csv) holds them, read plainly: seq,
    type, effective and recorded_at, and the payload as a dict."""
    from ledger.packaged import fixture

    with fixture("demo.csv").open(encoding="utf-8", newline="") as stream:
        return [
            SimpleNamespace(
                seq=int(row["seq"]),
                type=row["type"],
                effective=date.fromisoformat(row["effective"]),
                recorded_at=row["recorded_at"],
                payload=json.loads(row["payload"]),
            )
            for row in csv.DictReader(stream)
        ]


def demo_books(as_of: str, *, known_at: str | None = None, upto_seq: int | None = None):
    """The demo's books as of a day, by tests/streams.py's literal replay of SPEC §4 (not by the
    ledger's own code): everything known, or what was recorded by the end of `known_at` (a
    day) or up to `upto_seq`."""
    from streams import Replay

    events = demo_events()
    if known_at is not None:
        upto_seq = max(
            (e.seq for e in events if e.recorded_at[:10] <= known_at), default=0
        )  # recorded_at is a UTC timestamp; a bare date is the end of that day
    return Replay(events, date.fromisoformat(as_of), upto_seq)


def demo_row(rows: list[dict], **match) -> dict:
    """The one row of a replay's rows with these values."""
    (row,) = [row for row in rows if all(row[key] == value for key, value in match.items())]
    return row


def _half_up(value: Fraction, places: int) -> Decimal:
    scaled = abs(value) * 10**places
    digits = int(scaled) + (1 if scaled - int(scaled) >= Fraction(1, 2) else 0)
    return Decimal(digits if value >= 0 else -digits).scaleb(-places)


def amount(value: Fraction) -> str:
    """An amount as the tables and the report print it: 21,047,360,000.00."""
    return f"{_half_up(value, 2):,.2f}"


def plain(value: Fraction) -> str:
    """An amount as CSV prints it: 21047360000.00."""
    return f"{_half_up(value, 2):.2f}"


def fraction4(value: Fraction) -> str:
    """A share or a utilization as CSV prints it: 0.5045."""
    return f"{_half_up(value, 4):.4f}"


def percent(value: Fraction) -> str:
    """A share or a utilization as the report prints it: 99.84%."""
    return f"{_half_up(value * 100, 2):.2f}%"
