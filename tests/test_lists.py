"""Master-data lists (SPEC §5): region, supplier, fx and budget list, through the command line,
as of a date and a knowledge limit; and ISO 4217 / ISO 3166 codes refused at entry."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest


def recorded(result) -> int:
    """The seq a recording command printed."""
    assert result.exit_code == 0, result.stderr
    return int(re.search(r"\d+", result.stdout).group())


def csv_of(run, *args: str) -> str:
    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return result.stdout.replace("\r\n", "\n")


@pytest.fixture
def books(run):
    """Three regions (DE opened mid-year), suppliers, rates (one back-dated) and budget
    revisions (one back-dated); returns the seqs by name."""
    seq = {}
    seq["MY"] = recorded(
        run(
            "region",
            "open",
            "MY",
            "--name",
            "Malaysia",
            "--country",
            "MY",
            "--currency",
            "USD",
            "--effective",
            "2025-01-01",
        )
    )
    seq["CN"] = recorded(
        run(
            "region",
            "open",
            "CN",
            "--name",
            "China",
            "--country",
            "CN",
            "--currency",
            "CNY",
            "--effective",
            "2025-01-01",
        )
    )
    seq["DE"] = recorded(
        run(
            "region",
            "open",
            "DE",
            "--name",
            "Germany, EU",
            "--country",
            "DE",
            "--currency",
            "EUR",
            "--effective",
            "2025-06-01",
        )
    )
    seq["nvidia"] = recorded(
        run(
            "supplier",
            "register",
            "nvidia",
            "--name",
            "Nvidia",
            "--country",
            "US",
            "--effective",
            "2025-01-01",
        )
    )
    seq["huawei"] = recorded(
        run(
            "supplier",
            "register",
            "huawei",
            "--name",
            "Huawei",
            "--country",
            "CN",
            "--effective",
            "2025-01-01",
        )
    )
    seq["acme"] = recorded(
        run(
            "supplier",
            "register",
            "acme",
            "--name",
            "=HYPERLINK(1)",
            "--country",
            "DE",
            "--effective",
            "2025-07-01",
        )
    )
    seq["fx1"] = recorded(run("fx", "set", "USD", "CNY", "7.20", "--effective", "2025-01-01"))
    seq["fx2"] = recorded(run("fx", "set", "CNY", "USD", "0.1389", "--effective", "2025-02-01"))
    seq["fx3"] = recorded(
        run("fx", "set", "EUR", "USD", "0.000000125", "--effective", "2025-03-01")
    )
    seq["fx4"] = recorded(
        run(
            "fx",
            "set",
            "USD",
            "CNY",
            "7.1",
            "--effective",
            "2025-01-20",
            "--reason",
            "rate correction",
        )
    )
    seq["b1"] = recorded(
        run(
            "budget",
            "revise",
            "CN",
            "2025",
            "1000000",
            "--effective",
            "2025-01-01",
            "--reason",
            "initial",
        )
    )
    seq["b2"] = recorded(
        run("budget", "revise", "MY", "2025", "500000.555", "--effective", "2025-01-01")
    )
    seq["b3"] = recorded(
        run(
            "budget",
            "revise",
            "CN",
            "2026",
            "2000000",
            "--effective",
            "2025-12-01",
            "--reason",
            "next year",
        )
    )
    seq["b4"] = recorded(
        run(
            "budget",
            "revise",
            "CN",
            "2025",
            "1200000",
            "--effective",
            "2025-02-15",
            "--reason",
            "-top up, board",
        )
    )
    seq["b5"] = recorded(
        run(
            "budget",
            "revise",
            "CN",
            "2025",
            "900000",
            "--effective",
            "2025-01-15",
            "--reason",
            "back-dated cut",
        )
    )
    return seq


def test_region_list_by_code_with_opening_date_and_as_of(run, books):
    assert csv_of(run, "region", "list", "--as-of", "2025-12-31") == (
        "region,name,country,currency,opened\n"
        "CN,China,CN,CNY,2025-01-01\n"
        'DE,"Germany, EU",DE,EUR,2025-06-01\n'
        "MY,Malaysia,MY,USD,2025-01-01\n"
    )
    # DE is opened on 2025-06-01: not yet on 2025-05-31.
    assert csv_of(run, "region", "list", "--as-of", "2025-05-31") == (
        "region,name,country,currency,opened\n"
        "CN,China,CN,CNY,2025-01-01\n"
        "MY,Malaysia,MY,USD,2025-01-01\n"
    )
    # As the ledger stood when only MY had been recorded.
    assert csv_of(run, "region", "list", "--as-of", "2025-12-31", "--upto-seq", books["MY"]) == (
        "region,name,country,currency,opened\nMY,Malaysia,MY,USD,2025-01-01\n"
    )
    assert csv_of(run, "region", "list", "--as-of", "2025-12-31", "--region", "CN") == (
        "region,name,country,currency,opened\nCN,China,CN,CNY,2025-01-01\n"
    )


def test_supplier_list_guards_names_and_respects_known_at(run, ledger, books):
    assert csv_of(run, "supplier", "list", "--as-of", "2025-12-31") == (
        "supplier,name,country,registered\n"
        "acme,'=HYPERLINK(1),DE,2025-07-01\n"
        "huawei,Huawei,CN,2025-01-01\n"
        "nvidia,Nvidia,US,2025-01-01\n"
    )
    assert csv_of(run, "supplier", "list", "--as-of", "2025-06-30") == (
        "supplier,name,country,registered\n"
        "huawei,Huawei,CN,2025-01-01\n"
        "nvidia,Nvidia,US,2025-01-01\n"
    )
    # --known-at the moment nvidia was recorded: huawei (recorded after it) is not yet known.
    recorded_at = {event.seq: event.recorded_at for event in ledger.events()}[books["nvidia"]]
    assert csv_of(run, "supplier", "list", "--as-of", "2025-12-31", "--known-at", recorded_at) == (
        "supplier,name,country,registered\nnvidia,Nvidia,US,2025-01-01\n"
    )
    # The JSON form has the same keys; supplier list has no --region.
    result = run("supplier", "list", "--as-of", "2025-06-30", "--format", "json")
    assert json.loads(result.stdout) == [
        {"supplier": "huawei", "name": "Huawei", "country": "CN", "registered": "2025-01-01"},
        {"supplier": "nvidia", "name": "Nvidia", "country": "US", "registered": "2025-01-01"},
    ]
    assert run("supplier", "list", "--region", "CN").exit_code == 2


def test_fx_list_in_effective_order_rates_as_recorded(run, books):
    s = books
    assert csv_of(run, "fx", "list", "--as-of", "2025-12-31") == (
        "base,quote,rate,effective,seq\n"
        f"USD,CNY,7.2,2025-01-01,{s['fx1']}\n"
        f"USD,CNY,7.1,2025-01-20,{s['fx4']}\n"
        f"CNY,USD,0.1389,2025-02-01,{s['fx2']}\n"
        f"EUR,USD,0.000000125,2025-03-01,{s['fx3']}\n"
    )
    # --base/--quote match the direction the rate was set in.
    assert csv_of(run, "fx", "list", "--as-of", "2025-12-31", "--base", "USD") == (
        "base,quote,rate,effective,seq\n"
        f"USD,CNY,7.2,2025-01-01,{s['fx1']}\n"
        f"USD,CNY,7.1,2025-01-20,{s['fx4']}\n"
    )
    assert csv_of(run, "fx", "list", "--as-of", "2025-12-31", "--quote", "USD") == (
        "base,quote,rate,effective,seq\n"
        f"CNY,USD,0.1389,2025-02-01,{s['fx2']}\n"
        f"EUR,USD,0.000000125,2025-03-01,{s['fx3']}\n"
    )
    assert csv_of(
        run, "fx", "list", "--base", "CNY", "--quote", "USD", "--as-of", "2025-01-31"
    ) == ("base,quote,rate,effective,seq\n")
    # Before the back-dated correction was recorded, and as of a date before it took effect.
    assert csv_of(run, "fx", "list", "--as-of", "2025-12-31", "--upto-seq", s["fx3"]) == (
        "base,quote,rate,effective,seq\n"
        f"USD,CNY,7.2,2025-01-01,{s['fx1']}\n"
        f"CNY,USD,0.1389,2025-02-01,{s['fx2']}\n"
        f"EUR,USD,0.000000125,2025-03-01,{s['fx3']}\n"
    )
    assert csv_of(run, "fx", "list", "--as-of", "2025-01-19") == (
        f"base,quote,rate,effective,seq\nUSD,CNY,7.2,2025-01-01,{s['fx1']}\n"
    )
    # A mistyped currency is a usage error, not an empty list.
    result = run("fx", "list", "--base", "usd")
    assert result.exit_code == 2
    assert "'usd' is not an ISO 4217 currency code" in result.stderr
    # JSON: the rate is the exact decimal string, never rounded to two places.
    rows = json.loads(run("fx", "list", "--as-of", "2025-12-31", "--format", "json").stdout)
    assert [row["rate"] for row in rows] == ["7.2", "7.1", "0.1389", "0.000000125"]


def test_budget_list_every_revision_in_effective_order(run, books):
    s = books
    header = "region,year,amount,currency,effective,seq,reason\n"
    assert csv_of(run, "budget", "list", "--as-of", "2025-12-31") == (
        header
        + f"CN,2025,1000000.00,CNY,2025-01-01,{s['b1']},initial\n"
        + f"MY,2025,500000.56,USD,2025-01-01,{s['b2']},\n"
        + f"CN,2025,900000.00,CNY,2025-01-15,{s['b5']},back-dated cut\n"
        + f'CN,2025,1200000.00,CNY,2025-02-15,{s["b4"]},"\'-top up, board"\n'
        + f"CN,2026,2000000.00,CNY,2025-12-01,{s['b3']},next year\n"
    )
    assert csv_of(run, "budget", "list", "--as-of", "2025-12-31", "--year", "2026") == (
        header + f"CN,2026,2000000.00,CNY,2025-12-01,{s['b3']},next year\n"
    )
    assert csv_of(
        run,
        "budget",
        "list",
        "--as-of",
        "2025-06-30",
        "--year",
        "2025",
        "--region",
        "CN",
        "--upto-seq",
        s["b4"],
    ) == (
        header
        + f"CN,2025,1000000.00,CNY,2025-01-01,{s['b1']},initial\n"
        + f'CN,2025,1200000.00,CNY,2025-02-15,{s["b4"]},"\'-top up, board"\n'
    )
    assert csv_of(run, "budget", "list", "--as-of", "2025-01-14") == (
        header
        + f"CN,2025,1000000.00,CNY,2025-01-01,{s['b1']},initial\n"
        + f"MY,2025,500000.56,USD,2025-01-01,{s['b2']},\n"
    )
    rows = json.loads(run("budget", "list", "--as-of", "2025-01-14", "--format", "json").stdout)
    assert rows[1] == {
        "region": "MY",
        "year": 2025,
        "amount": "500000.56",
        "currency": "USD",
        "effective": "2025-01-01",
        "seq": s["b2"],
        "reason": None,
    }


def test_lists_on_the_library_facade(ledger, books):
    from datetime import date
    from decimal import Decimal

    knowledge = ledger.knowledge(upto_seq=books["fx2"])
    rates = ledger.fx_rates(as_of=date(2025, 12, 31), knowledge=knowledge)
    assert [(r["base"], r["quote"], r["rate"]) for r in rates] == [
        ("USD", "CNY", Decimal("7.2")),
        ("CNY", "USD", Decimal("0.1389")),
    ]
    assert [r["region"] for r in ledger.regions(as_of=date(2025, 12, 31))] == ["CN", "DE", "MY"]
    assert [r["supplier"] for r in ledger.suppliers(as_of=date(2025, 1, 1))] == ["huawei", "nvidia"]
    assert [r["amount"] for r in ledger.budgets(as_of=date(2025, 12, 31), year=2026)] == [
        Decimal(2000000)
    ]


def test_excel_and_output_file(run, books, tmp_path):
    target = tmp_path / "regions.csv"
    result = run("region", "list", "--as-of", "2025-12-31", "--excel", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeffregion,name,country,currency,opened")
    assert len(list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))) == 3


# -- ISO codes at entry ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("region", "open", "XX", "--name", "X", "--country", "ZZ", "--currency", "CNY"),
            "error: country: 'ZZ' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            ("region", "open", "XX", "--name", "X", "--country", "CN", "--currency", "CYN"),
            "error: currency: 'CYN' is not an ISO 4217 currency code",
        ),
        (
            ("supplier", "register", "zz", "--name", "Z", "--country", "ZZ"),
            "error: country: 'ZZ' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            ("fx", "set", "USD", "CYN", "7.2"),
            "error: quote: 'CYN' is not an ISO 4217 currency code",
        ),
        (
            ("budget", "revise", "CN", "2025", "10", "--currency", "CYN"),
            "error: currency: 'CYN' is not an ISO 4217 currency code",
        ),
        (
            (
                "order",
                "place",
                "PO-1",
                "--region",
                "CN",
                "--supplier",
                "huawei",
                "--sku",
                "k",
                "--quantity",
                "1",
                "--unit-price",
                "1",
                "--currency",
                "CYN",
            ),
            "error: currency: 'CYN' is not an ISO 4217 currency code",
        ),
    ],
)
def test_unknown_iso_codes_refused_at_entry(run, books, args, message):
    before = csv_of(run, "region", "list")
    result = run(*args, "--effective", "2025-03-01")
    assert result.exit_code == 1
    assert result.stderr.strip() == message
    assert "Traceback" not in result.stderr
    assert csv_of(run, "region", "list") == before


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_unknown_iso_codes_refused_in_imports(run, ledger, tmp_path, suffix):
    lines = [
        {
            "type": "region.opened",
            "effective": "2025-01-01",
            "region": "CN",
            "name": "China",
            "country": "CN",
            "currency": "CNY",
        },
        {
            "type": "region.opened",
            "effective": "2025-01-01",
            "region": "XX",
            "name": "Nowhere",
            "country": "ZZ",
            "currency": "CNY",
        },
        {
            "type": "fx.rate_set",
            "effective": "2025-01-01",
            "base": "CYN",
            "quote": "USD",
            "rate": "1",
        },
    ]
    path = tmp_path / f"events.{suffix}"
    if suffix == "jsonl":
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        numbers = (2, 3)
    else:
        columns = [
            "type",
            "effective",
            "region",
            "name",
            "country",
            "currency",
            "base",
            "quote",
            "rate",
        ]
        with path.open("w", newline="") as stream:
            writer = csv.DictWriter(stream, columns)
            writer.writeheader()
            writer.writerows(lines)
        numbers = (3, 4)  # the header is line 1
    result = run("import", str(path))
    assert result.exit_code == 1
    problems = result.stderr.splitlines()
    assert (
        f"error: line {numbers[0]}: country: 'ZZ' is not an ISO 3166-1 alpha-2 country code"
        in problems
    )
    assert f"error: line {numbers[1]}: base: 'CYN' is not an ISO 4217 currency code" in problems
    assert "Traceback" not in result.stderr
    assert list(ledger.events()) == []
