"""`ledger report --from-seq K` / `--from-close`: the report's Restatements section (SPEC §4.6)."""

from __future__ import annotations

from pathlib import Path

from given import amount, demo_books, demo_row


def _report(run, path: Path, *args: str) -> str:
    result = run("report", *args, "-o", path)
    assert result.exit_code == 0, result.stderr
    return path.read_text(encoding="utf-8")


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def _seqs(run, event_type: str, *more: str) -> list[int]:
    listed = run("log", "--type", event_type, *more, "--format", "csv").stdout.splitlines()[1:]
    return [int(line.split(",")[0]) for line in listed]


def test_from_seq_shows_each_region_as_reported_and_as_known_now_with_the_explaining_events(
    run, demo, tmp_path
):
    first_close = _seqs(run, "period.closed")[0]
    correction = _seqs(run, "fx.rate_set")[-1]  # the back-dated March USD/CNY rate
    credit_note = _seqs(run, "order.amended", "--id", "CN-PO-0009")[-1]  # back-dated to June

    page = _report(
        run, tmp_path / "r.html", "--as-of", "2025-06-30", "--from-seq", str(first_close)
    )

    section = _section(page, 'id="restatements"', "</section>")
    china = _section(section, "CN: restated", "MY:")
    assert f"as reported (seq {first_close})" in china
    # CN committed as reported then and as known now, by the literal replay of the demo's export.
    for books in (demo_books("2025-06-30", upto_seq=first_close), demo_books("2025-06-30")):
        assert amount(demo_row(books.budget(2025), region="CN")["committed"]) in china
    assert "CN-PO-0009" in china and "CN-PO-0006" in china
    events = _section(china, 'class="explaining-events"', "</table>")
    assert f'"num">{correction}<' in events and f'"num">{credit_note}<' in events
    # The rate correction touches MY too (a USD region) but changes none of its figures.
    assert "MY: unchanged" in section
    assert f"--from-seq {first_close}" in _section(page, 'id="provenance"', "</section>")
    assert '<a href="#restatements">' in page


def test_from_close_uses_each_regions_last_close(run, demo, tmp_path):
    page = _report(run, tmp_path / "r.html", "--as-of", "2025-06-30", "--from-close")

    section = _section(page, 'id="restatements"', "</section>")
    last_close = _seqs(run, "period.closed")[-1]
    assert "CN: unchanged" in section and f"as reported (seq {last_close})" in section
    assert "MY</h3>" in section and "No close recorded" in section


def test_without_a_from_limit_there_is_no_restatements_section(run, demo, tmp_path):
    page = _report(run, tmp_path / "r.html", "--as-of", "2025-06-30")

    assert 'id="restatements"' not in page
    both = run("report", "--from-seq", "1", "--from-close", "-o", tmp_path / "x.html")
    assert both.exit_code == 2
