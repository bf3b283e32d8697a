"""`ledger demo` loads the sample scenario and shows it at telling dates, on both backends."""

from __future__ import annotations

import csv
import io

from given import amount, demo_books, demo_row, percent, plain


def demo_events() -> int:
    """The number of events in the demo's audit export."""
    from ledger.packaged import fixture

    return len(fixture("demo.csv").read_text(encoding="utf-8").splitlines()) - 1


def seqs_of(run, *types: str) -> list[int]:
    """The seqs of the log's events of these types, in seq order."""
    args = [arg for event_type in types for arg in ("--type", event_type)]
    listed = run("log", *args, "--format", "csv")
    assert listed.exit_code == 0, listed.stderr
    return [int(row["seq"]) for row in csv.DictReader(io.StringIO(listed.stdout))]


def test_demo_shows_budget_as_known_then_shares_spend_group_and_compliance(run):
    result = run("demo")

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    # The figures by the literal replay of the demo's export (tests/streams.py), not the ledger.
    mid_year, year_end = demo_books("2025-06-30"), demo_books("2025-12-31")
    as_known = demo_books("2025-06-30", known_at="2025-07-05")
    china = demo_row(mid_year.budget(2025), region="CN")
    china_at_year_end = demo_row(year_end.budget(2025), region="CN")
    assert f"{demo_events()} events added, 0 already there" in out
    assert amount(china["committed"]) in out  # CN committed as of 2025-06-30, everything known
    # The same as known on 2025-07-05, before two corrections.
    assert amount(demo_row(as_known.budget(2025), region="CN")["committed"]) in out
    # CN at year end, after the October budget revision; its budget: 42 bn less the transfer.
    assert amount(china_at_year_end["committed"]) in out
    assert amount(china_at_year_end["budget"]) in out
    nvidia = demo_row(mid_year.shares(2025, "value"), region="CN", supplier="nvidia")
    # Nvidia's share of CN purchases at mid-year, as a table shows it (a percentage).
    assert percent(nvidia["share"]) in out
    assert "billed for goods not received" in out  # CN-PO-0006 on 2025-05-31
    # What CN owes at mid-year (payable).
    assert amount(demo_row(mid_year.spend(2025), region="CN")["payable"]) in out
    assert "13,214,125,874.13" in out  # the group's budget at year end, in USD
    assert "below 50% threshold" in out  # the guideline raised on 2025-09-01
    assert "pending" in out  # MY-L-05 was never reviewed


def test_running_the_demo_twice_adds_nothing(run):
    run("demo")

    again = run("demo")

    assert again.exit_code == 0, again.stderr
    assert f"0 events added, {demo_events()} already there" in again.stdout
    assert run("verify").stdout.startswith(f"ok: {demo_events()} events")


def test_demo_closes_the_first_half_for_china_and_restates_it_through_reopenings(run):
    result = run("demo")

    assert result.exit_code == 0, result.stderr
    first, second, last = seqs_of(run, "period.closed")
    assert f"reported when its books were closed (seq {first})" in result.stdout
    assert (
        f"What changed it: ledger diff events --as-of 2025-06-30 --region CN --from-seq {first}"
        in result.stdout
    )
    listed = run("period", "list", "--format", "csv").stdout.splitlines()
    assert listed[1].startswith(f"CN,2025-06-30,{last},")
    explained = run(
        "diff", "events", "--as-of", "2025-06-30", "--region", "CN", "--from-seq", str(first),
        "--format", "csv",
    ).stdout.splitlines()  # fmt: skip
    # The March rate correction (recorded between the second reopening and close) and the
    # credit note (between the last two).
    assert [line.split(",")[1:3] for line in explained[1:]] == [
        ["fx.rate_set", "2025-03-01"],
        ["order.amended", "2025-06-01"],
    ]
    assert first < int(explained[1].split(",")[0]) < second < int(explained[2].split(",")[0])
    budget = run(
        "diff", "budget", "--as-of", "2025-06-30", "--region", "CN", "--from-seq", str(first),
        "--format", "csv",
    ).stdout.splitlines()  # fmt: skip
    before = demo_row(demo_books("2025-06-30", upto_seq=first).budget(2025), region="CN")
    after = demo_row(demo_books("2025-06-30").budget(2025), region="CN")
    names = ("budget", "committed", "remaining")
    assert budget[1] == ",".join(
        [
            "CN",
            "2025",
            "CNY",
            *(plain(row[name]) for name in names for row in (before, after)),
            *(plain(after[name] - before[name]) for name in names),
        ]
    )
    # The books are closed: a back-dated change to China's first half is refused.
    refused = run("order", "amend", "CN-PO-0001", "--quantity", "1", "--effective", "2025-06-30")
    assert refused.exit_code == 1
    assert f"closed through 2025-06-30 (seq {last})" in refused.stderr


def test_the_demo_refuses_a_ledger_holding_other_events_and_writes_nothing(run):
    run(
        "region",
        "open",
        "EU",
        "--name",
        "Europe",
        "--country",
        "DE",
        "--currency",
        "EUR",
        "--effective",
        "2025-01-01",
    )

    result = run("demo")

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the ledger ")
    assert "holds 1 event that is not the demo's" in lines[0]
    assert run("verify").stdout.startswith("ok: 1 events")


def test_the_demo_continues_a_ledger_holding_only_some_of_its_own_events(run, tmp_path):
    """Its own events are those of its audit export, whatever their number: a ledger restored
    from the export's first ten events is a prefix of the demo's chain."""
    from ledger.packaged import fixture

    first_ten = tmp_path / "first-ten.csv"
    first_ten.write_text(
        "".join(fixture("demo.csv").read_text(encoding="utf-8").splitlines(True)[:11]),
        encoding="utf-8",
    )
    assert run("restore", first_ten).exit_code == 0

    result = run("demo")

    assert result.exit_code == 0, result.stderr
    assert "already there" in result.stdout and "10 already there" in result.stdout


def test_the_demo_history_has_dates_so_known_at_shows_the_books_as_they_stood(run):
    """The demo's events are recorded through 2025 as its story goes: at the start of October
    the ledger did not yet know of the October budget top-up or of the November credit note."""
    run("demo")

    def budget(*limit):
        rows = run("query", "budget", "--as-of", "2025-12-31", "--region", "CN", *limit)
        assert rows.exit_code == 0, rows.stderr
        return rows.stdout.splitlines()[1].split(",")

    then, now = budget("--known-at", "2025-10-01"), budget()
    # 42 bn after the October top-up, less the 357.5 m moved to Malaysia in late October.
    known_then = demo_books("2025-12-31", known_at="2025-10-01")
    assert then[3] == plain(demo_row(known_then.budget(2025), region="CN")["budget"])
    assert now[3] == plain(demo_row(demo_books("2025-12-31").budget(2025), region="CN")["budget"])
    assert then[4] != now[4]
    assert run("verify").stdout.startswith("ok: ")


def test_the_shipped_demo_export_is_the_story_recorded_through_the_entry_checks(tmp_path):
    """fixtures/demo.csv is what fixtures/make_demo.py writes from fixtures/demo.jsonl today:
    an edited story, or a change to the entry checks that refuses it, shows here."""
    import importlib.util

    from ledger.packaged import fixture

    spec = importlib.util.spec_from_file_location("make_demo", fixture("make_demo.py"))
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    written = maker.build(tmp_path)
    assert written.read_bytes() == fixture("demo.csv").read_bytes()


def test_commitments_charged_to_a_year_add_up_to_the_budget_s_committed(run):
    """A lease is listed at its whole-term total; `charged` is its part of the year, so a
    region's rows reconcile with `query budget` (on the demo, leases span several years)."""
    from decimal import Decimal

    run("demo")
    for year in ("2025", "2026"):
        listed = run("query", "commitments", "--as-of", "2025-12-31", "--year", year)
        budget = run("query", "budget", "--as-of", "2025-12-31", "--year", year)
        charged: dict[str, Decimal] = {}
        for row in csv.DictReader(io.StringIO(listed.stdout)):
            charged[row["region"]] = charged.get(row["region"], Decimal(0)) + Decimal(
                row["charged"]
            )
        for row in csv.DictReader(io.StringIO(budget.stdout)):
            # Each charged cell is rounded to cents on its own: the sum may differ by a cent
            # per document, never more.
            documents = sum(
                1 for line in listed.stdout.splitlines()[1:] if f",{row['region']}," in line
            )
            assert abs(charged[row["region"]] - Decimal(row["committed"])) <= Decimal("0.01") * max(
                documents, 1
            ), (year, row["region"])
    assert "charged" not in run("query", "commitments", "--as-of", "2025-12-31").stdout
