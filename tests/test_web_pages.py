"""The web view's pages and its promise to read only: text from the log escaped everywhere, a
database that cannot be written through the server's connections, and a PostgreSQL standby as
a source."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from markupsafe import escape
from servers import postgres_schema, streaming_standby, wait_until_replayed, with_search_path
from web_server import serving

from commands import main

SUPPLIER_NAME = '<script>alert("supplier")</script>'
REASON = "<img src=x onerror=alert('reason')>"
ACTOR = '"><b onmouseover=alert(1)>actor'
REFERENCE = "</td></tr></table><iframe src=//evil.example>"
OWNER = "<svg onload=alert(2)>"
# SKUs and other codes cannot hold markup (letters, digits, '.', '_', '-'); the boldest one.
SKU = "x.y_z-1"
HOSTILE = (SUPPLIER_NAME, REASON, ACTOR, REFERENCE, OWNER)


def test_every_text_from_the_log_is_escaped_on_every_page(run, db_url):
    def ok(*args):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)

    start = ("--effective", "2025-01-01")
    ok("region", "open", "XR", "--name", REASON, "--country", "MY", "--currency", "USD", *start)
    ok("supplier", "register", "evil", "--name", SUPPLIER_NAME, "--country", "US", *start)
    ok("budget", "revise", "XR", "2025", "1000", "--reason", REASON, *start)
    ok("policy", "set", "min_domestic_share", "--region", "XR", "--threshold", "0.5", *start)
    ok("policy", "set", "lease_review", "--region", "XR", *start)
    ok(
        "--actor",
        ACTOR,
        "order",
        "place",
        "PO-1",
        "--region",
        "XR",
        "--supplier",
        "evil",
        "--sku",
        SKU,
        "--quantity",
        "2",
        "--unit-price",
        "100",
        "--currency",
        "USD",
        "--reason",
        REASON,
        "--effective",
        "2025-02-01",
    )
    ok(
        "lease",
        "sign",
        "L-1",
        "--region",
        "XR",
        "--lessor",
        "evil",
        "--sku",
        SKU,
        "--units",
        "1",
        "--start",
        "2025-02-01",
        "--months",
        "2",
        "--monthly-payment",
        "10",
        "--currency",
        "USD",
        "--effective",
        "2025-01-10",
    )
    ok(
        "lease",
        "review",
        "L-1",
        "--owner",
        OWNER,
        "--operator",
        "o&p",
        "--outcome",
        "rejected",
        "--reference",
        REFERENCE,
        "--reason",
        REASON,
        "--effective",
        "2025-01-20",
    )
    head = int(run("status").stdout.split("head seq:", 1)[1].split()[0])

    pages = [
        "/",
        "/region/XR",
        "/region/XR/documents",
        "/document/PO-1",
        "/document/L-1",
        "/compliance",
        "/log",
        "/restatement?from_seq=1",
        *(f"/event/{seq}" for seq in range(1, head + 1)),
    ]
    with serving(db_url) as server:
        seen = ""
        for path in pages:
            sep = "&" if "?" in path else "?"
            reply = server.request(f"{path}{sep}as_of=2025-06-30")
            assert reply.status == 200, (path, reply.text[:500])
            assert reply.headers["content-type"].startswith("text/html")
            for text in HOSTILE:
                assert text not in reply.text, (path, text)
            seen += reply.text
        events = server.request("/api/events").json()
    # Not vacuous: each hostile text is on some page, escaped.
    for text in HOSTILE:
        # As text, or inside a payload shown as JSON.
        assert str(escape(text)) in seen or str(escape(json.dumps(text)[1:-1])) in seen, text
    assert "o&amp;p" in seen
    # The API gives the texts as they are (JSON, no formula guard), never as HTML.
    assert any(e["actor"] == ACTOR for e in events)
    assert any(e["reason"] == REASON for e in events)


def test_the_servers_connections_cannot_write(db_url):
    from ledger.app import Ledger
    from ledger.db import make_read_only
    from ledger.errors import LedgerError

    with Ledger.open(db_url) as ledger:
        ledger.record(
            "region.opened",
            {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"},
            effective="2025-01-01",
        )
        make_read_only(ledger.engine)
        with pytest.raises(LedgerError):
            ledger.record(
                "region.opened",
                {"region": "MY", "name": "M", "country": "MY", "currency": "USD"},
                effective="2025-01-01",
            )
        from sqlalchemy import text

        with pytest.raises(LedgerError), ledger.engine.connect() as connection:
            connection.execute(text("DELETE FROM regions"))
        assert ledger.head()[0] == 1
        assert [r["region"] for r in ledger.regions(as_of=None)] == ["CN"]


@pytest.mark.postgres
def test_a_standby_is_served_as_the_primary_answers():
    runner = CliRunner()
    with postgres_schema() as primary, streaming_standby() as standby_server:
        assert runner.invoke(main, ["--db", primary, "demo"]).exit_code == 0
        wait_until_replayed(standby_server)
        schema = re.search(r"search_path%3D([^&]+)", primary).group(1)
        standby = with_search_path(standby_server, schema)
        expected = runner.invoke(
            main, ["--db", primary, "query", "budget", "--as-of", "2025-06-30", "--format", "json"]
        )
        with serving(standby) as server:
            reply = server.request("/api/budget?as_of=2025-06-30")
            assert (reply.status, reply.text) == (200, expected.stdout)
            assert server.request("/region/CN?as_of=2025-06-30").status == 200
            assert server.request("/document/CN-PO-0001").status == 200


def test_a_knowledge_limit_before_every_event_says_so_on_the_page(run, db_url):
    run("region", "open", "CN", "--name", "China", "--country", "CN", "--currency", "CNY")
    with serving(db_url) as server:
        reply = server.request("/?upto_seq=0")
        assert reply.status == 200
        assert "--upto-seq 0 leaves out every event (the first is seq 1)" in reply.text
        assert "No region was opened" in reply.text
        assert "note:" not in server.request("/").text.lower()
