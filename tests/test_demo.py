"""`ledger demo` loads the sample scenario and shows it at telling dates, on both backends."""

from __future__ import annotations


def test_demo_shows_budget_as_known_then_shares_and_compliance(run):
    result = run("demo")

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "68 events added, 0 already there" in out
    assert "21,047,360,000.00" in out  # CN committed as of 2025-06-30, everything known
    assert "21,110,800,000.00" in out  # the same before the back-dated USD/CNY correction
    assert "41,576,110,000.00" in out  # CN at year end, after the October budget revision
    assert "0.5045" in out  # Nvidia's share of CN purchases at mid-year
    assert "below 50% threshold" in out  # the guideline raised on 2025-09-01
    assert "pending" in out  # MY-L-05 was never reviewed


def test_running_the_demo_twice_adds_nothing(run):
    run("demo")

    again = run("demo")

    assert again.exit_code == 0, again.stderr
    assert "0 events added, 68 already there" in again.stdout
    assert run("verify").stdout.startswith("ok: 68 events")


def test_the_demo_refuses_a_ledger_holding_other_events_and_writes_nothing(run):
    run("region", "open", "EU", "--name", "Europe", "--country", "DE", "--currency", "EUR",
        "--effective", "2025-01-01")

    result = run("demo")

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the ledger ")
    assert "holds 1 event that is not the demo's" in lines[0]
    assert run("verify").stdout.startswith("ok: 1 events")


def test_the_demo_continues_a_ledger_holding_only_some_of_its_own_events(run, tmp_path):
    """Its own events are those of the scenario file, whatever their number."""
    from ledger.packaged import fixture

    first_ten = tmp_path / "first-ten.jsonl"
    first_ten.write_text("".join(fixture("demo.jsonl").read_text(encoding="utf-8").splitlines(True)[:10]),
                         encoding="utf-8")
    assert run("import", first_ten).exit_code == 0

    result = run("demo")

    assert result.exit_code == 0, result.stderr
    assert "already there" in result.stdout and "10 already there" in result.stdout
