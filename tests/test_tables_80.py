"""Every report reads as a table at 80 columns on the demo's numbers: a header, a rule and rows
aligned under it (never `name: value` lines), numbers right-aligned, utilization and shares as
percentages, unit counts with thousands separators, total rows where people add up by hand, a
table too wide for the width split into parts that each repeat its key columns, diffs as one
line per changed figure, a negative remaining budget in red on a colour terminal, and a pager
for a table longer than the screen. CSV and JSON are left as they were. The figures asserted
are worked out by hand from the demo's story; on both backends."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner
from databases import postgres_schema, skip_without_postgres
from test_tables import ANSI, in_terminal

WIDTH = 80
RULE = re.compile(r"^─+( +─+)*$")
# Amounts, unit counts, percentages and rates: what must be flush right in its column.
NUMBER = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?|-?\d+\.\d+%?|\d+%")
FREE_TEXT = {"detail", "reason", "name", "payload", "actor", "approver"}


def cells_of(line: str) -> list[str]:
    """A line as terminal cells: a wide character (寒) takes two, the second one empty."""
    cells: list[str] = []
    for char in line:
        cells.append(char)
        if unicodedata.east_asian_width(char) in "WF":
            cells.append("")
    return cells


def build_demo(url: str) -> str:
    from commands import main

    result = CliRunner().invoke(main, ["--db", url, "demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return url


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request, tmp_path_factory):
    """The demo's ledger, built once per backend by `ledger demo` (the tests only read it)."""
    if request.param == "sqlite":
        yield build_demo(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    else:
        skip_without_postgres()
        with postgres_schema() as url:
            yield build_demo(url)


@pytest.fixture(scope="module")
def terminal_demo(tmp_path_factory):
    """The demo on SQLite, for the cases that run the installed `ledger` on a terminal: how a
    table reaches a terminal does not depend on the backend."""
    return build_demo(f"sqlite:///{tmp_path_factory.mktemp('terminal') / 'demo.db'}")


def ledger(url: str, *args: str, fmt: str = "table", env: dict | None = None) -> str:
    from commands import main

    result = CliRunner().invoke(
        main,
        ["--db", url, *args, "--format", fmt],
        env={"COLUMNS": str(WIDTH), "LEDGER_ACTOR": "tester", **(env or {})},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


def csv_rows(url: str, *args: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(ledger(url, *args, fmt="csv"))))


@dataclass
class Part:
    """One table (or one part of a split table): its headers and its rows, each a dict of
    header → cell in the order printed, a wrapped cell joined again; `ruled`, the rows that
    come right after an inner rule (the first of a run of totals)."""

    header: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    ruled: list[dict[str, str]] = field(default_factory=list)

    def row(self, **match: str) -> dict[str, str]:
        (found,) = [row for row in self.rows if match.items() <= row.items()]
        return found

    def from_rule(self) -> list[dict[str, str]]:
        """The rows from the first inner rule on: the totals at the end of a table."""
        return self.rows[self.rows.index(self.ruled[0]) :] if self.ruled else []


def tables(text: str) -> list[Part]:
    """The parts printed, checked on the way: no line wider than 80 columns, no `name: value`
    line, every line blank where the rule has its gaps, numbers flush right."""
    lines = text.splitlines()
    assert lines, "nothing printed"
    assert all(len(cells_of(line)) <= WIDTH for line in lines), max(lines, key=len)
    assert not [line for line in lines if re.match(r"[a-z_ ]+: ", line)], "a vertical layout"
    parts: list[Part] = []
    index = 0
    while index < len(lines):
        if not lines[index]:
            index += 1
            continue
        assert index + 1 < len(lines) and RULE.match(lines[index + 1]), lines[index : index + 2]
        spans = [m.span() for m in re.finditer("─+", lines[index + 1])]
        part = Part([lines[index][a:b].strip() for a, b in spans])
        assert all(part.header), lines[index]
        index += 2
        ruled = False
        while index < len(lines) and lines[index]:
            line = lines[index]
            index += 1
            if RULE.match(line):
                ruled = True
                continue
            screen = cells_of(line.ljust(spans[-1][1]))
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                assert not "".join(screen[end:start]).strip(), f"not aligned: {line!r}"
            cells = ["".join(screen[a:b]) for a, b in spans]
            for name, cell in zip(part.header, cells, strict=True):
                if name not in FREE_TEXT and NUMBER.fullmatch(cell.strip()):
                    assert not cell.endswith(" "), f"a number not flush right: {line!r}"
            if not cells[0].strip() and part.rows:  # a wrapped line: the free text goes on
                for name, cell in zip(part.header, cells, strict=True):
                    if cell.strip():
                        part.rows[-1][name] = f"{part.rows[-1][name]} {cell.strip()}".strip()
                continue
            part.rows.append({n: cell.strip() for n, cell in zip(part.header, cells, strict=True)})
            if ruled:
                part.ruled.append(part.rows[-1])
                ruled = False
        parts.append(part)
    return parts


def first_close(url: str) -> str:
    return csv_rows(url, "log", "--type", "period.closed")[0]["seq"]


# -- the queries ----------------------------------------------------------------------------------


def test_budget_is_one_table_with_utilization_as_a_percentage(demo):
    (budget,) = tables(ledger(demo, "query", "budget", "--as-of", "2025-12-31"))

    assert budget.header == ["region", "year", "ccy", "budget", "committed", "remaining", "util"]
    # 41,576,110,000 of 41,642,500,000 is 99.8406 %; 136,722,222.22 of 500 m; 5,442 of 6,850 m.
    assert budget.row(region="CN") == {
        "region": "CN",
        "year": "2025",
        "ccy": "CNY",
        "budget": "41,642,500,000.00",
        "committed": "41,576,110,000.00",
        "remaining": "66,390,000.00",
        "util": "99.84%",
    }
    assert budget.row(region="EU")["util"] == "27.34%"
    assert budget.row(region="MY")["util"] == "79.45%"
    # CSV and JSON keep the fraction.
    assert csv_rows(demo, "query", "budget", "--as-of", "2025-12-31")[0]["utilization"] == "0.9984"
    as_json = json.loads(ledger(demo, "query", "budget", "--as-of", "2025-12-31", fmt="json"))
    assert as_json[0]["utilization"] == "0.9984"


def test_commitments_split_into_parts_that_repeat_kind_id_and_currency_with_totals(demo):
    args = ("query", "commitments", "--as-of", "2025-12-31", "--region", "MY", "--year", "2025")
    parts = tables(ledger(demo, *args))

    assert len(parts) > 1
    assert all(part.header[:2] == ["kind", "id"] and "ccy" in part.header for part in parts)
    columns = [name for part in parts for name in part.header]
    for name in ("supplier", "units", "status", "committed", "received", "paid", "charged"):
        assert columns.count(name) == 1, name
    (identity,) = [part for part in parts if "units" in part.header]
    assert identity.row(id="MY-PO-0002")["units"] == "48,000"
    assert identity.row(id="MY-L-02")["supplier"] == "dc-cyberjaya"
    assert not identity.ruled  # nothing of kind, sku or status to add up
    assert all([row["kind"] for row in part.from_rule()] == ["total"] for part in parts[1:])
    total = {name: value for part in parts[1:] for name, value in part.row(kind="total").items()}
    # Nine documents: 792 + 840 + 1,728 + 110 + 1,440 (leases) + 620 + 1,752 + 1,440 + 600 m.
    assert total["committed"] == "9,322,000,000.00" and total["ccy"] == "USD"
    assert total["received"] == "1,650,000,000.00"  # 242 + 350 + 288 + 110 + 40 + 620 m
    assert total["paid"] == "836,000,000.00"  # 176 + 40 + 620 m
    # What the year is charged adds up to the budget's committed: the lease years reconcile.
    assert total["charged"] == "5,442,000,000.00"
    (budget,) = tables(ledger(demo, "query", "budget", "--as-of", "2025-12-31", "--region", "MY"))
    assert budget.row(region="MY")["committed"] == total["charged"]
    # Total rows are for people: the CSV has the nine documents and nothing else.
    assert [row["kind"] for row in csv_rows(demo, *args)].count("total") == 0
    assert len(csv_rows(demo, *args)) == 9


def test_commitments_add_up_per_currency(demo):
    parts = tables(ledger(demo, "query", "commitments", "--as-of", "2025-12-31"))

    (committed,) = [part for part in parts if "committed" in part.header]
    totals = committed.from_rule()
    assert [row["ccy"] for row in totals] == ["CNY", "EUR", "USD"]
    assert all(row["kind"] == "total" and not row["id"] for row in totals)
    # China's orders are all charged to 2025: the budget's committed.
    assert totals[0]["committed"] == "41,576,110,000.00"
    # Europe: the whole-term lease (156 m) and the order (84,722,222.22).
    assert totals[1]["committed"] == "240,722,222.22"
    assert totals[2]["committed"] == "9,322,000,000.00"
    assert committed.row(id="CN-PO-0008")["committed"] == "0.00"  # cancelled


def test_shares_show_percentages_unit_separators_and_domestic_and_foreign_subtotals(demo):
    (shares,) = tables(ledger(demo, "query", "shares", "--as-of", "2025-12-31"))

    assert shares.header == [
        "region", "supplier", "country", "domestic", "value", "units", "share",
    ]  # fmt: skip
    huawei = shares.row(region="CN", supplier="huawei")
    # 19,384 of 41,576.11 m: 46.622 %.
    assert (huawei["domestic"], huawei["units"], huawei["share"]) == ("yes", "128,000", "46.62%")
    assert shares.row(region="CN", supplier="nvidia")["domestic"] == "no"
    # Huawei and Cambricon are Chinese: 19,384 + 6,146 m, 128,000 + 79,000 units, 61.405 %,
    # the domestic share the compliance report names.
    assert shares.row(region="CN", supplier="all domestic") == {
        "region": "CN",
        "supplier": "all domestic",
        "country": "",
        "domestic": "",
        "value": "25,530,000,000.00",
        "units": "207,000",
        "share": "61.41%",
    }
    foreign = shares.row(region="CN", supplier="all foreign")
    assert (foreign["value"], foreign["units"], foreign["share"]) == (
        "16,046,110,000.00",
        "168,000",
        "38.59%",
    )
    assert shares.row(region="EU", supplier="all domestic")["share"] == "0.00%"
    assert shares.row(region="EU", supplier="all foreign")["share"] == "100.00%"
    # Each region's subtotals follow its suppliers, under a rule.
    assert [(row["region"], row["supplier"]) for row in shares.rows] == [
        ("CN", "huawei"), ("CN", "nvidia"), ("CN", "cambricon"),
        ("CN", "all domestic"), ("CN", "all foreign"),
        ("EU", "nvidia"), ("EU", "all domestic"), ("EU", "all foreign"),
        ("MY", "nvidia"), ("MY", "all domestic"), ("MY", "all foreign"),
    ]  # fmt: skip
    assert [row["supplier"] for row in shares.ruled] == ["all domestic"] * 3
    csv_shares = csv_rows(demo, "query", "shares", "--as-of", "2025-12-31")
    assert [row["supplier"] for row in csv_shares if row["region"] == "CN"] == [
        "huawei", "nvidia", "cambricon",
    ]  # fmt: skip
    assert csv_shares[0]["share"] == "0.4662" and csv_shares[0]["domestic"] == "true"


def test_spend_splits_into_parts_each_naming_the_region_year_and_currency(demo):
    parts = tables(ledger(demo, "query", "spend", "--as-of", "2025-12-31"))

    assert len(parts) > 1
    assert all(part.header[:3] == ["region", "year", "ccy"] for part in parts)
    figures = {name: value for part in parts for name, value in part.row(region="CN").items()}
    assert figures == {
        "region": "CN",
        "year": "2025",
        "ccy": "CNY",
        "budget": "41,642,500,000.00",
        "committed": "41,576,110,000.00",
        "received": "6,057,360,000.00",
        "invoiced": "6,057,360,000.00",
        "paid": "6,057,360,000.00",
        "open": "35,518,750,000.00",  # committed − invoiced
        "payable": "0.00",
        "remaining": "66,390,000.00",
    }
    (payable,) = [part for part in parts if "payable" in part.header]
    assert payable.row(region="MY")["payable"] == "66,000,000.00"  # 902 m invoiced, 836 m paid


def test_group_total_sits_under_a_rule(demo):
    parts = tables(ledger(demo, "query", "group", "--currency", "USD", "--as-of", "2025-12-31"))

    assert all(part.header[:3] == ["region", "year", "ccy"] for part in parts)
    (rates,) = [part for part in parts if "rate" in part.header]
    assert rates.row(region="CN")["rate"] == "0.139860"
    assert [row["region"] for row in rates.from_rule()] == ["*"]
    assert rates.row(region="*")["budget"] == "13,214,125,874.13"
    assert rates.row(region="*")["rate"] == ""


def test_compliance_is_one_table_whose_detail_wraps(demo):
    (report,) = tables(ledger(demo, "compliance", "--as-of", "2025-12-31"))

    assert report.header == ["policy", "region", "subject", "status", "detail"]
    assert report.rows[0]["status"] == "violation"
    assert report.row(policy="restricted_sku")["detail"].endswith("committed 960,000,000.00 CNY")
    assert (
        "domestic share 61.41% meets 50% threshold"
        in (report.row(policy="min_domestic_share")["detail"])
    )


# -- the diffs ------------------------------------------------------------------------------------


def diff(url: str, what: str) -> list[Part]:
    return tables(
        ledger(url, "diff", what, "--as-of", "2025-06-30", "--region", "CN", "--from-seq",
               first_close(url))
    )  # fmt: skip


def test_diff_budget_is_one_line_per_changed_figure_with_its_change(demo):
    (changes,) = diff(demo, "budget")

    assert changes.header == ["region", "year", "ccy", "what", "before", "after", "change"]
    # The budget did not change: only committed and remaining did, by the 63.44 m of the two
    # restatements (the March rate correction and the June credit note).
    assert [row["what"] for row in changes.rows] == ["committed", "remaining"]
    assert changes.row(what="committed") == {
        "region": "CN",
        "year": "2025",
        "ccy": "CNY",
        "what": "committed",
        "before": "21,110,800,000.00",
        "after": "21,047,360,000.00",
        "change": "-63,440,000.00",
    }
    assert changes.row(what="remaining")["change"] == "63,440,000.00"


def test_diff_spend_is_one_line_per_changed_layer(demo):
    (changes,) = diff(demo, "spend")

    assert [row["what"] for row in changes.rows] == ["committed", "received", "invoiced", "paid"]
    paid = changes.row(what="paid")
    assert (paid["before"], paid["after"], paid["change"]) == (
        "4,630,800,000.00",
        "4,647,360,000.00",
        "16,560,000.00",
    )


def test_diff_commitments_shows_a_status_change_and_the_committed_change(demo):
    (changes,) = diff(demo, "commitments")

    assert changes.header == ["id", "region", "ccy", "what", "before", "after", "change"]
    assert changes.row(id="CN-PO-0009", what="status") == {
        "id": "CN-PO-0009",
        "region": "CN",
        "ccy": "CNY",
        "what": "status",
        "before": "open",
        "after": "amended",
        "change": "",
    }
    assert changes.row(id="CN-PO-0009", what="committed")["change"] == "-80,000,000.00"
    assert changes.row(id="CN-PO-0006", what="committed")["change"] == "16,560,000.00"
    assert [row["what"] for row in changes.rows if row["id"] == "CN-PO-0006"] == ["committed"]


def test_diff_events_split_into_parts_that_repeat_the_seq(demo):
    parts = diff(demo, "events")
    expected = csv_rows(
        demo, "diff", "events", "--as-of", "2025-06-30", "--region", "CN", "--from-seq",
        first_close(demo),
    )  # fmt: skip

    assert len(parts) > 1 and all(part.header[0] == "seq" for part in parts)
    for part in parts:
        assert [row["seq"] for row in part.rows] == [row["seq"] for row in expected]
    joined = {name: value for part in parts for name, value in part.rows[0].items()}
    assert joined["type"] == "fx.rate_set" and joined["regions"] == "CN;MY"
    assert joined["recorded"] == expected[0]["recorded_at"].replace(".000000Z", "Z")
    assert joined["reason"] == expected[0]["reason"]  # wrapped, and whole again


# -- the lists ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "keys", "expect"),
    [
        (["region", "list"], ["region"], {"region": "EU", "ccy": "EUR", "country": "DE"}),
        (["supplier", "list"], ["supplier"], {"supplier": "dc-kulai", "registered": "2025-06-18"}),
        (
            ["invoice", "list", "--as-of", "2025-12-31"],
            ["invoice", "ccy"],
            {"invoice": "INV-HW-0001", "amount": "1,200,000,000.00", "paid": "1,200,000,000.00"},
        ),
        (["period", "list"], ["region"], {"region": "CN", "closed thru": "2025-06-30"}),
        (
            ["period", "list", "--history"],
            ["region", "seq"],
            {"type": "period.reopened", "through": "2025-02-28"},
        ),
        (
            ["budget", "transfers"],
            ["from", "to", "year"],
            # 357.5 m CNY at 0.139860 (1 / 7.15): 50 m USD.
            {"from": "CN", "amount": "357,500,000.00", "received": "50,000,000.00", "rate": "0.139860"},
        ),
        (
            ["budget", "list", "--year", "2026"],
            ["region", "year"],
            {"region": "CN", "amount": "45,000,000,000.00", "reason": "FY2026 budget"},
        ),
        (["fx", "list", "--base", "EUR"], ["base", "quote"], {"quote": "USD", "rate": "1.08"}),
        (
            ["policy", "list", "--as-of", "2025-12-31"],
            ["policy", "region"],
            {"policy": "min_domestic_share", "thresh": "50%", "on": "yes", "basis": "value"},
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) and "list" in value[1:] else None,
)  # fmt: skip
def test_lists_are_tables_at_80_columns(demo, command, keys, expect):
    parts = tables(ledger(demo, *command))

    for part in parts:
        assert set(keys) <= set(part.header), part.header
    # The row named by the first expected cell, its cells gathered from every part.
    (name, value), *_ = expect.items()
    found: dict[str, str] = {}
    for part in parts:
        found |= next((row for row in part.rows if row.get(name) == value), {})
    assert expect.items() <= found.items(), found


def test_policy_list_shows_thresholds_and_tolerances_as_percentages(demo):
    parts = tables(ledger(demo, "policy", "list", "--as-of", "2025-12-31"))

    (tolerances,) = [part for part in parts if "tol" in part.header]
    assert tolerances.row(policy="three_way_match", region="CN")["tol"] == "1%"
    assert tolerances.row(policy="three_way_match", region="EU")["tol"] == "0.5%"
    policies = csv_rows(demo, "policy", "list", "--as-of", "2025-12-31")
    assert {row["threshold"] for row in policies} == {"", "0.5"}  # the CSV as it was


def test_approval_list_splits_around_its_long_digest(run, monkeypatch):
    assert run("demo").exit_code == 0
    event_id = "7c1e5b52-8d3f-4f0a-9a35-2f7c9e0b1d44"
    digest = "85a64f6b4cea8d2bc15e8997ab80b45a80b47194a68962c1d7e61c7e45b83ab4"
    approved = run(
        "--actor", "bob", "approve", event_id, "--approval", "A-1", "--digest", digest,
        "--reason", "price increase agreed with the supplier in writing",
    )  # fmt: skip
    assert approved.exit_code == 0, approved.stderr
    monkeypatch.setenv("COLUMNS", str(WIDTH))

    parts = tables(run("approval", "list", "--format", "table").stdout)

    assert len(parts) > 1 and all(part.header[0] == "approval" for part in parts)
    found = {name: cell for part in parts for name, cell in part.row(approval="A-1").items()}
    assert (found["event"], found["digest"], found["approver"]) == (event_id, digest, "bob")
    assert found["reason"] == "price increase agreed with the supplier in writing"
    assert found["used seq"] == ""


# -- colour and the pager -------------------------------------------------------------------------


def test_a_negative_remaining_is_red_on_a_colour_terminal_only(terminal_demo):
    args = ["--db", terminal_demo, "query", "budget", "--as-of", "2025-10-15"]
    # Mid-October China has committed 40,352.11 m of its 40,000 m: 352.11 m over.
    _, coloured, _ = in_terminal(args)
    assert "\x1b[31m-352,110,000.00\x1b[0m" in coloured
    assert coloured.count("\x1b[31m") == 1  # Europe and Malaysia are within budget
    _, plain, _ = in_terminal(args, env={"NO_COLOR": "1"})
    assert "-352,110,000.00" in plain and "\x1b[" not in plain
    _, dumb, _ = in_terminal(args, env={"TERM": "dumb"})
    assert "\x1b[" not in dumb
    piped = ledger(terminal_demo, *args[2:])
    assert "-352,110,000.00" in piped and "\x1b[" not in piped
    (budget,) = tables(piped)
    assert budget.row(region="CN")["util"] == "100.88%"


def test_a_table_longer_than_the_screen_goes_through_the_pager(terminal_demo, tmp_path):
    pager = tmp_path / "pager.sh"
    pager.write_text("#!/bin/sh\nsed 's/^/PAGED /'\n")
    pager.chmod(0o755)
    env = {"PAGER": str(pager)}
    long = ["--db", terminal_demo, "query", "commitments", "--as-of", "2025-12-31"]  # > 40 lines
    _, paged, _ = in_terminal(long, env=env)
    lines = [ANSI.sub("", line) for line in paged.splitlines()]
    assert lines and all(line.startswith("PAGED") or not line for line in lines)
    assert any("total" in line for line in lines)
    _, short, _ = in_terminal(
        ["--db", terminal_demo, "query", "budget", "--as-of", "2025-12-31"], env=env
    )
    assert "PAGED" not in short and "99.84%" in short
    # Not on a terminal: never paged, whatever PAGER says.
    assert "PAGED" not in ledger(terminal_demo, *long[2:], env=env)
