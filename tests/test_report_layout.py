"""The report's page as a reader sees it, in a real browser (Playwright driving Debian's Chromium,
never a downloaded one): a code or a date in a table stays on one line however narrow the
window, and the labels of budget revisions never pile up on one another, even on a ledger whose
budget is revised every few days.

.ci/run sets LEDGER_REQUIRE_BROWSER=1: then a missing browser or Playwright fails these tests
instead of skipping them."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands import main

pytestmark = pytest.mark.slow

REQUIRE_BROWSER = os.environ.get("LEDGER_REQUIRE_BROWSER") == "1"
# The boxes of a chart's labels, in page pixels, by the SVG group matplotlib writes each into.
BOXES = """groups => groups.map(g => {
    const box = g.getBoundingClientRect();
    return {id: g.id, text: g.textContent.trim(), x: box.x, y: box.y, w: box.width, h: box.height};
})"""
# Per cell: its text, the height of its whole text and that of its first character (one line).
LINES = """cells => cells.map(td => {
    const whole = document.createRange();
    whole.selectNodeContents(td);
    const first = document.createRange();
    first.setStart(td.firstChild, 0);
    first.setEnd(td.firstChild, 1);
    return [td.textContent, whole.getBoundingClientRect().height,
            first.getBoundingClientRect().height];
})"""


def cannot(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(f"LEDGER_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        cannot("chromium is not installed (apt-get install chromium)")
    # Debian's /usr/bin/chromium is a shell script around the real binary; Playwright starts
    # either, the binary without the script's noise on stderr.
    real = "/usr/lib/chromium/chromium"
    return real if found == "/usr/bin/chromium" and os.path.exists(real) else found


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        cannot("playwright is not installed (it is in the test extra)")
    executable = chromium()
    with sync_playwright() as playwright:
        try:
            started = playwright.chromium.launch(
                executable_path=executable, headless=True, args=["--no-sandbox"]
            )
        except Error as error:
            pytest.fail(f"chromium at {executable} does not start under Playwright: {error}")
        yield started
        started.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("layout") / "demo.db")
    assert CliRunner().invoke(main, ["--db", db, "--actor", "tester", "demo"]).exit_code == 0
    return db


def report(db: str, path: Path, *args: str) -> Path:
    result = CliRunner().invoke(main, ["--db", db, "report", *args, "-o", str(path)])
    assert result.exit_code == 0, result.stderr
    return path


def opened(browser, path: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(path.as_uri())
    assert page.get_attribute("html", "data-report-errors") is None
    return page


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    ]


def first_close(db: str) -> str:
    listed = CliRunner().invoke(
        main, ["--db", db, "log", "--type", "period.closed", "--format", "csv"]
    )
    return listed.stdout.splitlines()[1].split(",")[0]


@pytest.mark.parametrize("width", [1280, 760])
def test_codes_and_dates_in_the_tables_stay_on_one_line(demo, browser, tmp_path, width):
    path = report(
        demo, tmp_path / "r.html", "--as-of", "2025-06-30", "--from-seq", first_close(demo)
    )
    page = opened(browser, path, width)

    cells = page.eval_on_selector_all(
        "table.compliance td.code, table.restated-documents td.code,"
        " table.explaining-events td.code",
        LINES,
    )

    texts = [text for text, *_ in cells]
    # Those that used to break at a hyphen: order ids, effective dates, recording times.
    assert {"CN-PO-0010", "CN-PO-0009", "2025-03-01"} <= set(texts)
    assert any(text.startswith("2025-") and text.endswith("Z") for text in texts)
    wrapped = [text for text, whole, line in cells if whole > line + 0.5]
    assert wrapped == []
    page.close()


def test_the_demos_budget_labels_are_all_there_and_apart(demo, browser, tmp_path):
    path = report(demo, tmp_path / "r.html", "--as-of", "2025-12-31")
    page = opened(browser, path, 1280)

    labels = page.eval_on_selector_all(
        '#region-CN figure.burndown g[id^="revision-CN-2025-"]', BOXES
    )
    peak = page.eval_on_selector_all('#region-CN figure.burndown g[id^="peak-overrun-"]', BOXES)

    # The budget set on 2025-10-20 and the transfer a week later: close, both labelled.
    assert [label["text"] for label in labels] == ["40 bn CNY", "42 bn CNY", "41.6 bn CNY"]
    assert len(peak) == 1
    assert overlapping([*labels, *peak]) == []
    page.close()


def test_revision_labels_do_not_overlap_on_a_ledger_revised_every_few_days(browser, tmp_path):
    from ledger.app import Ledger

    db = str(tmp_path / "revised.db")
    revisions = 80
    with Ledger.open(db) as ledger:
        record = ledger.record
        record(
            "region.opened",
            {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"},
            effective="2025-01-01",
            actor="tester",
        )
        record(
            "supplier.registered",
            {"supplier": "huawei", "name": "Huawei", "country": "CN"},
            effective="2025-01-01",
            actor="tester",
        )
        day = date(2025, 1, 1)
        for k in range(revisions):
            amount = 40_000_000_000 + (k % 7) * 150_000_000 + k * 10_000_000
            record(
                "budget.revised",
                {"region": "CN", "year": 2025, "amount": str(amount)},
                effective=day.isoformat(),
                actor="tester",
            )
            day += timedelta(days=4)
        # An order above the budget for a while, so that the peak overrun is labelled too.
        record(
            "order.placed",
            {
                "order": "CN-PO-0001",
                "region": "CN",
                "supplier": "huawei",
                "sku": "ascend",
                "quantity": 1,
                "unit_price": "41000000000",
                "currency": "CNY",
            },
            effective="2025-03-03",
            actor="tester",
        )
    path = report(db, tmp_path / "r.html", "--as-of", "2025-12-31")
    page = opened(browser, path, 1280)

    labels = page.eval_on_selector_all('figure.burndown g[id^="revision-CN-2025-"]', BOXES)
    peak = page.eval_on_selector_all('figure.burndown g[id^="peak-overrun-"]', BOXES)
    plot = page.eval_on_selector_all("figure.burndown g#patch_2", BOXES)

    # Thinned, not dropped: many labelled, but far from all 80, and none on another.
    assert 8 <= len(labels) < revisions
    assert len(peak) == 1
    assert overlapping([*labels, *peak]) == []
    # The label of the budget in force at the as-of date is always there.
    assert labels[-1]["id"] == f"revision-CN-2025-{revisions - 1}"
    # Every label lies inside the plot, clear of the legend on its right.
    (area,) = plot
    for label in labels:
        assert area["x"] <= label["x"] and label["x"] + label["w"] <= area["x"] + area["w"]
        assert area["y"] <= label["y"] and label["y"] + label["h"] <= area["y"] + area["h"]
    page.close()
