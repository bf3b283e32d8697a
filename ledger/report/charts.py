"""The report's charts, drawn by matplotlib (the optional `report` extra) as inline SVG: a
region's budget burn-down, supplier shares and spend layers over the year, and the group's
budget against committed per region. Each is a pure function of the figures in
ledger.report.data, so the web view draws the same charts from the same figures; the same
figures give the same SVG, byte for byte.
"""

from __future__ import annotations

import io
from datetime import date

from ledger.errors import LedgerError
from ledger.report.data import GroupView, RegionReport
from ledger.report.figures import amount, percent, scale, short

# The Okabe–Ito palette (safe for the common colour-vision deficiencies) and its tints: domestic
# suppliers in blues and greens, solid; foreign ones in neutral sand, grey and purple, hatched —
# told apart by pattern as well as colour, and never in an alarm red, since foreign is not wrong.
DOMESTIC_COLOURS = ["#0072b2", "#009e73", "#56b4e9", "#7fc9b3", "#9ccbe8", "#005a8c"]
FOREIGN_COLOURS = ["#e6c98f", "#bbbbbb", "#cc79a7", "#d9b36b", "#8f8f8f", "#e3b5cf"]
# An overrun is the one thing meant to alarm: vermillion, hatched too.
OVERRUN_COLOUR = "#d55e00"
AS_OF_COLOUR = "#444444"


class ReportUnavailable(LedgerError):
    """The plotting library of the `report` extra is not installed."""


def require_matplotlib() -> None:
    """Fail early, with the one line that says what to install."""
    _matplotlib()


def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise ReportUnavailable(
            "the report needs matplotlib: pip install 'procurement-ledger[report]'"
        ) from None
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: smaller, selectable, searchable
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib: the same layout everywhere
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return matplotlib


def _svg(figure, salt: str) -> str:
    """The figure as an <svg> element. A fixed, per-chart hash salt makes the ids of clip paths
    and markers unique within the page and the same on every run (a reproducible file)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure():
    """Every chart has the same size and plot area, so the charts of a page line up; the
    legend goes to the right of the plot, where it never hides a line."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.8))
    figure.subplots_adjust(left=0.085, right=0.74, top=0.9, bottom=0.15)
    return figure, figure.add_subplot()


def _label_axes(axes, currency: str, factor: float, suffix: str, xlabel: str) -> None:
    """Amounts on the y axis in `currency`, scaled as `short` prints them; `xlabel` below."""
    from matplotlib.ticker import FuncFormatter

    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: short(v, factor, suffix)))
    axes.set_ylabel(currency + (f" ({suffix})" if suffix else ""))
    axes.set_xlabel(xlabel)


def _dates_label(start: date, end: date) -> str:
    years = str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    return f"effective date ({years})"


def _mark_as_of(axes, as_of: date, start: date, end: date) -> None:
    """The as-of date: a dark line, labelled above the plot."""
    axes.axvline(as_of, color=AS_OF_COLOUR, linewidth=1.2)
    left_half = (as_of - start).days < (end - start).days / 2
    axes.annotate(
        f"as of {as_of.isoformat()}",
        (as_of, 1),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="left" if left_half else "right",
        va="bottom",
        fontsize=9,
        color=AS_OF_COLOUR,
    )


def _month_axis(axes, start: date, end: date) -> None:
    import matplotlib.dates as mdates

    axes.set_xlim(start, end)
    axes.xaxis.set_major_locator(mdates.MonthLocator())
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    axes.grid(True, axis="y", color="#dddddd", linewidth=0.6)


def _steps(days: list[date], values: list[float]) -> tuple[list[date], list[float]]:
    """A step function (each value holds until the next day) as the corners of its line."""
    xs, ys = [], []
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        xs.append(day)
        ys.append(value)
        if index + 1 < len(days):
            xs.append(days[index + 1])
            ys.append(value)
    return xs, ys


def burndown_svg(report: RegionReport, *, as_of: date, year: int) -> str:
    from matplotlib.patches import Patch

    _matplotlib()
    start, end = min(date(year, 1, 1), as_of), max(date(year, 12, 31), as_of)
    budget = [float(v) for v in report.budget]
    committed = [float(v) for v in report.committed]
    factor, suffix = scale([*budget, *committed])
    figure, axes = _figure()
    days = report.burn_dates
    xs, committed_steps = _steps(days, committed)
    _, budget_steps = _steps(days, budget)
    axes.fill_between(xs, committed_steps, color="#56b4e9", alpha=0.18, linewidth=0)
    utilization = report.budget_row["utilization"]
    used = f"\n({percent(utilization)} of budget)" if utilization is not None else ""
    axes.plot(xs, committed_steps, color="#0072b2", linewidth=2, label=f"committed to {year}{used}")
    axes.plot(
        xs, budget_steps, color="#333333", linewidth=1.6, linestyle="--", label=f"budget {year}"
    )
    # Past the as-of date the budget is drawn faint: the budget as known then, carried on.
    if days and days[-1] < end:
        axes.plot(
            [days[-1], end],
            [budget[-1]] * 2,
            color="#333333",
            linewidth=1.6,
            linestyle="--",
            alpha=0.3,
        )
    handles = [*axes.get_lines()[:2]]
    placed = []  # the labels inside the plot that a revision's label must keep clear of
    overrun = report.overrun()
    if overrun:
        above = [c > b for c, b in zip(committed_steps, budget_steps, strict=True)]
        # A step's two corners share its overrun, so each shaded span ends where the step does.
        axes.fill_between(
            xs,
            budget_steps,
            committed_steps,
            where=above,
            interpolate=False,
            facecolor=OVERRUN_COLOUR,
            alpha=0.45,
            hatch="xx",
            edgecolor=OVERRUN_COLOUR,
            linewidth=0,
        )
        # However thin the excess, the days it lasted are marked across the whole plot.
        for since, until in overrun.spans:
            axes.axvspan(
                since, until, facecolor=OVERRUN_COLOUR, alpha=0.22, linewidth=0, zorder=1.5
            )
            axes.axvspan(
                since,
                until,
                facecolor="none",
                edgecolor=OVERRUN_COLOUR,
                hatch="xx",
                alpha=0.6,
                linewidth=0,
                zorder=1.5,
            )
        handles.append(
            Patch(
                facecolor="#f5cfb3",
                hatch="xx",
                edgecolor=OVERRUN_COLOUR,
                linewidth=0,
                label="over budget",
            )
        )
        peak_value = committed[days.index(overrun.peak_day)]
        left_half = (overrun.peak_day - start).days < (end - start).days / 2
        peak = axes.annotate(
            f"peak overrun {amount(overrun.peak)} {report.currency}\non {overrun.peak_day.isoformat()}",
            (overrun.peak_day, peak_value),
            xytext=(12 if left_half else -12, 14),
            textcoords="offset points",
            ha="left" if left_half else "right",
            va="bottom",
            fontsize=8.5,
            color="#8a3c00",
            fontweight="bold",
            arrowprops={"arrowstyle": "->", "color": "#8a3c00", "linewidth": 0.9},
        )
        peak.set_gid(f"peak-overrun-{report.code}-{year}")
        placed.append(peak)
    # The limits first: where a label has room depends on them.
    _month_axis(axes, start, end)
    top = max([*budget, *committed, 0.0])
    axes.set_ylim(0, top * 1.22 if top > 0 else 1)
    revised = [(day, budget[days.index(day)]) for day in report.revisions if day in days]
    for revision, _ in revised:
        axes.axvline(revision, color="#999999", linewidth=0.7, linestyle=":")
    _label_revisions(
        figure,
        axes,
        [
            (day, value, f"{short(value, factor, suffix)} {report.currency}")
            for day, value in revised
        ],
        avoid=placed,
        gid=f"revision-{report.code}-{year}",
    )
    _mark_as_of(axes, as_of, start, end)
    _label_axes(axes, report.currency, factor, suffix, _dates_label(start, end))
    axes.legend(
        handles=[*handles, _revision_handle()],
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
        fontsize=9,
    )
    return _svg(figure, f"burndown-{report.code}-{year}")


# Where a budget revision's label may go, in order of preference, as (x, y) offsets in points
# from the start of the new budget's step and the side of the text that sits there: just above
# the step, on the right of the dotted line and then on its left, then one line higher (no
# higher: a label further up would no longer read as its step's).
LABEL_PLACES = ((3, 4, "left"), (-3, 4, "right"), (3, 16, "left"), (-3, 16, "right"))


def _label_revisions(figure, axes, revisions, *, avoid, gid: str) -> None:
    """Label budget revisions (day, budget set, text) where there is room: inside the plot and
    clear of the labels placed before (those in `avoid` first). The last revision, the budget
    in force at the as-of date, is placed first, then the others by date; one with no room
    keeps its dotted line only, so that the labels of a ledger revised every week never pile
    up. The labels are drawn in date order, each in an SVG group `{gid}-{index}`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(figure).get_renderer()  # measures text as the SVG lays it out
    inside = axes.get_window_extent(renderer)
    taken = []
    for other in avoid:  # their text only: a label may cross an arrow
        other.update_positions(renderer)
        taken.append(Text.get_window_extent(other, renderer).padded(2))
    chosen: dict[int, tuple[int, int, str]] = {}
    for index in [*range(len(revisions))[-1:], *range(len(revisions) - 1)]:
        day, value, text = revisions[index]
        trial = axes.annotate(
            text, (day, value), xytext=LABEL_PLACES[0][:2], textcoords="offset points", fontsize=8
        )
        for dx, dy, side in LABEL_PLACES:
            trial.set_position((dx, dy))
            trial.set_horizontalalignment(side)
            box = trial.get_window_extent(renderer).padded(2)
            fits = (
                inside.x0 <= box.x0
                and box.x1 <= inside.x1
                and inside.y0 <= box.y0
                and box.y1 <= inside.y1
            )
            if fits and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                chosen[index] = (dx, dy, side)
                break
        trial.remove()
    for index, (dx, dy, side) in sorted(chosen.items()):
        day, value, text = revisions[index]
        label = axes.annotate(
            text,
            (day, value),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=side,
            fontsize=8,
            color="#333333",
        )
        label.set_gid(f"{gid}-{index}")


def _revision_handle():
    from matplotlib.lines import Line2D

    return Line2D([], [], color="#999999", linewidth=0.7, linestyle=":", label="budget revised")


def shares_svg(report: RegionReport, *, as_of: date, year: int) -> str:
    from matplotlib.ticker import PercentFormatter

    _matplotlib()
    start, end = min(date(year, 1, 1), as_of), max(date(year, 12, 31), as_of)
    figure, axes = _figure()
    suppliers = sorted(report.shares, key=lambda s: (not report.domestic[s], s))
    domestic = [s for s in suppliers if report.domestic[s]]
    foreign = [s for s in suppliers if not report.domestic[s]]
    colours = [DOMESTIC_COLOURS[i % len(DOMESTIC_COLOURS)] for i in range(len(domestic))] + [
        FOREIGN_COLOURS[i % len(FOREIGN_COLOURS)] for i in range(len(foreign))
    ]
    if suppliers:
        areas = axes.stackplot(
            report.dates,
            [report.shares[s] for s in suppliers],
            colors=colours,
            step="post",
            labels=[f"{s} ({'domestic' if report.domestic[s] else 'foreign'})" for s in suppliers],
            edgecolor="white",
            linewidth=0.4,
        )
        for area, supplier in zip(areas, suppliers, strict=True):
            if not report.domestic[supplier]:
                area.set_hatch("///")
    has_threshold = any(t is not None for t in report.threshold)
    if has_threshold:
        threshold = [float("nan") if t is None else t for t in report.threshold]
        axes.plot(
            report.dates,
            threshold,
            color="black",
            linewidth=1.8,
            drawstyle="steps-post",
            label="min_domestic_share\nthreshold",
        )
    _mark_as_of(axes, as_of, start, end)
    _month_axis(axes, start, end)
    axes.set_ylim(0, 1)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_ylabel(f"share ({report.basis} basis)")
    axes.set_xlabel("effective date")
    if suppliers or has_threshold:
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
    if not suppliers:
        axes.text(
            0.5,
            0.5,
            f"no orders charged to {year}",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color="#666666",
        )
    # Shares count orders only: say how much of the region's committed they leave out.
    axes.annotate(
        report.lease_note,
        (0, 1),
        xycoords="axes fraction",
        xytext=(0, 5),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=9,
        color="#333333",
        fontweight="bold",
    )
    return _svg(figure, f"shares-{report.code}-{year}")


# The spend layers, in the order they follow one another, each told apart by dash as well as colour.
SPEND_LAYERS = (
    ("committed", "#0072b2", "-", 2.0),
    ("received", "#009e73", "--", 1.8),
    ("invoiced", "#e69f00", "-.", 1.8),
    ("paid", "#cc79a7", ":", 2.2),
)


def spend_svg(report: RegionReport, *, as_of: date, year: int) -> str:
    """The spend layers of the region over the year up to the as-of date: committed, received,
    invoiced and paid as steps, each holding until the next day one of them changes."""

    _matplotlib()
    start, end = min(date(year, 1, 1), as_of), max(date(year, 12, 31), as_of)
    series = {name: [float(row[name]) for row in report.spend] for name, *_ in SPEND_LAYERS}
    factor, suffix = scale([v for values in series.values() for v in values])
    figure, axes = _figure()
    days = report.spend_dates
    paid_xs, paid_steps = _steps(days, series["paid"])
    axes.fill_between(paid_xs, paid_steps, color="#cc79a7", alpha=0.12, linewidth=0)
    last = report.spend_row
    for name, colour, style, width in SPEND_LAYERS:
        xs, ys = _steps(days, series[name])
        value = f"\n{amount(last[name])} {report.currency}" if last else ""
        axes.plot(xs, ys, color=colour, linestyle=style, linewidth=width, label=f"{name}{value}")
    if not days:
        axes.text(
            0.5,
            0.5,
            f"nothing committed to {year}",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color="#666666",
        )
    _mark_as_of(axes, as_of, start, end)
    _month_axis(axes, start, end)
    top = max([v for values in series.values() for v in values] + [0.0])
    axes.set_ylim(0, top * 1.22 if top > 0 else 1)
    _label_axes(axes, report.currency, factor, suffix, _dates_label(start, end))
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
    return _svg(figure, f"spend-{report.code}-{year}")


def group_svg(group: GroupView, *, year: int) -> str:
    """Budget against committed per region, both in the reporting currency: side by side bars,
    the committed one in orange hatching where it is above the budget."""
    from matplotlib.patches import Patch

    _matplotlib()
    rows = group.regions
    budget = [float(r["budget"]) for r in rows]
    committed = [float(r["committed"]) for r in rows]
    factor, suffix = scale([*budget, *committed])
    figure, axes = _figure()
    places = list(range(len(rows)))
    width = 0.38
    axes.bar(
        [x - width / 2 for x in places],
        budget,
        width,
        color="#bbbbbb",
        edgecolor="#333333",
        linewidth=0.8,
        label=f"budget {year}",
    )
    over = [c > b for c, b in zip(committed, budget, strict=True)]
    bars = axes.bar(
        [x + width / 2 for x in places],
        committed,
        width,
        color=[OVERRUN_COLOUR if o else "#0072b2" for o in over],
        linewidth=0,
        label=f"committed to {year}",
    )
    for bar, above in zip(bars, over, strict=True):
        if above:
            bar.set_hatch("xx")
    for x, row in zip(places, rows, strict=True):
        value = float(row["committed"])
        axes.annotate(
            short(value, factor, suffix),
            (x + width / 2, value),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            color="#333333",
        )
    axes.set_xticks(places, [r["region"] for r in rows])
    axes.set_xlim(-0.6, max(len(rows), 1) - 0.4)
    top = max([*budget, *committed, 0.0])
    axes.set_ylim(0, top * 1.15 if top > 0 else 1)
    axes.grid(True, axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    _label_axes(
        axes,
        group.currency,
        factor,
        suffix,
        f"region (at the rates in force on {group.rate_date.isoformat()})",
    )
    handles, _ = axes.get_legend_handles_labels()
    if any(over):
        handles.append(
            Patch(facecolor=OVERRUN_COLOUR, hatch="xx", linewidth=0, label="committed over budget")
        )
    axes.legend(
        handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9
    )
    return _svg(figure, f"group-{group.currency}-{year}")
