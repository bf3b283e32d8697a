"""The one-page HTML report (`ledger report`): budget burn-down, supplier shares and the spend
layers over the year per region, with `--currency` the group's view in one currency, compliance,
restatements, and the provenance that reproduces it — one self-contained file, charts as inline
SVG drawn by matplotlib (the optional `report` extra).

  data.py           every figure, read through ledger.reads on one snapshot (no drawing)
  restatements.py   the figures at an earlier limit against the report's
  charts.py         the SVG charts, pure functions of the figures (the web view draws them too)
  html.py           the page
  figures.py        how a figure is printed
"""

from __future__ import annotations

from ledger.report.charts import (
    ReportUnavailable,
    burndown_svg,
    group_svg,
    require_matplotlib,
    shares_svg,
    spend_svg,
)
from ledger.report.data import RegionReport, Report, build_report, region_figures
from ledger.report.html import render_html

__all__ = [
    "RegionReport",
    "Report",
    "ReportUnavailable",
    "build_report",
    "burndown_svg",
    "group_svg",
    "region_figures",
    "render_html",
    "require_matplotlib",
    "shares_svg",
    "spend_svg",
]
