"""Every figure the report shows, gathered through ledger.reads on one snapshot of the database:
per region its budget burn-down, supplier shares and spend layers over the year with the rows
`ledger query` gives at the as-of date, the group in one currency, compliance, the restatements
and the provenance that reproduces the page. Nothing here draws or prints.

The points of each chart come from one sweep over the region's documents (reads.series and
reads.spend_series), each point equal to the point-in-time query at its sample date under the
same knowledge limit (property tests hold them to it), so the charts agree with `ledger query`.
"""

from __future__ import annotations

import shlex
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from ledger.fields import parse_currency
from ledger.reads.compliance import STATUS_ORDER, compliance_rows
from ledger.reads.group import group_rows
from ledger.reads.limits import as_of_date
from ledger.reads.lists import region_list
from ledger.reads.policies import policy_rows, policy_series
from ledger.reads.provenance import last_included
from ledger.reads.series import region_series
from ledger.reads.spend import spend_rows
from ledger.reads.spend_series import spend_series
from ledger.reads.timeline import document_days, policy_change_days, revision_days
from ledger.report.figures import amount, lease_note
from ledger.report.restatements import Restatement, restatements

if TYPE_CHECKING:
    from ledger.app import Ledger

# The policy whose threshold the shares chart draws, and whose basis its shares are on.
SHARE_POLICY = "min_domestic_share"


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
    # The spend layers: the query_spend row of the region at each of spend_dates (the start of
    # the year, every day one of the layers or committed can change, and the as-of date), so
    # that each layer is a step function known exactly between points; the last row is the one
    # at the as-of date.
    spend_dates: list[date] = field(default_factory=list)
    spend: list[dict[str, Any]] = field(default_factory=list)

    @property
    def spend_row(self) -> dict[str, Any]:
        return self.spend[-1] if self.spend else {}

    @property
    def leases(self) -> Fraction:
        """The part of the year's committed that is lease payments and fees: committed less
        the orders (the shares' values), which is what the shares leave out."""
        orders = sum((Fraction(r["value"]) for r in self.share_rows), Fraction(0))
        return max(Fraction(self.budget_row["committed"]) - orders, Fraction(0))

    @property
    def lease_note(self) -> str:
        return lease_note(self.leases, Fraction(self.budget_row["committed"]), self.currency)

    def overrun(self) -> Overrun | None:
        """Where committed lay above the budget in the burn-down, and its peak; None if never."""
        spans: list[tuple[date, date]] = []
        peak, peak_day = Fraction(0), None
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
            f"Over budget {periods}; peak overrun {amount(self.peak)} {currency} "
            f"on {self.peak_day.isoformat()}."
        )


@dataclass(frozen=True)
class GroupView:
    """The rows of `query group`: each region's figures in one reporting currency at the rates
    in force on the rate date, then the total (region `*`)."""

    currency: str
    rate_date: date
    rows: list[dict[str, Any]]

    @property
    def regions(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["region"] != "*"]


@dataclass(frozen=True)
class Report:
    provenance: Provenance
    regions: list[RegionReport]
    compliance: list[dict[str, Any]]
    restatements: list[Restatement] | None = None  # with --from-seq or --from-close
    group: GroupView | None = None  # with --currency

    @property
    def status_counts(self) -> dict[str, int]:
        """How many compliance rows have each status, violations first."""
        return {s: sum(1 for r in self.compliance if r["status"] == s) for s in STATUS_ORDER}


def build_report(
    ledger: Ledger,
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
    as_of = as_of_date(as_of)
    knowledge = ledger.knowledge(known_at=known_at, upto_seq=upto_seq)
    if currency is not None:
        currency = parse_currency(currency, "currency")
    with ledger.snapshot() as connection:
        return gather(
            connection,
            as_of=as_of,
            year=year or as_of.year,
            region=region,
            upto_seq=knowledge.upto_seq,
            known_at=known_at,
            db=db,
            output=output,
            from_seq=from_seq,
            from_close=from_close,
            currency=currency,
            rate_date=rate_date,
        )


def region_figures(
    ledger: Ledger, code: str, *, as_of: date, year: int, upto_seq: int | None = None
) -> RegionReport | None:
    """One region's charts and rows, as the report shows them (None before it is opened)."""
    with ledger.snapshot() as connection:
        found = _regions(connection, as_of=as_of, year=year, region=code, upto_seq=upto_seq)
    return found[0] if found else None


def gather(
    connection: Connection,
    *,
    as_of: date,
    year: int,
    region: str | None,
    upto_seq: int | None,
    known_at: object = None,
    db: str = "ledger.db",
    output: str = "report.html",
    from_seq: int | None = None,
    from_close: bool = False,
    currency: str | None = None,
    rate_date: date | None = None,
) -> Report:
    """The report over one connection, within the knowledge limit `upto_seq` (the one that
    `known_at`, when given, came to)."""
    last_seq, last_hash = last_included(connection, upto_seq)
    if known_at is not None:
        knowledge = f"--known-at {known_at}: events recorded by then (seq ≤ {last_seq})"
    elif upto_seq is not None:
        knowledge = f"--upto-seq {upto_seq}: events with seq ≤ {upto_seq}"
    else:
        knowledge = f"none: every event recorded when the report was made (seq ≤ {last_seq})"
    group = None
    if currency is not None:
        rows = group_rows(
            connection,
            as_of=as_of,
            year=year,
            region=region,
            upto_seq=upto_seq,
            currency=currency,
            rate_date=rate_date,
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
    provenance = Provenance(as_of, year, region, knowledge, last_seq, last_hash, command)
    regions = _regions(connection, as_of=as_of, year=year, region=region, upto_seq=upto_seq)
    compliance = compliance_rows(connection, as_of=as_of, region=region, upto_seq=upto_seq)
    compliance.sort(key=lambda r: STATUS_ORDER.get(r["status"], len(STATUS_ORDER)))
    restated = None
    if from_seq is not None or from_close:
        restated = restatements(
            connection,
            [r.code for r in regions],
            as_of=as_of,
            year=year,
            upto_seq=upto_seq,
            from_seq=from_seq,
        )
    return Report(provenance, regions, compliance, restated, group)


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


def _regions(
    connection: Connection, *, as_of: date, year: int, region: str | None, upto_seq: int | None
) -> list[RegionReport]:
    """Each region opened by as_of (or only `region`) with its charts' points and rows."""
    policies = policy_rows(connection, as_of=as_of, region=region, upto_seq=upto_seq)
    regions = []
    for row in region_list(connection, as_of=as_of, region=region, upto_seq=upto_seq):
        code = row["region"]
        basis = (
            next(
                (
                    p["basis"]
                    for p in policies
                    if p["region"] == code and p["enabled"] and p["policy"] == SHARE_POLICY
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
        last = _fill_series(connection, report, as_of=as_of, year=year, upto_seq=upto_seq)
        (report.budget_row,) = last.budget
        report.share_rows = last.share_rows(basis)
        regions.append(report)
    _fill_spend(connection, regions, as_of=as_of, year=year, region=region, upto_seq=upto_seq)
    return regions


def _fill_series(
    connection: Connection, report: RegionReport, *, as_of: date, year: int, upto_seq: int | None
):
    """Fill the report's burn-down and shares; return the series' point at the as-of date."""
    start = min(date(year, 1, 1), as_of)
    documents = document_days(
        connection, region=report.code, start=start, end=as_of, upto_seq=upto_seq
    )
    revisions = revision_days(
        connection, region=report.code, year=year, as_of=as_of, upto_seq=upto_seq
    )
    changes = policy_change_days(
        connection, region=report.code, policy=SHARE_POLICY, as_of=as_of, upto_seq=upto_seq
    )
    report.revisions = [d for d in revisions if start <= d]
    report.burn_dates = sample_dates(start, as_of, [*revisions, *documents])
    report.dates = sample_dates(start, as_of, [*revisions, *changes])
    # One sweep gives both charts' points: each equals the point query at its date.
    points = {
        point.as_of: point
        for point in region_series(
            connection, report.code, year, [*report.burn_dates, *report.dates], upto_seq
        )
    }
    for day in report.burn_dates:
        budget = points[day].budget
        report.budget.append(budget[0]["budget"] if budget else Decimal(0))
        report.committed.append(budget[0]["committed"] if budget else Fraction(0))
    thresholds = policy_series(
        connection, region=report.code, policy=SHARE_POLICY, dates=report.dates, upto_seq=upto_seq
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


def _fill_spend(
    connection: Connection,
    regions: list[RegionReport],
    *,
    as_of: date,
    year: int,
    region: str | None,
    upto_seq: int | None,
) -> None:
    """Fill each region's spend layers at every day one of them can change, each point the exact
    sum `query spend` gives at its date. Committed comes from the burn-down, whose dates include
    every day a document changed (and so are asked of the sweep too). The point at the as-of
    date is `query spend`'s row itself."""
    if not regions:
        return
    layers = spend_series(
        connection,
        regions=[r.code for r in regions],
        year=year,
        as_of=as_of,
        upto_seq=upto_seq,
        region=region,
        days={d for r in regions for d in r.burn_dates},
    )
    by_code = {r.code: r for r in regions}
    for code, points in layers.items():
        report = by_code[code]
        for day, amounts in points:
            index = bisect_right(report.burn_dates, day) - 1
            committed = report.committed[index] if index >= 0 else Fraction(0)
            report.spend_dates.append(day)
            report.spend.append({"committed": committed, **amounts})
    for row in spend_rows(connection, as_of=as_of, year=year, region=region, upto_seq=upto_seq):
        found = by_code.get(row["region"])
        if found is not None:
            found.spend_dates.append(as_of)
            found.spend.append(row)
