"""`ledger report`: the spend part of each region (its chart's points and its table) and the group
part of `--currency`, each held to the query that gives the same figures."""

from __future__ import annotations

import csv
import io
import re
import shlex
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

SPEND = ("committed", "received", "invoiced", "paid", "open", "payable")
GROUP = ("budget", "committed", "remaining", "invoiced", "paid")


def _report(run, path: Path, *args: str) -> str:
    result = run("report", *args, "-o", path)
    assert result.exit_code == 0, result.stderr
    return path.read_text(encoding="utf-8")


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def _csv(run, *args: str) -> list[dict[str, str]]:
    result = run("query", *args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _cells(table: str) -> list[list[str]]:
    """The body rows of a table of the page, each cell as text with its thousands commas gone."""
    body = table[table.index("<tbody>") :]
    return [
        [cell.replace(",", "") for cell in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    ]


@pytest.mark.parametrize("as_of", ["2025-06-30", "2025-12-31"])
def test_each_regions_spend_table_is_query_spend_at_the_as_of_date(run, demo, tmp_path, as_of):
    page = _report(run, tmp_path / "report.html", "--as-of", as_of)

    expected = _csv(run, "spend", "--as-of", as_of)
    assert [row["region"] for row in expected] == ["CN", "EU", "MY"]
    for row in expected:
        region = _section(page, f'id="region-{row["region"]}"', "</section>")
        assert f"<h3>Spend {as_of[:4]}</h3>" in region
        assert f'<figure class="chart spend" data-region="{row["region"]}">' in region
        table = _section(region, '<table class="spend"', "</table>")
        assert _cells(table) == [[row["year"], row["currency"], *(row[n] for n in SPEND)]]
    # The demo follows the money: by mid-year some of it is received, invoiced and paid.
    assert any(float(row["paid"]) > 0 for row in expected)


def test_the_spend_charts_points_are_query_spend_on_every_day(db_url, run, demo):
    """Each layer is a step function: on every day from the start of the year to the as-of
    date, query spend gives the value of the chart's last point on or before that day."""
    from ledger.app import Ledger
    from ledger.report import build_report

    ledger = Ledger(create_engine(db_url))
    as_of = date(2025, 4, 30)

    built = build_report(ledger, as_of=as_of)

    for region in built.regions:
        assert region.spend_dates[0] == date(2025, 1, 1) and region.spend_dates[-1] == as_of
        assert region.spend_dates == sorted(set(region.spend_dates))
    assert any(r.spend_row["received"] > 0 for r in built.regions)
    day, index = date(2025, 1, 1), dict.fromkeys((r.code for r in built.regions), 0)
    while day <= as_of:
        for row in ledger.query_spend(as_of=day, year=2025):
            region = next(r for r in built.regions if r.code == row["region"])
            while (
                index[region.code] + 1 < len(region.spend_dates)
                and region.spend_dates[index[region.code] + 1] <= day
            ):
                index[region.code] += 1
            point = region.spend[index[region.code]]
            for layer in ("committed", "received", "invoiced", "paid"):
                assert point[layer] == row[layer], (region.code, day, layer)
        day += timedelta(days=1)


@pytest.mark.parametrize("rate_date", [None, "2025-06-30"])
def test_the_group_part_is_query_group(run, demo, tmp_path, rate_date):
    extra = ["--rate-date", rate_date] if rate_date else []

    page = _report(
        run, tmp_path / "report.html", "--as-of", "2025-12-31", "--currency", "USD", *extra
    )

    expected = _csv(run, "group", "--currency", "USD", "--as-of", "2025-12-31", *extra)
    group = _section(page, '<section id="group">', "</section>")
    assert page.index('id="group"') < page.index('id="region-CN"')  # at the top
    assert '<figure class="chart group">' in group and "<svg" in group
    assert f"in force on {rate_date or '2025-12-31'}" in group
    table = _section(group, '<table class="group"', "</table>")
    assert _cells(table) == [
        [
            "total" if row["region"] == "*" else row["region"],
            row["year"],
            row["currency"],
            row["rate"],
            *(row[name] for name in GROUP),
        ]
        for row in expected
    ]
    assert [row["region"] for row in expected] == ["CN", "EU", "MY", "*"]
    assert expected[0]["rate"] != expected[2]["rate"]  # CNY and USD really converted


def test_the_group_part_of_one_region_has_no_total(run, demo, tmp_path):
    page = _report(
        run, tmp_path / "r.html", "--as-of", "2025-12-31", "--currency", "USD", "--region", "EU"
    )

    expected = _csv(run, "group", "--currency", "USD", "--as-of", "2025-12-31", "--region", "EU")
    table = _section(page, '<table class="group"', "</table>")
    assert [cells[0] for cells in _cells(table)] == ["EU"] == [r["region"] for r in expected]


def test_a_missing_rate_is_the_query_groups_error_and_writes_nothing(run, demo, tmp_path):
    path = tmp_path / "report.html"

    made = run("report", "--as-of", "2025-12-31", "--currency", "JPY", "-o", path)
    queried = run("query", "group", "--as-of", "2025-12-31", "--currency", "JPY")

    assert made.exit_code == 1 and queried.exit_code == 1
    assert made.stderr == queried.stderr
    assert len(made.stderr.strip().splitlines()) == 1 and "JPY" in made.stderr
    assert not path.exists()


def test_rate_date_without_currency_is_a_usage_error(run, demo, tmp_path):
    result = run("report", "--rate-date", "2025-06-30", "-o", tmp_path / "r.html")

    assert result.exit_code == 2 and "--currency" in result.stderr


def test_the_provenance_command_keeps_the_currency_and_draws_the_same_file(run, demo, tmp_path):
    first = _report(
        run,
        tmp_path / "first.html",
        "--as-of",
        "2025-12-31",
        "--currency",
        "USD",
        "--rate-date",
        "2025-06-30",
    )
    command = re.search(r'<code class="command">(.*?)</code>', first).group(1)
    assert "--currency USD --rate-date 2025-06-30 -o" in command
    plain = _report(run, tmp_path / "plain.html", "--as-of", "2025-12-31")
    assert "--currency" not in re.search(r'<code class="command">(.*?)</code>', plain).group(1)

    pinned = shlex.split(command.split(" report ")[1].split(" -o ")[0])
    again = _report(run, tmp_path / "first.html", *pinned)

    strip = re.compile(r"<dt>knowledge limit</dt><dd>.*?</dd>")  # pinned by seq now
    assert strip.sub("", again) == strip.sub("", first)
