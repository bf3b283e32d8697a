"""The group's view (`query group`): every region in one reporting currency at the rate in force on
the rate date, exact, with the total; a missing rate is an error, never a region left out."""

from __future__ import annotations

import csv
import io

import pytest
from given import given_steps

COLUMNS = "region,year,currency,rate,budget,committed,remaining,invoiced,paid,via"


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == COLUMNS
    return list(csv.DictReader(io.StringIO(result.stdout)))


def group(run, *args: str):
    return run("query", "group", "--format", "csv", *args)


def ok(result) -> int:
    assert result.exit_code == 0, result.stderr
    return int(result.stdout)


def given_worked_example_to_step_4(run) -> None:
    """CN (CNY, budget 1,000,000; PO-1 300,000 CNY, PO-2 100,000 USD at 7.2) and MY (USD)."""
    given_steps(run, 4)


def test_each_region_converted_at_the_rate_on_the_as_of_date_and_the_exact_total(run):
    given_worked_example_to_step_4(run)
    ok(run("budget", "revise", "MY", "2025", "210000", "--effective", "2025-01-01"))

    found = rows(group(run, "--currency", "USD", "--as-of", "2025-02-15"))

    # 1 CNY = 1/7.2 USD: budget 1,000,000 / 7.2 = 138,888.888…; committed 1,020,000 / 7.2.
    assert found == [
        {
            "region": "CN", "year": "2025", "currency": "USD", "rate": "0.138889",
            "budget": "138888.89", "committed": "141666.67", "remaining": "-2777.78",
            "invoiced": "0.00", "paid": "0.00", "via": "",
        },
        {
            "region": "MY", "year": "2025", "currency": "USD", "rate": "1.000000",
            "budget": "210000.00", "committed": "0.00", "remaining": "210000.00",
            "invoiced": "0.00", "paid": "0.00", "via": "",
        },
        {
            "region": "*", "year": "2025", "currency": "USD", "rate": "",
            "budget": "348888.89", "committed": "141666.67", "remaining": "207222.22",
            "invoiced": "0.00", "paid": "0.00", "via": "",
        },
    ]  # fmt: skip


def test_the_total_adds_exact_amounts_and_rounds_once(run):
    """Three thirds: each region's third rounds to 0.33, the exact total to 1.00."""
    for code in ("A", "B", "C"):
        ok(
            run(
                "region", "open", code, "--name", code, "--country", "CN", "--currency", "CNY",
                "--effective", "2025-01-01",
            )
        )  # fmt: skip
        ok(run("budget", "revise", code, "2025", "1", "--effective", "2025-01-01"))
    ok(run("fx", "set", "USD", "CNY", "3", "--effective", "2025-01-01"))

    found = rows(group(run, "--currency", "USD", "--as-of", "2025-06-30"))

    assert [row["budget"] for row in found] == ["0.33", "0.33", "0.33", "1.00"]


def test_with_a_region_there_is_that_region_and_no_total_row(run):
    given_worked_example_to_step_4(run)

    found = rows(group(run, "--currency", "USD", "--as-of", "2025-02-15", "--region", "CN"))

    assert [row["region"] for row in found] == ["CN"]


def test_a_region_without_a_rate_to_the_currency_is_an_error_naming_the_pair_and_day(run):
    given_worked_example_to_step_4(run)

    result = group(run, "--currency", "EUR", "--as-of", "2025-02-15")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "no CNY/EUR rate is in force on 2025-02-15" in result.stderr


def test_a_rate_date_before_every_rate_is_an_error(run):
    given_worked_example_to_step_4(run)

    result = group(run, "--currency", "USD", "--as-of", "2025-02-15", "--rate-date", "2024-12-31")

    assert result.exit_code == 1
    assert "no CNY/USD rate is in force on 2024-12-31" in result.stderr


def test_the_rate_date_picks_the_rate_and_upto_seq_shows_the_total_before_a_correction(run):
    given_worked_example_to_step_4(run)
    before = ok(run("fx", "set", "USD", "CNY", "8", "--effective", "2025-03-01"))

    def cn(*args):
        return rows(group(run, "--currency", "USD", "--as-of", "2025-03-31", *args))[0]

    assert cn()["rate"] == "0.125000"
    assert cn("--rate-date", "2025-02-15")["rate"] == "0.138889"
    # A back-dated correction of January's rate: the group total as the books stood before it.
    ok(run("fx", "set", "USD", "CNY", "7.5", "--effective", "2025-01-01"))
    assert cn("--rate-date", "2025-02-15")["rate"] == "0.133333"
    assert cn("--rate-date", "2025-02-15", "--upto-seq", str(before))["rate"] == "0.138889"


def test_via_a_third_currency_multiplies_the_two_rates_and_says_so(run):
    given_worked_example_to_step_4(run)
    ok(
        run(
            "region", "open", "EU", "--name", "Europe", "--country", "DE", "--currency", "EUR",
            "--effective", "2025-01-01",
        )
    )  # fmt: skip
    ok(run("budget", "revise", "EU", "2025", "100", "--effective", "2025-01-01"))
    ok(run("fx", "set", "EUR", "USD", "1.25", "--effective", "2025-01-01"))

    direct = group(run, "--currency", "CNY", "--as-of", "2025-02-15")
    assert direct.exit_code == 1 and "no EUR/CNY rate" in direct.stderr

    found = {
        row["region"]: row
        for row in rows(group(run, "--currency", "CNY", "--via", "USD", "--as-of", "2025-02-15"))
    }
    # 100 EUR × 1.25 USD/EUR × 7.2 CNY/USD = 900 CNY, exactly.
    assert found["EU"]["rate"] == "9.000000" and found["EU"]["budget"] == "900.00"
    assert found["EU"]["via"] == "USD"
    assert found["CN"]["via"] == ""  # CNY is the reporting currency itself
    assert found["*"]["budget"] == "1000900.00"


@pytest.mark.parametrize("currency", ["ZZZ", "usd"])
def test_a_currency_that_is_not_iso_4217_is_one_line(run, currency):
    given_worked_example_to_step_4(run)

    result = group(run, "--currency", currency)

    assert result.exit_code == 1
    assert result.stderr.startswith("error: currency: ") and result.stderr.count("\n") == 1


def test_the_library_call_gives_exact_amounts(run, ledger):
    from datetime import date
    from fractions import Fraction

    given_worked_example_to_step_4(run)
    cn = ledger.query_group(currency="USD", as_of=date(2025, 2, 15))[0]
    assert cn["budget"] == Fraction(1_000_000) / Fraction("7.2")
