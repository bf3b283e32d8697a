"""The report as a CFO reads it (issue 14 §7): an overrun is shaded and its peak labelled, with
figures that agree with `ledger query budget` day by day; utilization is a percentage; each share
chart says how much of the region's committed is leases; foreign suppliers are hatched, not red."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from given import demo_books, demo_row
from given import percent as as_percent

from ledger.money import round_half_up

OVERRUN_COLOUR = "#d55e00"
OLD_ALARM_REDS = ("#b2182b", "#d6604d")


def _report(run, path: Path, *args: str) -> str:
    result = run("report", *args, "-o", path)
    assert result.exit_code == 0, result.stderr
    return path.read_text(encoding="utf-8")


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def _overruns(
    ledger, region: str, as_of: date, knowledge
) -> tuple[list[tuple[date, date]], Fraction, date]:
    """Committed above budget, asked of the facade for every day of the year: the spans (first
    and last day) and the peak with its first day."""
    spans, peak, peak_day = [], Fraction(0), None
    day = date(as_of.year, 1, 1)
    while day <= as_of:
        (row,) = ledger.query_budget(as_of=day, region=region, knowledge=knowledge)
        excess = Fraction(row["committed"]) - Fraction(row["budget"])
        if excess > 0:
            if spans and spans[-1][1] == day - timedelta(days=1):
                spans[-1] = (spans[-1][0], day)
            else:
                spans.append((day, day))
            if excess > peak:
                peak, peak_day = excess, day
        day += timedelta(days=1)
    return spans, peak, peak_day


def _expected_overrun(ledger, region: str, as_of: date, knowledge, currency: str) -> str:
    spans, peak, peak_day = _overruns(ledger, region, as_of, knowledge)
    assert spans, "the scenario should have an overrun"
    periods = "; ".join(
        a.isoformat() if a == b else f"{a.isoformat()} to {b.isoformat()}" for a, b in spans
    )
    return (
        f"Over budget {periods}; peak overrun {f'{round_half_up(peak):,}'} {currency} "
        f"on {peak_day.isoformat()}."
    )


def test_demo_overrun_is_shaded_and_its_peak_labelled(run, demo, ledger, tmp_path):
    as_of = date(2025, 12, 31)

    page = _report(run, tmp_path / "report.html", "--as-of", as_of.isoformat())

    china = _section(page, 'id="region-CN"', "</section>")
    overseas = _section(page, 'id="region-MY"', "</section>")
    burndown = _section(china, 'class="chart burndown"', "</figure>")
    expected = _expected_overrun(ledger, "CN", as_of, ledger.knowledge(), "CNY")
    # The demo: CN's committed went above its 40 bn budget with the order of 2025-10-09, until
    # the top-up of 2025-10-20; 2025-10-15 lies inside.
    assert expected == (
        "Over budget 2025-10-09 to 2025-10-19; peak overrun 352,110,000.00 CNY on 2025-10-09."
    )
    assert expected in burndown  # the caption under the chart
    assert (
        "peak overrun 352,110,000.00 CNY" in burndown and "on 2025-10-09" in burndown
    )  # in the SVG
    assert "over budget" in burndown  # the legend names the shading
    assert OVERRUN_COLOUR in _section(burndown, "<svg", "</svg>")  # and the shading is drawn
    # Malaysia stayed within its budget: no shading, and the caption says so.
    overseas_burndown = _section(overseas, 'class="chart burndown"', "</figure>")
    assert OVERRUN_COLOUR not in overseas_burndown and "peak overrun" not in overseas_burndown
    assert "Committed stayed within the budget." in overseas_burndown


def test_overrun_follows_the_knowledge_limit(run, demo, ledger, tmp_path):
    as_of = date(2025, 12, 31)
    # The ledger as it stood before the CN top-up of 2025-10-20 was recorded.
    (top_up,) = [
        e
        for e in ledger.log(types=("budget.revised",), region="CN")
        if e.effective == date(2025, 10, 20)
    ]
    knowledge = ledger.knowledge(upto_seq=top_up.seq - 1)

    page = _report(
        run,
        tmp_path / "before.html",
        "--as-of",
        as_of.isoformat(),
        "--upto-seq",
        str(top_up.seq - 1),
    )

    china = _section(page, 'id="region-CN"', "</section>")
    expected = _expected_overrun(ledger, "CN", as_of, knowledge, "CNY")
    assert expected.startswith("Over budget 2025-10-09 to 2025-12-31;")  # no top-up known yet
    assert expected in china


def test_utilization_is_a_percentage_like_the_shares(run, demo, ledger, tmp_path):
    as_of = date(2025, 12, 31)

    page = _report(run, tmp_path / "report.html", "--as-of", as_of.isoformat())

    for row in ledger.query_budget(as_of=as_of):
        section = _section(page, f'id="region-{row["region"]}"', "</section>")
        percent = f"{round_half_up(row['utilization'] * 100)}%"
        budget_table = _section(section, '<table class="budget"', "</table>")
        assert f'<td class="num">{percent}</td>' in budget_table
        assert f"({percent} of budget)" in _section(section, 'class="chart burndown"', "</svg>")
    # CN's year-end utilization by the literal replay of the demo's export.
    china = demo_row(demo_books("2025-12-31").budget(2025), region="CN")
    assert as_percent(china["utilization"]) in _section(page, 'id="region-CN"', "</section>")


def test_each_share_chart_says_how_much_of_committed_is_leases(run, demo, ledger, tmp_path):
    as_of = date(2025, 12, 31)

    page = _report(run, tmp_path / "report.html", "--as-of", as_of.isoformat())

    notes = {}
    for row in ledger.query_budget(as_of=as_of):
        orders = sum(
            (Fraction(r["value"]) for r in ledger.query_shares(as_of=as_of, region=row["region"])),
            Fraction(0),
        )
        leases = Fraction(row["committed"]) - orders
        percent = round_half_up(leases / Fraction(row["committed"]) * 100, Decimal(1))
        note = f"leases: {f'{round_half_up(leases):,}'} {row['currency']} ({percent}% of committed) — not in shares"
        notes[row["region"]] = note
        shares = _section(page, f'id="region-{row["region"]}"', "</section>")
        shares = _section(shares, 'class="chart shares"', "</figure>")
        assert note in _section(shares, "<svg", "</svg>")  # on the chart
        assert note in _section(shares, "<figcaption>", "</figcaption>")  # and in its caption
    # Malaysia's shares are 100% foreign orders, but a fifth of its commitments are leases.
    assert notes["MY"] == "leases: 1,030,000,000.00 USD (19% of committed) — not in shares"
    assert notes["CN"] == "leases: 0.00 CNY (0% of committed) — not in shares"


def test_foreign_suppliers_are_hatched_not_alarm_red(run, demo, tmp_path):
    page = _report(run, tmp_path / "report.html", "--as-of", "2025-12-31")

    shares = _section(
        _section(page, 'id="region-CN"', "</section>"), 'class="chart shares"', "</svg>"
    )
    assert "nvidia (foreign)" in shares and "huawei (domestic)" in shares
    assert "<pattern" in shares  # the foreign area is hatched
    for region in ("CN", "MY"):
        chart = _section(
            _section(page, f'id="region-{region}"', "</section>"), 'class="chart shares"', "</svg>"
        )
        for red in OLD_ALARM_REDS:
            assert red not in chart
