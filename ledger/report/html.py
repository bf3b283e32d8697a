"""The report's page: one self-contained HTML file of the figures in ledger.report.data, with
the charts of ledger.report.charts inline. Every piece of text from the log is escaped here."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from ledger.report.charts import burndown_svg, group_svg, shares_svg, spend_svg
from ledger.report.data import GroupView, RegionReport, Report
from ledger.report.figures import amount, percent, rate
from ledger.report.restatements import FIGURES, Restatement

SPEND_COLUMNS = ("committed", "received", "invoiced", "paid", "open", "payable")


def table(
    columns: list[tuple[str, str]],
    rows: list[list[Any]],
    css: str,
    row_classes: list[str] | None = None,
) -> str:
    """columns: (heading, kind of its cells), the kind being the cells' css class: "num"
    (figures, right-aligned), "code" (codes, dates and timestamps, never broken across lines),
    "status" (a compliance status, on one line too) or "text" (prose, which wraps). Every cell
    is escaped here."""
    head = "".join(f'<th class="{kind}">{html.escape(name)}</th>' for name, kind in columns)
    body = []
    for index, row in enumerate(rows):
        extra = f' class="{row_classes[index]}"' if row_classes else ""
        cells = "".join(
            f'<td class="{kind}">{html.escape(str(value))}</td>'
            for (_, kind), value in zip(columns, row, strict=True)
        )
        body.append(f"<tr{extra}>{cells}</tr>")
    if not rows:
        body.append(f'<tr><td colspan="{len(columns)}" class="empty">(no rows)</td></tr>')
    return (
        f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def region_section(report: RegionReport, *, as_of: date, year: int) -> str:
    row = report.budget_row
    budget_table = table(
        [
            ("year", "num"),
            ("currency", "code"),
            ("budget", "num"),
            ("committed", "num"),
            ("remaining", "num"),
            ("utilization", "num"),
        ],
        [
            [
                row["year"],
                row["currency"],
                amount(row["budget"]),
                amount(row["committed"]),
                amount(row["remaining"]),
                percent(row["utilization"]),
            ]
        ],
        "budget",
    )
    share_rows = sorted(
        report.share_rows, key=lambda r: (not r["domestic"], -r["share"], r["supplier"])
    )
    shares_table = table(
        [
            ("supplier", "code"),
            ("country", "code"),
            ("domestic", "code"),
            (f"value ({report.currency})", "num"),
            ("units", "num"),
            (f"share ({report.basis})", "num"),
        ],
        [
            [
                r["supplier"],
                r["country"],
                "domestic" if r["domestic"] else "foreign",
                amount(r["value"]),
                f"{r['units']:,}",
                percent(r["share"]),
            ]
            for r in share_rows
        ],
        "shares",
    )
    threshold = (
        "; the black line is the min_domestic_share threshold while that policy is in force"
        if any(t is not None for t in report.threshold)
        else ""
    )
    overrun = report.overrun()
    overrun_text = (
        f' <strong class="overrun">{html.escape(overrun.describe(report.currency))}</strong>'
        if overrun
        else " Committed stayed within the budget."
    )
    leases = html.escape(report.lease_note)
    code = html.escape(report.code)
    title = html.escape(f"{report.code} — {report.name}")
    return f"""
<section class="region" id="region-{code}">
<h2>{title} <span class="muted">({html.escape(report.country)}, budget in {html.escape(report.currency)})</span></h2>
<h3>Budget burn-down {year}</h3>
<figure class="chart burndown" data-region="{code}">{burndown_svg(report, as_of=as_of, year=year)}
<figcaption>Committed to {year} and the {year} budget as of each date (weekly, on every budget revision and on every day an order or lease changed), as the ledger stood at the knowledge limit below. Dotted lines: budget revisions and transfers, labelled with the budget they set where there is room; solid vertical line: the as-of date; shaded in orange: committed above the budget.{overrun_text}</figcaption></figure>
{budget_table}
<h3>Supplier shares {year}</h3>
<figure class="chart shares" data-region="{code}">{shares_svg(report, as_of=as_of, year=year)}
<figcaption>Each supplier's share of the orders charged to {year} as of each date ({html.escape(report.basis)} basis; leases do not count). Domestic suppliers are solid and at the bottom, foreign ones hatched{threshold}. <strong class="leases">{leases}</strong>.</figcaption></figure>
{shares_table}
{spend_part(report, as_of=as_of, year=year)}
</section>"""


def spend_part(report: RegionReport, *, as_of: date, year: int) -> str:
    row = report.spend_row
    spend_table = table(
        [("year", "num"), ("currency", "code"), *((name, "num") for name in SPEND_COLUMNS)],
        [[row["year"], row["currency"], *(amount(row[name]) for name in SPEND_COLUMNS)]]
        if row
        else [],
        "spend",
    )
    code = html.escape(report.code)
    return f"""<h3>Spend {year}</h3>
<figure class="chart spend" data-region="{code}">{spend_svg(report, as_of=as_of, year=year)}
<figcaption>What was committed to {year}, and how much of it was received, invoiced (voided invoices do not count) and paid, as of each date up to {as_of.isoformat()}: each line changes only on a day a document, receipt, invoice, void, payment or scheduled lease payment took effect. Open is committed less invoiced (still to be billed), payable is invoiced less paid (still to be paid); as <code>ledger query spend</code> gives them.</figcaption></figure>
{spend_table}"""


def group_section(group: GroupView, *, as_of: date, year: int) -> str:
    """The group part: the regions side by side in one currency, and the total."""
    amounts = ("budget", "committed", "remaining", "invoiced", "paid")
    group_table = table(
        [
            ("region", "code"),
            ("year", "num"),
            ("currency", "code"),
            ("rate", "num"),
            *((name, "num") for name in amounts),
        ],
        [
            [
                "total" if r["region"] == "*" else r["region"],
                r["year"],
                r["currency"],
                rate(r["rate"]),
                *(amount(r[name]) for name in amounts),
            ]
            for r in group.rows
        ],
        "group",
        ["total" if r["region"] == "*" else "region" for r in group.rows],
    )
    currency = html.escape(group.currency)
    return f"""<section id="group">
<h2>Group {year} in {currency}</h2>
<p>Each region's figures for {year} as of {as_of.isoformat()}, converted exactly at the rate from its currency to {currency} in force on {group.rate_date.isoformat()}; the total adds the exact amounts (rounded only here). As <code>ledger query group --currency {currency}</code> gives them.</p>
<figure class="chart group">{group_svg(group, year=year)}
<figcaption>Budget and committed to {year} per region, in {currency}; a committed bar in orange hatching is above its budget.</figcaption></figure>
{group_table}
</section>"""


def restatements_section(found: list[Restatement], *, as_of: date, year: int) -> str:
    """Per region: its figures as reported at the earlier limit and as known now, the documents
    whose status or total changed, and the events that explain it."""
    parts = []
    for restated in found:
        code = html.escape(restated.region)
        if restated.before is None:
            parts.append(
                f'<h3>{code}</h3><p class="empty">No close recorded: '
                "nothing was reported from closed books.</p>"
            )
            continue
        since = (
            f"as reported when its books were closed (seq {restated.before})"
            if restated.from_close
            else f"as the ledger stood at seq {restated.before}"
        )
        figures = table(
            [("", "text"), *((name, "num") for name in FIGURES)],
            [
                [label, *(amount(row.get(name)) for name in FIGURES)]
                for label, row in (
                    (f"as reported (seq {restated.before})", restated.then),
                    ("as known now", restated.now),
                )
            ],
            "restated",
        )
        documents = table(
            [
                ("kind", "code"),
                ("id", "code"),
                ("status before", "code"),
                ("status after", "code"),
                ("committed before", "num"),
                ("committed after", "num"),
            ],
            [
                [
                    r["kind"],
                    r["id"],
                    r["status_before"] or "",
                    r["status_after"] or "",
                    amount(r["committed_before"]),
                    amount(r["committed_after"]),
                ]
                for r in restated.documents
            ],
            "restated-documents",
        )
        explaining = table(
            [
                ("seq", "num"),
                ("type", "code"),
                ("effective", "code"),
                ("recorded at", "code"),
                ("actor", "code"),
                ("reason", "text"),
                ("regions", "code"),
                ("payload", "text"),
            ],
            [
                [
                    e["seq"],
                    e["type"],
                    e["effective"].isoformat(),
                    e["recorded_at"],
                    e["actor"],
                    e["reason"] or "",
                    e["regions"],
                    e["payload"],
                ]
                for e in restated.events
            ],
            "explaining-events",
        )
        verdict = "restated" if restated.restated else "unchanged"
        parts.append(f"""<h3 class="{verdict}">{code}: {verdict}</h3>
<p>Figures for {year} as of {as_of.isoformat()}, {html.escape(since)}, and as known now.</p>
{figures}
<h4>Orders and leases that changed</h4>
{documents}
<h4>The events that explain it</h4>
{explaining}""")
    return f"""<section id="restatements">
<h2>Restatements</h2>
<p>The events listed are those recorded after the earlier limit, effective by the as-of date, that touch the region. Reproduce with <code>ledger diff budget</code>, <code>ledger diff commitments</code> and <code>ledger diff events</code>.</p>
{"".join(parts)}
</section>"""


STYLE = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 1.5em auto; padding: 0 1.2em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #2166ac; padding-bottom: 0.15em; margin-top: 1.8em; }
h3 { margin: 1.2em 0 0.3em; font-size: 1.05em; color: #444; }
.muted { color: #777; font-weight: normal; font-size: 0.75em; }
.lead { color: #444; margin-top: 0; }
nav a { margin-right: 1em; }
figure { margin: 0.3em 0 0.6em; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; vertical-align: top; }
th { background: #f3f5f8; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.code, th.code, td.status { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.empty { color: #777; font-style: italic; }
tr.violation td.status { color: #fff; background: #b2182b; font-weight: bold; }
tr.pending td.status { background: #fdb863; font-weight: bold; }
tr.ok td.status { color: #1b7837; }
table.group tr.total td { font-weight: bold; border-top: 2px solid #999; }
figcaption strong.overrun { color: #8a3c00; }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1em; }
dl.provenance dt { font-weight: bold; }
dl.provenance dd { margin: 0; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.9em;
       background: #f3f5f8; padding: 0.1em 0.3em; word-break: break-all; }
"""

# Set before anything else runs, so that a script error anywhere on the page is recorded in
# the DOM, where a headless browser test (or a curious reader) can see it.
ERROR_TRAP = (
    "<script>window.addEventListener('error', function (e) {"
    " document.documentElement.dataset.reportErrors ="
    " (document.documentElement.dataset.reportErrors || '') + e.message + ';'; });</script>"
)
READY_MARK = (
    "<script>document.documentElement.dataset.reportReady ="
    " String(document.querySelectorAll('figure.chart svg').length);</script>"
)


def render_html(report: Report) -> str:
    p = report.provenance
    scope = f"region {p.region}" if p.region else "all regions"
    compliance = table(
        [
            ("status", "status"),
            ("policy", "code"),
            ("region", "code"),
            ("subject", "code"),
            ("detail", "text"),
        ],
        [
            [r["status"], r["policy"], r["region"], r["subject"], r["detail"]]
            for r in report.compliance
        ],
        "compliance",
        [html.escape(r["status"]) for r in report.compliance],
    )
    summary = ", ".join(f"{n} {s}" for s, n in report.status_counts.items())
    nav = "".join(
        f'<a href="#region-{html.escape(r.code)}">{html.escape(r.code)}</a>' for r in report.regions
    )
    if report.group:
        nav = '<a href="#group">Group</a>' + nav
    restated = ""
    if report.restatements is not None:
        nav += '<a href="#restatements">Restatements</a>'
        restated = restatements_section(report.restatements, as_of=p.as_of, year=p.year)
    rates = (
        f"<dt>group currency</dt><dd>{html.escape(report.group.currency)} at the rates in force"
        f" on {report.group.rate_date.isoformat()}</dd>"
        if report.group
        else ""
    )
    group = group_section(report.group, as_of=p.as_of, year=p.year) if report.group else ""
    regions = "".join(region_section(r, as_of=p.as_of, year=p.year) for r in report.regions)
    if not report.regions:
        regions = f'<p class="empty">No region opened by {p.as_of.isoformat()} matches.</p>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ledger report {p.year}, as of {p.as_of.isoformat()}</title>
{ERROR_TRAP}
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Procurement ledger report {p.year}</h1>
<p class="lead">As of <strong>{p.as_of.isoformat()}</strong>, {html.escape(scope)}, from the log up to seq <strong>{p.last_seq}</strong> (hash <code>{p.last_hash[:16]}…</code>). Compliance: {html.escape(summary)}.</p>
<nav>{nav}<a href="#compliance">Compliance</a><a href="#provenance">Provenance</a></nav>
</header>
{group}
{regions}
{restated}
<section id="compliance">
<h2>Compliance as of {p.as_of.isoformat()}</h2>
<p>Every enabled policy in force at the as-of date; violations first, then pending, then ok.</p>
{compliance}
</section>
<section id="provenance">
<h2>Provenance</h2>
<dl class="provenance">
<dt>as-of date</dt><dd>{p.as_of.isoformat()} (only events effective on or before it count)</dd>
<dt>budget year</dt><dd>{p.year}</dd>
<dt>regions</dt><dd>{html.escape(scope)}</dd>{rates}
<dt>knowledge limit</dt><dd>{html.escape(p.knowledge)}</dd>
<dt>last seq included</dt><dd>{p.last_seq}</dd>
<dt>its hash</dt><dd><code>{html.escape(p.last_hash)}</code></dd>
<dt>reproduce with</dt><dd><code class="command">{html.escape(p.command)}</code></dd>
</dl>
<p class="muted">The same command on the same log writes the same file, byte for byte. Check the hash above with <code>ledger verify</code> or <code>ledger export events --upto-seq {p.last_seq}</code>.</p>
</section>
{READY_MARK}
</body>
</html>
"""
