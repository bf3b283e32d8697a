"""Correcting master data (SPEC §3, §4.4 "Master data as of D"): `supplier update` and `region
update` change a name or country from their effective date on, and every reading uses the
values as of its own date and knowledge limit."""

from __future__ import annotations

import csv
import io
from datetime import date

from given import given_steps


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def ok(result) -> int:
    assert result.exit_code == 0, result.stderr
    return int(result.stdout)


def shares(run, as_of: str, *args: str) -> dict[str, tuple[str, str]]:
    found = rows(
        run("query", "shares", "--region", "CN", "--as-of", as_of, "--format", "csv", *args)
    )
    return {row["supplier"]: (row["country"], row["domestic"]) for row in found}


def domestic_share_status(run, as_of: str) -> str:
    (row,) = [
        row
        for row in rows(run("compliance", "--as-of", as_of, "--format", "csv"))
        if row["policy"] == "min_domestic_share"
    ]
    return row["status"]


def test_a_backdated_country_correction_changes_the_domestic_share_from_its_date_only(run, ledger):
    given_steps(run, 4)  # huawei (CN) 300,000 and nvidia (US) 720,000 CNY in CN
    ok(
        run(
            "policy", "set", "min_domestic_share", "--region", "CN", "--threshold", "0.5",
            "--effective", "2025-01-01",
        )
    )  # fmt: skip
    known = int(rows(run("export", "events"))[-1]["seq"])
    corrected = ok(
        run(
            "supplier", "update", "nvidia", "--country", "CN", "--effective", "2025-02-15",
            "--reason", "registered with the wrong country",
        )
    )  # fmt: skip

    assert shares(run, "2025-02-14") == {"nvidia": ("US", "false"), "huawei": ("CN", "true")}
    assert shares(run, "2025-02-15") == {"nvidia": ("CN", "true"), "huawei": ("CN", "true")}
    assert shares(run, "2025-02-15", "--upto-seq", str(known)) == {
        "nvidia": ("US", "false"),
        "huawei": ("CN", "true"),
    }
    assert domestic_share_status(run, "2025-02-14") == "violation"
    assert domestic_share_status(run, "2025-02-15") == "ok"
    listed = {
        r["supplier"]: r["country"] for r in rows(run("supplier", "list", "--as-of", "2025-02-14"))
    }
    assert listed["nvidia"] == "US"
    listed = {
        r["supplier"]: r["country"] for r in rows(run("supplier", "list", "--as-of", "2025-03-01"))
    }
    assert listed["nvidia"] == "CN"

    # diff events explains the restatement: the update touches the regions of its orders.
    explained = rows(
        run(
            "diff", "events", "--as-of", "2025-03-01", "--from-seq", str(known), "--format", "csv",
        )
    )  # fmt: skip
    assert [(r["seq"], r["type"], r["regions"]) for r in explained] == [
        (str(corrected), "supplier.updated", "CN")
    ]

    # The report's series (the shares chart) reads the same master data at each date.
    points = ledger.series(region="CN", year=2025, dates=[date(2025, 2, 14), date(2025, 2, 15)])
    assert [
        {share["supplier"]: share["domestic"] for share in point.shares} for point in points
    ] == [{"huawei": True, "nvidia": False}, {"huawei": True, "nvidia": True}]


def test_a_region_update_changes_its_name_or_country_field_by_field(run):
    given_steps(run, 4)
    ok(run("region", "update", "CN", "--name", "PRC", "--effective", "2025-03-01"))
    ok(run("region", "update", "CN", "--country", "US", "--effective", "2025-04-01"))

    def cn(as_of: str) -> tuple[str, str]:
        (row,) = rows(run("region", "list", "--region", "CN", "--as-of", as_of, "--format", "csv"))
        return row["name"], row["country"]

    assert cn("2025-02-28") == ("China", "CN")
    assert cn("2025-03-01") == ("PRC", "CN")
    assert cn("2025-04-01") == ("PRC", "US")
    # Domestic follows the region's country as of the date.
    assert shares(run, "2025-04-01") == {"nvidia": ("US", "true"), "huawei": ("CN", "false")}
    assert shares(run, "2025-03-31") == {"nvidia": ("US", "false"), "huawei": ("CN", "true")}
    logged = rows(run("log", "--region", "CN", "--type", "region.updated", "--format", "csv"))
    assert len(logged) == 2


def test_updates_are_refused_when_they_change_nothing_or_name_an_unknown_code(run):
    given_steps(run, 1)
    currency = run("region", "update", "MY", "--currency", "EUR", "--name", "M")
    assert currency.exit_code == 2
    assert currency.stderr.strip().splitlines() == [
        "error: --currency: a region's currency never changes (its amounts are booked in it); "
        "open a new region for another currency"
    ]
    assert run("supplier", "update", "nvidia").exit_code == 2
    assert run("region", "update", "MY").exit_code == 2
    unknown = run("supplier", "update", "amd", "--country", "US", "--effective", "2025-02-01")
    assert unknown.exit_code == 1 and "supplier" in unknown.stderr
    early = run("supplier", "update", "nvidia", "--country", "CN", "--effective", "2024-12-31")
    assert early.exit_code == 1 and "registered only from 2025-01-01" in early.stderr
    bad = run("region", "update", "MY", "--country", "ZZ", "--effective", "2025-02-01")
    assert bad.exit_code == 1 and "country" in bad.stderr
    assert len(rows(run("export", "events"))) == 5  # nothing written
