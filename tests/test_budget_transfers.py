"""Budget transfers between regions (SPEC §3.1, §4.4): the entry rules, the budget they leave in
both regions, and every reading of the budget that follows them."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from fractions import Fraction

from given import given_step_10, given_steps

from ledger.money import format_amount


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def ok(result) -> int:
    assert result.exit_code == 0, result.stderr
    return int(result.stdout)


def refused(result, *parts: str) -> str:
    assert result.exit_code == 1, result.stdout
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for part in parts:
        assert part in message, message
    return message


def budgets(run, *args: str) -> dict[str, str]:
    found = rows(run("query", "budget", "--format", "csv", *args))
    return {row["region"]: row["budget"] for row in found}


def open_region(run, code: str, name: str, country: str, currency: str) -> None:
    ok(
        run(
            "region", "open", code, "--name", name, "--country", country, "--currency", currency,
            "--effective", "2025-01-01",
        )
    )  # fmt: skip


def transfer(run, *args: str):
    return run("budget", "transfer", *args)


def given_two_regions(run) -> None:
    """Steps 1–2 of the worked example: CN (CNY, budget 1,000,000), MY (USD), USD/CNY 7.2."""
    given_steps(run, 2)


def test_worked_example_step_14_moves_budget_from_cn_to_my_at_the_rate_in_force(run):
    given_step_10(run)
    ok(run("budget", "revise", "MY", "2025", "200000", "--effective", "2025-06-01"))
    seq = ok(transfer(run, "CN", "MY", "2025", "70000", "--effective", "2025-06-15"))

    assert budgets(run, "--as-of", "2025-06-30") == {"CN": "930000.00", "MY": "210000.00"}
    assert budgets(run, "--as-of", "2025-06-14") == {"CN": "1000000.00", "MY": "200000.00"}
    assert budgets(run, "--as-of", "2025-06-30", "--upto-seq", str(seq - 1)) == {
        "CN": "1000000.00",
        "MY": "200000.00",
    }
    (row,) = rows(run("budget", "transfers", "--format", "csv"))
    assert row == {
        "from_region": "CN",
        "to_region": "MY",
        "year": "2025",
        "amount": "70000.00",
        "currency": "CNY",
        "received": "10000.00",
        "to_currency": "USD",
        "rate": "0.142857",
        "effective": "2025-06-15",
        "seq": str(seq),
        "reason": "",
    }
    # budget list stays the revisions only, with its columns as they were.
    listed = rows(run("budget", "list", "--format", "csv"))
    assert [(r["region"], r["amount"]) for r in listed] == [
        ("CN", "1000000.00"),
        ("MY", "200000.00"),
    ]
    assert list(listed[0]) == ["region", "year", "amount", "currency", "effective", "seq", "reason"]
    # diff budget explains the move on both sides.
    diff = rows(
        run(
            "diff", "budget", "--as-of", "2025-06-30", "--from-seq", str(seq - 1), "--format", "csv"
        )
    )
    assert [(r["region"], r["budget_before"], r["budget_after"]) for r in diff] == [
        ("CN", "1000000.00", "930000.00"),
        ("MY", "200000.00", "210000.00"),
    ]
    # It touches both regions, so `log --region` finds it under either.
    for region in ("CN", "MY"):
        logged = rows(
            run("log", "--region", region, "--type", "budget.transferred", "--format", "csv")
        )
        assert [r["seq"] for r in logged] == [str(seq)]


def test_a_transfer_back_dated_before_a_revision_no_longer_counts_for_the_revised_region(run):
    given_two_regions(run)
    ok(run("budget", "revise", "MY", "2025", "100000", "--effective", "2025-01-01"))
    ok(run("budget", "revise", "MY", "2025", "200000", "--effective", "2025-06-01"))
    ok(transfer(run, "CN", "MY", "2025", "72000", "--effective", "2025-05-01"))

    assert budgets(run, "--as-of", "2025-05-31") == {"CN": "928000.00", "MY": "110000.00"}
    # MY's revision of 1 June comes after the transfer in (effective, seq) order and replaces
    # it; CN's own revision is still before it, so CN keeps the lower budget.
    assert budgets(run, "--as-of", "2025-06-30") == {"CN": "928000.00", "MY": "200000.00"}


def test_a_transfer_and_a_revision_on_the_same_day_go_by_seq(run):
    given_two_regions(run)
    ok(run("budget", "revise", "MY", "2025", "100000", "--effective", "2025-01-01"))
    ok(transfer(run, "CN", "MY", "2025", "72000", "--effective", "2025-06-15"))
    ok(run("budget", "revise", "MY", "2025", "200000", "--effective", "2025-06-15"))
    assert budgets(run, "--as-of", "2025-06-15")["MY"] == "200000.00"  # the revision came later

    ok(transfer(run, "CN", "MY", "2025", "36000", "--effective", "2025-06-15"))
    assert budgets(run, "--as-of", "2025-06-15") == {"CN": "892000.00", "MY": "205000.00"}


def test_a_transfer_between_regions_of_one_currency_needs_no_rate(run):
    open_region(run, "CN", "China", "CN", "CNY")
    open_region(run, "HK", "Hong Kong", "HK", "CNY")
    ok(run("budget", "revise", "CN", "2025", "1000", "--effective", "2025-01-01"))
    ok(run("budget", "revise", "HK", "2025", "0", "--effective", "2025-01-01"))
    ok(transfer(run, "CN", "HK", "2025", "1000", "--effective", "2025-03-01"))

    assert budgets(run, "--as-of", "2025-03-01") == {"CN": "0.00", "HK": "1000.00"}
    (row,) = rows(run("budget", "transfers", "--region", "HK", "--format", "csv"))
    assert (row["received"], row["rate"]) == ("1000.00", "1.000000")


def test_a_transfer_between_currencies_without_a_rate_is_refused(run):
    open_region(run, "CN", "China", "CN", "CNY")
    open_region(run, "DE", "Germany", "DE", "EUR")
    ok(run("budget", "revise", "CN", "2025", "1000", "--effective", "2025-01-01"))
    ok(run("budget", "revise", "DE", "2025", "1000", "--effective", "2025-01-01"))

    refused(
        transfer(run, "CN", "DE", "2025", "10", "--effective", "2025-03-01"),
        "to_region",
        "no CNY/EUR rate is in force on 2025-03-01",
    )


def test_a_transfer_that_would_leave_the_source_below_zero_or_lacks_a_budget_is_refused(run):
    given_two_regions(run)
    refused(
        transfer(run, "CN", "MY", "2025", "10", "--effective", "2025-03-01"),
        "to_region",
        "no budget is recorded for region MY and 2025 as of 2025-03-01",
    )
    ok(run("budget", "revise", "MY", "2025", "0", "--effective", "2025-03-01"))
    refused(
        transfer(run, "MY", "CN", "2025", "10", "--effective", "2025-03-01"),
        "amount",
        "would leave it -10.00 USD",
    )
    refused(
        transfer(run, "CN", "MY", "2025", "10", "--effective", "2025-02-28"),
        "no budget is recorded for region MY",
    )
    refused(transfer(run, "CN", "MY", "2024", "10", "--effective", "2025-03-01"), "CN and 2024")
    assert run("budget", "transfer", "CN", "CN", "2025", "10").exit_code == 1
    ok(transfer(run, "CN", "MY", "2025", "1000000", "--effective", "2025-03-01"))  # all of it
    assert budgets(run, "--as-of", "2025-03-01")["CN"] == "0.00"
    assert rows(run("budget", "transfers", "--format", "csv"))[0]["seq"]  # nothing else written


def test_a_transfer_into_a_closed_region_is_refused_by_closed_books(run):
    given_two_regions(run)
    ok(run("budget", "revise", "MY", "2025", "0", "--effective", "2025-01-01"))
    close = ok(run("period", "close", "MY", "--through", "2025-06-30", "--effective", "2025-07-01"))

    refused(
        transfer(run, "CN", "MY", "2025", "7200", "--effective", "2025-06-15"),
        "region MY",
        "2025-06-30",
        f"seq {close}",
        "ledger period reopen MY",
    )
    ok(transfer(run, "CN", "MY", "2025", "7200", "--effective", "2025-07-01"))
    assert budgets(run, "--as-of", "2025-07-01") == {"CN": "992800.00", "MY": "1000.00"}


def test_upto_seq_before_a_rate_correction_shows_the_old_rate(run):
    given_two_regions(run)
    ok(run("budget", "revise", "MY", "2025", "0", "--effective", "2025-01-01"))
    moved = ok(transfer(run, "CN", "MY", "2025", "72000", "--effective", "2025-06-15"))
    ok(run("fx", "set", "USD", "CNY", "7.0", "--effective", "2025-06-01", "--reason", "fix"))

    # 72,000 / 7.0 = 10,285.714…: a back-dated rate changes what MY gained.
    assert budgets(run, "--as-of", "2025-06-30")["MY"] == "10285.71"
    assert budgets(run, "--as-of", "2025-06-30", "--upto-seq", str(moved))["MY"] == "10000.00"
    (now,) = rows(run("budget", "transfers", "--format", "csv"))
    (then,) = rows(run("budget", "transfers", "--format", "csv", "--upto-seq", str(moved)))
    assert (now["received"], now["rate"]) == ("10285.71", "0.142857")
    assert (then["received"], then["rate"]) == ("10000.00", "0.138889")


def test_an_amount_at_the_limit_of_the_decimal_range(run):
    largest = "99999999999999999999.999999999999"
    given_two_regions(run)
    ok(run("budget", "revise", "CN", "2025", largest, "--effective", "2025-02-01"))
    ok(run("budget", "revise", "MY", "2025", "0", "--effective", "2025-02-01"))
    ok(transfer(run, "CN", "MY", "2025", largest, "--effective", "2025-03-01"))

    expected = format_amount(Fraction(Decimal(largest)) / Fraction(Decimal("7.2")))
    assert budgets(run, "--as-of", "2025-03-01") == {"CN": "0.00", "MY": expected}
    # Stored with every digit (a 28-digit context would have rounded it to 1E+20).
    stored = rows(run("export", "events"))[-1]["payload"]
    assert f'"amount":"{largest}"' in stored
    result = transfer(run, "MY", "CN", "2025", "1" + largest, "--effective", "2025-03-02")
    assert result.exit_code == 2 and "AMOUNT" in result.stderr and "20 digits" in result.stderr


def test_block_mode_budget_cap_reads_the_transfers_but_never_refuses_one(run):
    given_two_regions(run)
    ok(run("budget", "revise", "MY", "2025", "100", "--effective", "2025-01-01"))
    ok(
        run(
            "policy", "set", "budget_cap", "--region", "CN", "--mode", "block",
            "--effective", "2025-01-01",
        )
    )  # fmt: skip
    ok(
        run(
            "policy", "set", "budget_cap", "--region", "MY", "--mode", "block",
            "--effective", "2025-01-01",
        )
    )  # fmt: skip
    order = (
        "order", "place", "PO-9", "--region", "MY", "--supplier", "nvidia", "--sku", "h20",
        "--quantity", "1", "--unit-price", "1000", "--currency", "USD", "--effective", "2025-04-01",
    )  # fmt: skip
    refused(run(*order), "budget_cap", "budget 100.00 USD")
    ok(transfer(run, "CN", "MY", "2025", "7200", "--effective", "2025-03-01"))
    ok(run(*order))  # MY's budget is now 1,100 USD

    # A transfer is the budget owner's decision: it may leave the source over budget.
    big = (
        "order", "place", "PO-8", "--region", "CN", "--supplier", "huawei", "--sku", "a",
        "--quantity", "1", "--unit-price", "990000", "--currency", "CNY", "--effective", "2025-04-01",
    )  # fmt: skip
    ok(run(*big))
    ok(transfer(run, "CN", "MY", "2025", "7200", "--effective", "2025-04-02"))
    checks = rows(run("compliance", "--as-of", "2025-04-30", "--format", "csv"))
    caps = {row["region"]: row["status"] for row in checks if row["policy"] == "budget_cap"}
    assert caps == {"CN": "violation", "MY": "ok"}


def test_the_burn_down_steps_on_the_transfer_day(run, ledger):
    given_two_regions(run)
    ok(run("budget", "revise", "MY", "2025", "1000", "--effective", "2025-01-01"))
    ok(transfer(run, "CN", "MY", "2025", "7200", "--effective", "2025-06-15"))

    days = [date(2025, 6, 14), date(2025, 6, 15), date(2025, 12, 31)]
    for region, expected in (("MY", [1000, 2000, 2000]), ("CN", [1000000, 992800, 992800])):
        points = ledger.series(region=region, year=2025, dates=days)
        assert [point.budget[0]["budget"] for point in points] == expected
        for point in points:  # each point is the point query at its date
            (row,) = ledger.query_budget(as_of=point.as_of, region=region, year=2025)
            assert row["budget"] == point.budget[0]["budget"]
