"""The web view in a real browser (Playwright driving Debian's Chromium, never a downloaded
one): click from the regions to a region, a document and an event; change the as-of date; the
figures shown are those of `ledger query … --format json`; no console error, no request to
another host, and the pages work without JavaScript.

.ci/run sets LEDGER_REQUIRE_BROWSER=1: then a missing browser or Playwright fails the test
instead of skipping it (a server that does not start always fails)."""

from __future__ import annotations

import json
import os
import shutil
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner
from databases import new_demo
from web_server import serving

from commands import main

REQUIRE_BROWSER = os.environ.get("LEDGER_REQUIRE_BROWSER") == "1"


def cannot(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(f"LEDGER_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        cannot("chromium is not installed (apt-get install chromium)")
    return os.path.realpath("/usr/lib/chromium/chromium") if _debian_wrapper(found) else found


def _debian_wrapper(path: str) -> bool:
    # Debian's /usr/bin/chromium is a shell script around the real binary; Playwright starts
    # either, the binary without the script's noise on stderr.
    return os.path.exists("/usr/lib/chromium/chromium") and path == "/usr/bin/chromium"


def cli_json(db: str, *args: str):
    result = CliRunner().invoke(main, ["--db", db, *args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}"
    new_demo(db)
    with serving(db) as server:
        yield db, server


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


class Watched:
    """A page whose console errors, failed requests and requests to other hosts are kept."""

    def __init__(self, context, origin: str):
        self.page = context.new_page()
        self.errors: list[str] = []
        self.elsewhere: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "requestfailed",
            # A request the next navigation cuts short (the icon of a page left at once) is no
            # error of the page.
            lambda r: (
                None
                if "ERR_ABORTED" in (r.failure or "")
                else self.errors.append(f"failed: {r.url}: {r.failure}")
            ),
        )
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
        )
        self.page.on(
            "request",
            lambda r: (
                None
                if urlparse(r.url).netloc == origin or r.url.startswith("data:")
                else self.elsewhere.append(r.url)
            ),
        )


def figures(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.dataset.value)")


def test_from_the_regions_to_an_event_and_to_another_date(demo, browser):
    db, server = demo
    origin = urlparse(server.url).netloc
    context = browser.new_context()
    watched = Watched(context, origin)
    page = watched.page

    page.goto(f"{server.url}?as_of=2025-06-30")
    budget = cli_json(db, "query", "budget", "--as-of", "2025-06-30")
    assert figures(page, "table.regions a.committed") == [r["committed"] for r in budget]
    assert figures(page, "table.regions a.budget") == [r["budget"] for r in budget]

    page.click("table.regions a.region >> text=CN")
    page.wait_for_url("**/region/CN?as_of=2025-06-30")
    assert page.locator("figure.chart.burndown svg").count() == 1
    assert page.locator("figure.chart.shares svg").count() == 1
    assert page.locator("figure.chart.spend svg").count() == 1
    (cn,) = cli_json(db, "query", "budget", "--as-of", "2025-06-30", "--region", "CN")
    assert figures(page, "#budget a.committed") == [cn["committed"]]
    page.click("#budget a.committed")  # the region's total, to the documents it is made of
    page.wait_for_url("**/region/CN/documents?as_of=2025-06-30")
    documents = cli_json(db, "query", "commitments", "--as-of", "2025-06-30", "--region", "CN")
    shown = page.eval_on_selector_all(
        "table.documents a.document", "nodes => nodes.map(n => n.textContent)"
    )
    assert shown == [d["id"] for d in documents]

    first = documents[0]
    page.click(f"table.documents a.document >> text={first['id']}")
    page.wait_for_url(f"**/document/{first['id']}?as_of=2025-06-30")
    assert figures(page, "td.committed") == [first["committed"]]
    seqs = page.eval_on_selector_all(
        "table.events a.event", "nodes => nodes.map(n => n.textContent)"
    )
    assert seqs

    page.click(f"table.events a.event >> text={seqs[0]}")
    page.wait_for_url(f"**/event/{seqs[0]}?as_of=2025-06-30")
    exported = CliRunner().invoke(main, ["--db", db, "export", "events"]).stdout.splitlines()
    row = exported[int(seqs[0])]
    assert page.text_content("code.hash") == row.rsplit(",", 1)[1]
    assert page.text_content("dd.seq") == seqs[0]

    # Another as-of date, picked in the controls: the page follows, and so do its links.
    page.goto(f"{server.url}region/CN?as_of=2025-06-30")
    # The page's one script shows a date as soon as it is picked (without it, "Show" does):
    # filling a date field fires its change event.
    with page.expect_navigation(url="**/region/CN?as_of=2025-03-01**"):
        page.fill("#as_of", "2025-03-01")
    page.wait_for_load_state("load")
    (march,) = cli_json(db, "query", "budget", "--as-of", "2025-03-01", "--region", "CN")
    assert figures(page, "#budget a.committed") == [march["committed"]]
    assert march["committed"] != cn["committed"]
    page.click("nav >> text=Regions")
    page.wait_for_url("**/?as_of=2025-03-01")
    budget = cli_json(db, "query", "budget", "--as-of", "2025-03-01")
    assert figures(page, "table.regions a.committed") == [r["committed"] for r in budget]

    for path in ("compliance", "log", "restatement?from_seq=20"):
        page.goto(f"{server.url}{path}")
    assert watched.errors == []
    assert watched.elsewhere == []
    context.close()


def test_the_pages_work_without_javascript(demo, browser):
    db, server = demo
    context = browser.new_context(java_script_enabled=False)
    watched = Watched(context, urlparse(server.url).netloc)
    page = watched.page
    page.goto(f"{server.url}?as_of=2025-12-31")
    page.click("table.regions a.region >> text=MY")
    page.wait_for_url("**/region/MY?as_of=2025-12-31")
    page.fill("#as_of", "2025-09-01")
    page.click("form.controls button[type=submit]")
    page.wait_for_url("**/region/MY?as_of=2025-09-01**")
    (my,) = cli_json(db, "query", "budget", "--as-of", "2025-09-01", "--region", "MY")
    assert figures(page, "#budget a.committed") == [my["committed"]]
    assert watched.errors == [] and watched.elsewhere == []
    context.close()
