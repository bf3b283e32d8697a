"""The one-page HTML report (`ledger report`): budget burn-down, supplier shares and the spend
layers over the year per region, with `--currency` the group's view in one currency, and
compliance, with the provenance that reproduces it — one self-contained file, charts as inline SVG
drawn by matplotlib (the optional `report` extra).

Everything is read through the public `Ledger` facade: the points of each chart come from one
sweep over the region's documents (`Ledger.series`), each point equal to the point-in-time query
at its sample date under the same knowledge limit (a property test holds them to it), so the
charts agree with `ledger query`.
"""

from __future__ import annotations

import html
import io
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import literal, select, union

from ledger import schema
from ledger.dates import as_date
from ledger.errors import LedgerError
from ledger.money import round_half_up
from ledger.reads.compliance import STATUS_ORDER

GENESIS_HASH = "0" * 64
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


@dataclass(frozen=True)
class Provenance:
    as_of: date
    year: int
    region: str | None
    knowledge: str  # how the knowledge limit was given, in words
    last_seq: int
    last_hash: str
    command: str


@dataclass
class RegionReport:
    code: str
    name: str
    country: str
    currency: str
    budget_row: dict[str, Any]
    share_rows: list[dict[str, Any]]
    basis: str
    # The burn-down: budget and committed (exact) as of each of its dates — weekly, on every
    # budget revision and on every day a document changed, so that both are step functions
    # known exactly between points; the budget's revision dates.
    burn_dates: list[date] = field(default_factory=list)
    budget: list[Decimal] = field(default_factory=list)
    committed: list[Fraction] = field(default_factory=list)
    revisions: list[date] = field(default_factory=list)
    # The sample dates of the shares chart (weekly, revisions, policy changes).
    dates: list[date] = field(default_factory=list)
    # Shares over the year: each supplier's share at each sample date, whether it is domestic,
    # and the min_domestic_share threshold where that policy is in force (None elsewhere).
    shares: dict[str, list[float]] = field(default_factory=dict)
    domestic: dict[str, bool] = field(default_factory=dict)
    threshold: list[float | None] = field(default_factory=list)
    # The spend layers (SPEC §4.7): the query_spend row of the region at each of spend_dates
    # (the start of the year, every day one of the layers or committed can change, and the
    # as-of date), so that each layer is a step function known exactly between points; the
    # last row is the one at the as-of date.
    spend_dates: list[date] = field(default_factory=list)
    spend: list[dict[str, Any]] = field(default_factory=list)

    @property
    def spend_row(self) -> dict[str, Any]:
        return self.spend[-1] if self.spend else {}

    @property
    def leases(self) -> Fraction:
        """The part of the year's committed that is lease payments and fees: committed less
        the orders (the shares' values), which is what the shares leave out (SPEC §4.4)."""
        orders = sum((Fraction(r["value"]) for r in self.share_rows), Fraction(0))
        return max(Fraction(self.budget_row["committed"]) - orders, Fraction(0))

    def overrun(self) -> Overrun | None:
        """Where committed lay above the budget in the burn-down, and its peak; None if never."""
        spans, peak, peak_day = [], Fraction(0), None
        for index, day in enumerate(self.burn_dates):
            excess = Fraction(self.committed[index]) - Fraction(self.budget[index])
            if excess > 0:
                following = (
                    self.burn_dates[index + 1]
                    if index + 1 < len(self.burn_dates)
                    else day + timedelta(days=1)
                )
                if spans and spans[-1][1] == day:
                    spans[-1] = (spans[-1][0], following)
                else:
                    spans.append((day, following))
                if excess > peak:
                    peak, peak_day = excess, day
        return Overrun(peak, peak_day, spans) if peak_day else None


@dataclass(frozen=True)
class Overrun:
    peak: Fraction
    peak_day: date
    spans: list[tuple[date, date]]  # [from, until): the days committed was above the budget

    def describe(self, currency: str) -> str:
        periods = "; ".join(
            start.isoformat()
            if (end - start).days == 1
            else f"{start.isoformat()} to {(end - timedelta(days=1)).isoformat()}"
            for start, end in self.spans
        )
        return (
            f"Over budget {periods}; peak overrun {_amount(self.peak)} {currency} "
            f"on {self.peak_day.isoformat()}."
        )


@dataclass(frozen=True)
class Report:
    provenance: Provenance
    regions: list[RegionReport]
    compliance: list[dict[str, Any]]
    restatements: str = ""  # the "Restatements" section's HTML, with --from-seq or --from-close
    group: GroupView | None = None  # with --currency


@dataclass(frozen=True)
class GroupView:
    """The rows of `query group` (SPEC §4.8): each region's figures in one reporting currency
    at the rates in force on the rate date, then the total (region `*`)."""

    currency: str
    rate_date: date
    rows: list[dict[str, Any]]

    @property
    def regions(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["region"] != "*"]


def build_report(
    ledger,
    *,
    as_of: date | None = None,
    year: int | None = None,
    region: str | None = None,
    known_at: object = None,
    upto_seq: int | None = None,
    db: str = "ledger.db",
    output: str = "report.html",
    from_seq: int | None = None,
    from_close: bool = False,
    currency: str | None = None,
    rate_date: date | None = None,
) -> Report:
    """Gather everything the report shows. `db` and `output` only go into the command printed
    in the provenance, which pins the as-of date and the last seq included."""
    as_of = as_of or date.today()
    year = year or as_of.year
    knowledge = ledger.knowledge(known_at=known_at, upto_seq=upto_seq)
    last_seq, last_hash = _last_included(ledger, knowledge.upto_seq)
    if known_at is not None:
        limit = f"--known-at {known_at}: events recorded by then (seq ≤ {last_seq})"
    elif upto_seq is not None:
        limit = f"--upto-seq {upto_seq}: events with seq ≤ {upto_seq}"
    else:
        limit = f"none: every event recorded when the report was made (seq ≤ {last_seq})"
    group = None
    if currency is not None:
        rows = ledger.query_group(
            currency=currency,
            as_of=as_of,
            year=year,
            region=region,
            rate_date=rate_date,
            knowledge=knowledge,
        )
        group = GroupView(currency, rate_date or as_of, rows)
    command = reproduce_command(
        db=db,
        as_of=as_of,
        year=year,
        region=region,
        upto_seq=last_seq,
        output=output,
        currency=currency,
        rate_date=rate_date,
    )
    if from_seq is not None or from_close:
        command += f" --from-seq {from_seq}" if from_seq is not None else " --from-close"
    provenance = Provenance(as_of, year, region, limit, last_seq, last_hash, command)

    policies = ledger.policies(as_of=as_of, region=region, knowledge=knowledge)
    regions = []
    for row in ledger.regions(as_of=as_of, region=region, knowledge=knowledge):
        code = row["region"]
        basis = (
            next(
                (
                    p["basis"]
                    for p in policies
                    if p["region"] == code and p["enabled"] and p["policy"] == "min_domestic_share"
                ),
                None,
            )
            or "value"
        )
        report = RegionReport(
            code=code,
            name=row["name"],
            country=row["country"],
            currency=row["currency"],
            budget_row={},
            share_rows=[],
            basis=basis,
        )
        # The series ends at the as-of date: its last point is the budget and share rows
        # query_budget and query_shares give there.
        last = _fill_series(ledger, report, as_of=as_of, year=year, knowledge=knowledge)
        (report.budget_row,) = last.budget
        report.share_rows = last.share_rows(basis)
        regions.append(report)
    _fill_spend(ledger, regions, as_of=as_of, year=year, region=region, knowledge=knowledge)
    rows = ledger.compliance(as_of=as_of, region=region, knowledge=knowledge)
    rows = sorted(rows, key=lambda r: STATUS_ORDER.get(r["status"], len(STATUS_ORDER)))
    restated = ""
    if from_seq is not None or from_close:
        restated = restatements_section(
            ledger,
            [r.code for r in regions],
            as_of=as_of,
            year=year,
            knowledge=knowledge,
            from_seq=from_seq,
        )
    return Report(provenance, regions, rows, restated, group)


def reproduce_command(
    *,
    db: str,
    as_of: date,
    year: int,
    region: str | None,
    upto_seq: int,
    output: str,
    currency: str | None = None,
    rate_date: date | None = None,
) -> str:
    """The command that draws the same report again: the same as-of date and year, and the
    knowledge limit pinned to the last seq included (the same events as --known-at, since
    recorded_at never decreases along seq)."""
    words = [
        "ledger",
        "--db",
        db,
        "report",
        "--as-of",
        as_of.isoformat(),
        "--year",
        str(year),
        "--upto-seq",
        str(upto_seq),
    ]
    if region:
        words += ["--region", region]
    if currency:
        words += ["--currency", currency]
        if rate_date:
            words += ["--rate-date", rate_date.isoformat()]
    words += ["-o", output]
    return shlex.join(words)


def _last_included(ledger, upto_seq: int | None) -> tuple[int, str]:
    head_seq, head_hash = ledger.head()
    if upto_seq is None or upto_seq >= head_seq:
        return head_seq, head_hash or GENESIS_HASH
    if upto_seq == 0:
        return 0, GENESIS_HASH
    events = schema.events
    with ledger.engine.connect() as connection:
        found = connection.execute(select(events.c.hash).where(events.c.seq == upto_seq)).scalar()
    return upto_seq, found


def sample_dates(start: date, end: date, extra: Iterable[date]) -> list[date]:
    """Weekly points from start to end, plus every date in extra within that range (revisions
    and policy changes, so that their steps fall on the right day), plus end itself."""
    points = set()
    day = start
    while day <= end:
        points.add(day)
        if (end - day).days < 7:  # also stops before stepping past 9999-12-31
            break
        day += timedelta(days=7)
    points.add(end)
    points.update(d for d in extra if start <= d <= end)
    return sorted(points)


def _document_days(ledger, region: str, start: date, end: date, upto_seq: int | None) -> list[date]:
    """The days from start to end on which one of the region's orders or leases was placed,
    signed, amended, cancelled or terminated: its committed changes on no other day."""
    orders, changes, leases, terminations = (
        schema.orders,
        schema.order_changes,
        schema.leases,
        schema.lease_terminations,
    )

    def days(table, *where):
        conditions = [table.c.effective >= start, table.c.effective <= end, *where]
        if upto_seq is not None:
            conditions.append(table.c.seq <= upto_seq)
        return select(table.c.effective).where(*conditions)

    query = union(
        days(orders, orders.c.region == region),
        days(changes, changes.c.region == region),
        days(leases, leases.c.region == region),
        days(
            terminations,
            terminations.c.lease.in_(select(leases.c.lease).where(leases.c.region == region)),
        ),
    )
    with ledger.engine.connect() as connection:
        return sorted({as_date(day) for day in connection.execute(query).scalars()})


def _spend_changes(
    ledger, regions: list[str], start: date, end: date, upto_seq: int | None
) -> dict[date, set[tuple[str, str]]]:
    """Per day from start to end, the orders and leases (kind, id) of the regions whose spend
    layers can change that day (SPEC §4.7): a receipt, an invoice, a void or a payment of theirs
    took effect, an order was amended or cancelled (its unit price values what was received), a
    lease was terminated or one of its scheduled payments fell due. On no other day can a layer
    change."""
    from ledger.dates import add_months

    receipts, invoices, voids, payments = (
        schema.receipts,
        schema.invoices,
        schema.invoice_voids,
        schema.payments,
    )
    changes, leases, terminations = schema.order_changes, schema.leases, schema.lease_terminations

    def within(table, *where):
        conditions = [table.c.effective >= start, table.c.effective <= end, *where]
        if upto_seq is not None:
            conditions.append(table.c.seq <= upto_seq)
        return conditions

    queries = [
        select(receipts.c.effective, literal("order"), receipts.c.order_id).where(
            *within(receipts, receipts.c.region.in_(regions))
        ),
        select(invoices.c.effective, invoices.c.kind, invoices.c.document).where(
            *within(invoices, invoices.c.region.in_(regions))
        ),
        select(changes.c.effective, literal("order"), changes.c.order_id).where(
            *within(changes, changes.c.region.in_(regions))
        ),
        select(terminations.c.effective, literal("lease"), terminations.c.lease)
        .join_from(terminations, leases, leases.c.lease == terminations.c.lease)
        .where(*within(terminations, leases.c.region.in_(regions))),
    ]
    for table in (voids, payments):
        queries.append(
            select(table.c.effective, invoices.c.kind, invoices.c.document)
            .join_from(table, invoices, invoices.c.invoice == table.c.invoice)
            .where(*within(table, table.c.region.in_(regions)))
        )
    lease_query = select(leases.c.lease, leases.c.start, leases.c.months).where(
        leases.c.region.in_(regions), leases.c.effective <= end
    )
    if upto_seq is not None:
        lease_query = lease_query.where(leases.c.seq <= upto_seq)
    found: dict[date, set[tuple[str, str]]] = {}
    with ledger.engine.connect() as connection:
        for query in queries:
            for day, kind, code in connection.execute(query):
                found.setdefault(as_date(day), set()).add((kind, code))
        for code, first, months in connection.execute(lease_query):
            first = as_date(first)
            # Payment k falls due on first + k months: only those from start to end matter.
            k = max(0, (start.year - first.year) * 12 + start.month - first.month - 1)
            while k < months:
                due = add_months(first, k)
                if due > end:
                    break
                if due >= start:
                    found.setdefault(due, set()).add(("lease", code))
                k += 1
    return found


class _SpendSweep:
    """Every order and lease of some regions with what can change its spend layers in a budget
    year (SPEC §4.7) — changes, receipts, invoices, voids, payments, termination — read once as
    of the last day, then valued at any earlier day with the very rules `query spend` applies
    (ledger.semantics.spend), in the region's currency at the document's booked rate."""

    def __init__(
        self, connection, regions: list[str], year: int, as_of: date, upto_seq, region=None
    ):
        from ledger.reads.rates import rate_book
        from ledger.reads.spend import _later_life
        from ledger.sql import visible

        self.year = year
        # A document's booked rate is the one in force on the day it was placed or signed, so
        # the rates known as of the last day give every earlier day's bookings too.
        self.rate = rate_book(connection, as_of, upto_seq)
        orders, changes, leases, terminations, regions_table = (
            schema.orders,
            schema.order_changes,
            schema.leases,
            schema.lease_terminations,
            schema.regions,
        )
        currency = {
            code: money
            for code, money in connection.execute(
                select(regions_table.c.region, regions_table.c.currency)
            )
        }
        self.orders = _later_life(
            connection, as_of, upto_seq, kind="order", region=region, year=year
        )
        self.leases = _later_life(connection, as_of, upto_seq, kind="lease", region=region)
        wanted = set(self.orders.receipts) | set(self.orders.invoices)
        self.order_rows: dict[str, Any] = {}
        for row in connection.execute(
            select(orders).where(
                orders.c.region.in_(regions),
                orders.c.year == year,
                *visible(orders, as_of, upto_seq),
            )
        ):
            if row.order_id in wanted:
                self.order_rows[row.order_id] = row
        self.changes: dict[str, list] = {}
        for row in connection.execute(
            select(changes)
            .where(changes.c.region.in_(regions), *visible(changes, as_of, upto_seq))
            .order_by(changes.c.order_id, changes.c.effective, changes.c.seq)
        ):
            if row.order_id in self.order_rows:
                self.changes.setdefault(row.order_id, []).append(row)
        self.lease_rows = {
            row.lease: row
            for row in connection.execute(
                select(leases).where(
                    leases.c.region.in_(regions), *visible(leases, as_of, upto_seq)
                )
            )
        }
        self.terminations = {
            row.lease: row
            for row in connection.execute(
                select(terminations).where(*visible(terminations, as_of, upto_seq))
            )
            if row.lease in self.lease_rows
        }
        self.currency = currency

    def value(self, kind: str, code: str, day: date) -> tuple[str, list[Fraction]] | None:
        """The document's received, invoiced and paid charged to the year as of `day` (None
        before it was placed or signed)."""
        from ledger.semantics.orders import as_placed, order_state
        from ledger.semantics.spend import (
            billed,
            billed_per_year,
            lease_received_per_year,
            order_received_value,
            received_quantity,
        )

        if kind == "order":
            row = self.order_rows.get(code)
            if row is None or as_date(row.effective) > day:
                return None
            later = self.orders
            changes = [
                (c.kind, c.quantity, c.unit_price)
                for c in self.changes.get(code, ())
                if as_date(c.effective) <= day
            ]
            state = order_state(as_placed(row.quantity, row.unit_price), changes)
            totals = billed(later.invoices.get(code, ()), later.voided, later.payments, day)
            received = received_quantity(later.receipts.get(code, ()), day)
            amounts = [order_received_value(received, state.unit_price), totals.amount, totals.paid]
            placed = as_date(row.effective)
        else:
            row = self.lease_rows.get(code)
            if row is None or as_date(row.effective) > day:
                return None
            later = self.leases
            ended = self.terminations.get(code)
            terminated = None
            if ended is not None and as_date(ended.effective) <= day:
                terminated = as_date(ended.effective)
            received = lease_received_per_year(
                as_date(row.start),
                row.months,
                row.monthly_payment,
                day,
                terminated,
                (ended.fee if terminated else None) or 0,
            ).get(self.year, Decimal(0))
            invoices = [
                i for i in later.invoices.get(code, ()) if as_date(i["effective"]).year == self.year
            ]
            totals = billed_per_year(invoices, later.voided, later.payments, day).get(self.year)
            amounts = [received, totals.amount if totals else 0, totals.paid if totals else 0]
            placed = as_date(row.effective)
        booked = self.rate.rate(self.rate.booking(row.currency, self.currency[row.region], placed))
        return row.region, [Fraction(a) * booked if a else Fraction(0) for a in amounts]


def _fill_spend(
    ledger, regions: list[RegionReport], *, as_of: date, year: int, region: str | None, knowledge
) -> None:
    """Fill each region's spend layers at every day one of them can change: every document
    valued at the start of the year, then on each day only those that change that day, each
    with `query spend`'s own rules, so that each point is the exact sum `query spend` gives at
    its date (its rows are sums over the documents). Committed comes from the burn-down, whose
    dates include every day a document changed. The point at the as-of date is `query spend`'s
    row itself."""
    from bisect import bisect_right

    from ledger.reads.spend import LAYERS

    if not regions:
        return
    start = min(date(year, 1, 1), as_of)
    codes = [r.code for r in regions]
    changed = _spend_changes(ledger, codes, start, as_of, knowledge.upto_seq)
    by_code = {r.code: r for r in regions}
    values: dict[tuple[str, str], tuple[str, list[Fraction]]] = {}
    totals = {code: [Fraction(0)] * len(LAYERS) for code in codes}
    with ledger.engine.connect() as connection:
        sweep = _SpendSweep(connection, codes, year, as_of, knowledge.upto_seq, region)
        everything = {("order", c) for c in sweep.order_rows} | {
            ("lease", c) for c in sweep.lease_rows
        }
        # The burn-down's dates too: committed changes on no other day.
        days = {start, *changed, *(d for r in regions for d in r.burn_dates)}
        for day in sorted(d for d in days if start <= d < as_of):
            for key in everything if day == start else changed.get(day, ()):
                if key in values:
                    where, old = values.pop(key)
                    totals[where] = [t - o for t, o in zip(totals[where], old, strict=True)]
                found = sweep.value(*key, day)
                if found is not None and found[0] in totals:
                    where, new = values[key] = found
                    totals[where] = [t + n for t, n in zip(totals[where], new, strict=True)]
            for code in codes:
                report = by_code[code]
                index = bisect_right(report.burn_dates, day) - 1
                committed = report.committed[index] if index >= 0 else Fraction(0)
                report.spend_dates.append(day)
                report.spend.append(
                    {"committed": committed, **dict(zip(LAYERS, totals[code], strict=True))}
                )
    for row in ledger.query_spend(as_of=as_of, year=year, region=region, knowledge=knowledge):
        report = by_code.get(row["region"])
        if report is not None:
            report.spend_dates.append(as_of)
            report.spend.append(row)


def _fill_series(ledger, report: RegionReport, *, as_of: date, year: int, knowledge):
    """Fill the report's charts; return the series' point at the as-of date."""
    start = min(date(year, 1, 1), as_of)
    document_days = _document_days(ledger, report.code, start, as_of, knowledge.upto_seq)
    revisions = sorted(
        {
            e.effective
            for e in ledger.log(
                types=("budget.revised", "budget.transferred"),
                region=report.code,
                effective_to=as_of,
                knowledge=knowledge,
            )
            if e.payload["year"] == year
        }
    )
    changes = {
        e.effective
        for e in ledger.log(
            types=("policy.changed",), region=report.code, effective_to=as_of, knowledge=knowledge
        )
        if e.payload["policy"] == "min_domestic_share"
    }
    report.revisions = [d for d in revisions if start <= d]
    report.burn_dates = sample_dates(start, as_of, [*revisions, *document_days])
    report.dates = sample_dates(start, as_of, [*revisions, *changes])
    # One sweep gives both charts' points: each equals the point query at its date.
    points = {
        point.as_of: point
        for point in ledger.series(
            region=report.code,
            year=year,
            dates=[*report.burn_dates, *report.dates],
            knowledge=knowledge,
        )
    }
    for day in report.burn_dates:
        budget = points[day].budget
        report.budget.append(budget[0]["budget"] if budget else Decimal(0))
        report.committed.append(budget[0]["committed"] if budget else Fraction(0))
    thresholds = ledger.policy_series(
        region=report.code, policy="min_domestic_share", dates=report.dates, knowledge=knowledge
    )
    for day in report.dates:
        policy = thresholds[day]
        report.threshold.append(float(Decimal(policy["threshold"])) if policy else None)
        for row in points[day].share_rows(report.basis):
            series = report.shares.setdefault(row["supplier"], [])
            series.extend([0.0] * (len(report.threshold) - 1 - len(series)))
            series.append(float(row["share"]))
            report.domestic[row["supplier"]] = bool(row["domestic"])
    for series in report.shares.values():
        series.extend([0.0] * (len(report.dates) - len(series)))
    return points[as_of]


# -- charts ---------------------------------------------------------------------------------


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


def _scale(values: Iterable[float]) -> tuple[float, str]:
    top = max((abs(v) for v in values), default=0.0)
    for factor, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if top >= factor:
            return factor, suffix
    return 1.0, ""


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
    from matplotlib.ticker import FuncFormatter

    _matplotlib()
    start, end = min(date(year, 1, 1), as_of), max(date(year, 12, 31), as_of)
    budget = [float(v) for v in report.budget]
    committed = [float(v) for v in report.committed]
    factor, suffix = _scale([*budget, *committed])
    figure, axes = _figure()
    days = report.burn_dates
    xs, committed_steps = _steps(days, committed)
    _, budget_steps = _steps(days, budget)
    axes.fill_between(xs, committed_steps, color="#56b4e9", alpha=0.18, linewidth=0)
    utilization = report.budget_row["utilization"]
    used = f"\n({_percent(utilization)} of budget)" if utilization is not None else ""
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
        axes.annotate(
            f"peak overrun {_amount(overrun.peak)} {report.currency}\non {overrun.peak_day.isoformat()}",
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
    for revision in report.revisions:
        if revision in days:
            value = budget[days.index(revision)]
            axes.axvline(revision, color="#999999", linewidth=0.7, linestyle=":")
            axes.annotate(
                f"{_short(value, factor, suffix)} {report.currency}",
                (revision, value),
                xytext=(3, 4),
                textcoords="offset points",
                fontsize=8,
                color="#333333",
            )
    _mark_as_of(axes, as_of, start, end)
    _month_axis(axes, start, end)
    top = max([*budget, *committed, 0.0])
    axes.set_ylim(0, top * 1.22 if top > 0 else 1)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v, factor, suffix)))
    axes.set_ylabel(f"{report.currency}" + (f" ({suffix})" if suffix else ""))
    axes.set_xlabel(
        f"effective date ({start.year})"
        if start.year == end.year
        else f"effective date ({start.year}–{end.year})"
    )
    axes.legend(
        handles=[*handles, _revision_handle()],
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
        fontsize=9,
    )
    return _svg(figure, f"burndown-{report.code}-{year}")


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
        lease_note(report),
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
    from matplotlib.ticker import FuncFormatter

    _matplotlib()
    start, end = min(date(year, 1, 1), as_of), max(date(year, 12, 31), as_of)
    series = {name: [float(row[name]) for row in report.spend] for name, *_ in SPEND_LAYERS}
    factor, suffix = _scale([v for values in series.values() for v in values])
    figure, axes = _figure()
    days = report.spend_dates
    paid_xs, paid_steps = _steps(days, series["paid"])
    axes.fill_between(paid_xs, paid_steps, color="#cc79a7", alpha=0.12, linewidth=0)
    last = report.spend_row
    for name, colour, style, width in SPEND_LAYERS:
        xs, ys = _steps(days, series[name])
        value = f"\n{_amount(last[name])} {report.currency}" if last else ""
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
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v, factor, suffix)))
    axes.set_ylabel(f"{report.currency}" + (f" ({suffix})" if suffix else ""))
    axes.set_xlabel(
        f"effective date ({start.year})"
        if start.year == end.year
        else f"effective date ({start.year}–{end.year})"
    )
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
    return _svg(figure, f"spend-{report.code}-{year}")


def group_svg(group: GroupView, *, year: int) -> str:
    """Budget against committed per region, both in the reporting currency: side by side bars,
    the committed one in orange hatching where it is above the budget."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    _matplotlib()
    rows = group.regions
    budget = [float(r["budget"]) for r in rows]
    committed = [float(r["committed"]) for r in rows]
    factor, suffix = _scale([*budget, *committed])
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
            _short(value, factor, suffix),
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
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v, factor, suffix)))
    axes.set_ylabel(group.currency + (f" ({suffix})" if suffix else ""))
    axes.set_xlabel(f"region (at the rates in force on {group.rate_date.isoformat()})")
    handles, _ = axes.get_legend_handles_labels()
    if any(over):
        handles.append(
            Patch(facecolor=OVERRUN_COLOUR, hatch="xx", linewidth=0, label="committed over budget")
        )
    axes.legend(
        handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9
    )
    return _svg(figure, f"group-{group.currency}-{year}")


def _short(value: float, factor: float, suffix: str) -> str:
    scaled = value / factor
    text = f"{scaled:,.1f}".removesuffix(".0") if factor > 1 else f"{scaled:,.0f}"
    return f"{text} {suffix}".strip()


# -- HTML -----------------------------------------------------------------------------------


def _amount(value: Decimal | Fraction | int | None) -> str:
    return "" if value is None else f"{round_half_up(value):,}"


def _percent(value: Decimal | Fraction | None, places: int = 2) -> str:
    """A fraction as a percentage, rounded half up: 0.98995 → 99.00%."""
    if value is None:
        return ""
    return f"{round_half_up(Fraction(value) * 100, Decimal(1).scaleb(-places))}%"


def lease_note(report: RegionReport) -> str:
    """How much of the region's committed is leases, which the shares leave out."""
    leases, committed = report.leases, Fraction(report.budget_row["committed"])
    text = f"leases: {_amount(leases)} {report.currency}"
    if committed > 0:
        share = leases / committed
        whole = _percent(share, 0)
        if 0 < share < Fraction(1, 200):
            whole = "<1%"
        elif Fraction(199, 200) <= share < 1:
            whole = ">99%"
        text += f" ({whole} of committed)"
    return text + " — not in shares"


def _table(
    columns: list[tuple[str, str]],
    rows: list[list[Any]],
    css: str,
    row_classes: list[str] | None = None,
) -> str:
    """columns: (heading, css class of its cells); every cell is escaped here."""
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


def _region_section(report: RegionReport, *, as_of: date, year: int) -> str:
    row = report.budget_row
    budget_table = _table(
        [
            ("year", "num"),
            ("currency", "text"),
            ("budget", "num"),
            ("committed", "num"),
            ("remaining", "num"),
            ("utilization", "num"),
        ],
        [
            [
                row["year"],
                row["currency"],
                _amount(row["budget"]),
                _amount(row["committed"]),
                _amount(row["remaining"]),
                _percent(row["utilization"]),
            ]
        ],
        "budget",
    )
    share_rows = sorted(
        report.share_rows, key=lambda r: (not r["domestic"], -r["share"], r["supplier"])
    )
    shares_table = _table(
        [
            ("supplier", "text"),
            ("country", "text"),
            ("domestic", "text"),
            (f"value ({report.currency})", "num"),
            ("units", "num"),
            (f"share ({report.basis})", "num"),
        ],
        [
            [
                r["supplier"],
                r["country"],
                "domestic" if r["domestic"] else "foreign",
                _amount(r["value"]),
                f"{r['units']:,}",
                _percent(r["share"]),
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
    leases = html.escape(lease_note(report))
    code = html.escape(report.code)
    title = html.escape(f"{report.code} — {report.name}")
    return f"""
<section class="region" id="region-{code}">
<h2>{title} <span class="muted">({html.escape(report.country)}, budget in {html.escape(report.currency)})</span></h2>
<h3>Budget burn-down {year}</h3>
<figure class="chart burndown" data-region="{code}">{burndown_svg(report, as_of=as_of, year=year)}
<figcaption>Committed to {year} and the {year} budget as of each date (weekly, on every budget revision and on every day an order or lease changed), as the ledger stood at the knowledge limit below. Dotted lines: budget revisions and transfers; solid vertical line: the as-of date; shaded in orange: committed above the budget.{overrun_text}</figcaption></figure>
{budget_table}
<h3>Supplier shares {year}</h3>
<figure class="chart shares" data-region="{code}">{shares_svg(report, as_of=as_of, year=year)}
<figcaption>Each supplier's share of the orders charged to {year} as of each date ({html.escape(report.basis)} basis; leases do not count). Domestic suppliers are solid and at the bottom, foreign ones hatched{threshold}. <strong class="leases">{leases}</strong>.</figcaption></figure>
{shares_table}
{_spend_part(report, as_of=as_of, year=year)}
</section>"""


SPEND_COLUMNS = ("committed", "received", "invoiced", "paid", "open", "payable")


def _spend_part(report: RegionReport, *, as_of: date, year: int) -> str:
    row = report.spend_row
    table = _table(
        [("year", "num"), ("currency", "text"), *((name, "num") for name in SPEND_COLUMNS)],
        [[row["year"], row["currency"], *(_amount(row[name]) for name in SPEND_COLUMNS)]]
        if row
        else [],
        "spend",
    )
    code = html.escape(report.code)
    return f"""<h3>Spend {year}</h3>
<figure class="chart spend" data-region="{code}">{spend_svg(report, as_of=as_of, year=year)}
<figcaption>What was committed to {year}, and how much of it was received, invoiced (voided invoices do not count) and paid, as of each date up to {as_of.isoformat()}: each line changes only on a day a document, receipt, invoice, void, payment or scheduled lease payment took effect. Open is committed less invoiced (still to be billed), payable is invoiced less paid (still to be paid); as <code>ledger query spend</code> gives them.</figcaption></figure>
{table}"""


def _rate(value: Fraction | None) -> str:
    return "" if value is None else str(round_half_up(value, Decimal("0.000001")))


def group_section(group: GroupView, *, as_of: date, year: int) -> str:
    """The group part: the regions side by side in one currency, and the total."""
    amounts = ("budget", "committed", "remaining", "invoiced", "paid")
    table = _table(
        [
            ("region", "text"),
            ("year", "num"),
            ("currency", "text"),
            ("rate", "num"),
            *((name, "num") for name in amounts),
        ],
        [
            [
                "total" if r["region"] == "*" else r["region"],
                r["year"],
                r["currency"],
                _rate(r["rate"]),
                *(_amount(r[name]) for name in amounts),
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
{table}
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
    compliance = _table(
        [
            ("status", "status"),
            ("policy", "text"),
            ("region", "text"),
            ("subject", "text"),
            ("detail", "text"),
        ],
        [
            [r["status"], r["policy"], r["region"], r["subject"], r["detail"]]
            for r in report.compliance
        ],
        "compliance",
        [html.escape(r["status"]) for r in report.compliance],
    )
    counts = {s: sum(1 for r in report.compliance if r["status"] == s) for s in STATUS_ORDER}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    nav = "".join(
        f'<a href="#region-{html.escape(r.code)}">{html.escape(r.code)}</a>' for r in report.regions
    )
    if report.group:
        nav = '<a href="#group">Group</a>' + nav
    if report.restatements:
        nav += '<a href="#restatements">Restatements</a>'
    rates = (
        f"<dt>group currency</dt><dd>{html.escape(report.group.currency)} at the rates in force"
        f" on {report.group.rate_date.isoformat()}</dd>"
        if report.group
        else ""
    )
    group = group_section(report.group, as_of=p.as_of, year=p.year) if report.group else ""
    regions = "".join(_region_section(r, as_of=p.as_of, year=p.year) for r in report.regions)
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
{report.restatements}
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


def write_report(report: Report, path: str) -> None:
    text = render_html(report)
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    except OSError as error:
        raise LedgerError(f"cannot write {path}: {error.strerror}") from None


def require_matplotlib() -> None:
    """Fail early, with the one line that says what to install."""
    _matplotlib()


# -- restatements (SPEC §4.6) ---------------------------------------------------------------


def restatements_section(
    ledger, regions: list[str], *, as_of: date, year: int, knowledge, from_seq: int | None
) -> str:
    """Per region: its figures as reported at the earlier limit (`from_seq`, else the region's
    last close within the report's limit) and as known at the report's limit, the documents
    whose status or total changed, and the events that explain it."""
    from ledger.app import Knowledge

    parts = []
    for code in regions:
        if from_seq is not None:
            before, since = Knowledge(from_seq), f"as the ledger stood at seq {from_seq}"
        else:
            try:
                before = ledger.last_close(code, knowledge=knowledge)
            except LedgerError:
                parts.append(
                    f'<h3>{html.escape(code)}</h3><p class="empty">No close recorded: '
                    "nothing was reported from closed books.</p>"
                )
                continue
            since = f"as reported when its books were closed (seq {before.upto_seq})"
        kwargs = {"before": before, "after": knowledge, "as_of": as_of, "region": code}
        then, now = (
            next(
                iter(ledger.query_budget(as_of=as_of, year=year, region=code, knowledge=limit)), {}
            )
            for limit in (before, knowledge)
        )
        changed = ledger.diff_commitments(**kwargs)
        events = ledger.diff_events(**kwargs)
        figures = _table(
            [("", "text"), ("budget", "num"), ("committed", "num"), ("remaining", "num")],
            [
                [label, *(_amount(row.get(name)) for name in ("budget", "committed", "remaining"))]
                for label, row in (
                    (f"as reported (seq {before.upto_seq})", then),
                    ("as known now", now),
                )
            ],
            "restated",
        )
        documents = _table(
            [
                ("kind", "text"),
                ("id", "text"),
                ("status before", "text"),
                ("status after", "text"),
                ("committed before", "num"),
                ("committed after", "num"),
            ],
            [
                [
                    r["kind"],
                    r["id"],
                    r["status_before"] or "",
                    r["status_after"] or "",
                    _amount(r["committed_before"]),
                    _amount(r["committed_after"]),
                ]
                for r in changed
            ],
            "restated-documents",
        )
        explaining = _table(
            [
                ("seq", "num"),
                ("type", "text"),
                ("effective", "text"),
                ("recorded at", "text"),
                ("actor", "text"),
                ("reason", "text"),
                ("regions", "text"),
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
                for e in events
            ],
            "explaining-events",
        )
        printed = [
            [_amount(row.get(name)) for name in ("budget", "committed")] for row in (then, now)
        ]
        verdict = "restated" if changed or printed[0] != printed[1] else "unchanged"
        parts.append(f"""<h3 class="{verdict}">{html.escape(code)}: {verdict}</h3>
<p>Figures for {year} as of {as_of.isoformat()}, {html.escape(since)}, and as known now.</p>
{figures}
<h4>Orders and leases that changed</h4>
{documents}
<h4>The events that explain it</h4>
{explaining}""")
    return f"""<section id="restatements">
<h2>Restatements</h2>
<p>The events listed are those recorded after the earlier limit, effective by the as-of date, that touch the region (SPEC §4.6). Reproduce with <code>ledger diff budget</code>, <code>ledger diff commitments</code> and <code>ledger diff events</code>.</p>
{"".join(parts)}
</section>"""
