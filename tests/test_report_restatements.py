"""`ledger report --from-seq K` / `--from-close`: the report's Restatements section (SPEC §4.6)."""

from __future__ import annotations

from pathlib import Path


def _report(run, path: Path, *args: str) -> str:
    result = run("report", *args, "-o", path)
    assert result.exit_code == 0, result.stderr
    return path.read_text(encoding="utf-8")


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def test_from_seq_shows_each_region_as_reported_and_as_known_now_with_the_explaining_events(
    run, tmp_path
):
    run("demo")

    page = _report(run, tmp_path / "r.html", "--as-of", "2025-06-30", "--from-seq", "42")

    section = _section(page, 'id="restatements"', "</section>")
    china = _section(section, "CN: restated", "MY:")
    assert "as reported (seq 42)" in china
    assert "21,110,800,000.00" in china and "21,047,360,000.00" in china
    assert "CN-PO-0009" in china and "CN-PO-0006" in china
    events = _section(china, 'class="explaining-events"', "</table>")
    assert [seq in events for seq in ('"num">51<', '"num">66<')] == [True, True]
    # The rate correction touches MY too (a USD region) but changes none of its figures.
    assert "MY: unchanged" in section
    assert "--from-seq 42" in _section(page, 'id="provenance"', "</section>")
    assert '<a href="#restatements">' in page


def test_from_close_uses_each_regions_last_close(run, tmp_path):
    run("demo")

    page = _report(run, tmp_path / "r.html", "--as-of", "2025-06-30", "--from-close")

    section = _section(page, 'id="restatements"', "</section>")
    assert "CN: unchanged" in section and "as reported (seq 67)" in section
    assert "MY</h3>" in section and "No close recorded" in section


def test_without_a_from_limit_there_is_no_restatements_section(run, tmp_path):
    run("demo")

    page = _report(run, tmp_path / "r.html", "--as-of", "2025-06-30")

    assert 'id="restatements"' not in page
    both = run("report", "--from-seq", "1", "--from-close", "-o", tmp_path / "x.html")
    assert both.exit_code == 2
