"""The pages of the web view, for people: regions, a region, a document, an event, compliance,
the log and restatements. Every page takes the as-of date and the knowledge limit from its URL
and keeps them in every link; every figure links to what it is made of (a region's total to its
documents, a document to its events). Text from the log is escaped by the templates
(autoescape); the charts are the report's own (ledger/report/charts.py)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ledger import views
from ledger.app import Knowledge
from ledger.errors import LedgerError
from ledger.money import round_half_up
from ledger.reads.compliance import STATUS_ORDER
from ledger.reads.limits import as_of_date
from ledger.views import AMOUNT, FRACTION, OptionError, cell

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# matplotlib's state (rcParams, font cache) is shared by the threads serving requests.
CHARTS = threading.Lock()
LOG_PAGE = 50
DOCUMENT_PAGE = 200
# Compliance rows whose subject is a budget year, not an order or lease.
YEAR_POLICIES = ("budget_cap", "min_domestic_share")
# The options every page keeps in its links.
KEPT = ("as_of", "year", "known_at", "upto_seq")


def amount(value) -> str:
    """An amount for people: rounded half up to cents, with thousands separators."""
    return "" if value is None else f"{round_half_up(value):,}"


def fraction(value) -> str:
    return "" if value is None else f"{cell(value, FRACTION)}"


TEMPLATES.filters["amount"] = amount
TEMPLATES.filters["fraction"] = fraction
TEMPLATES.filters["exact"] = lambda value: cell(value, AMOUNT)
TEMPLATES.globals["YEAR_POLICIES"] = YEAR_POLICIES


@dataclass
class Scope:
    """The as-of date, the budget year and the knowledge limit of a page, from its URL. The
    limit is pinned to a seq (the head when none is given), so that every query of the page
    reads the same events, and so that the page's permalink reproduces it."""

    as_of: date
    year: int
    knowledge: Knowledge
    given: dict[str, str]
    head: int
    extra: dict[str, str] = field(default_factory=dict)
    note: str | None = None  # when the knowledge limit leaves out every event

    def link(self, path: str, **changes) -> str:
        kept = {**self.given, **{k: v for k, v in changes.items()}}
        query = {k: str(v) for k, v in kept.items() if v not in (None, "")}
        return f"{path}?{urlencode(query)}" if query else path

    def permalink(self, path: str) -> str:
        """This page with the knowledge limit as a seq: the same page, whatever is added later."""
        return self.link(
            path, **self.extra, known_at=None, upto_seq=self.knowledge.upto_seq, as_of=self.as_of
        )

    @property
    def limited(self) -> bool:
        return "known_at" in self.given or "upto_seq" in self.given


def given_options(request: Request, names) -> dict[str, str]:
    return {n: request.query_params[n] for n in names if request.query_params.get(n, "") != ""}


def scope_of(request: Request, ledger) -> Scope:
    given = given_options(request, KEPT)
    values = {name: views.PARAMS[name].read(text) for name, text in given.items()}
    if "known_at" in values and "upto_seq" in values:
        raise OptionError("give --known-at or --upto-seq, not both", "known_at")
    head = ledger.head()[0]
    knowledge = ledger.knowledge(known_at=values.get("known_at"), upto_seq=values.get("upto_seq"))
    note = knowledge.note
    if knowledge.upto_seq is None:
        knowledge = Knowledge(head)
    as_of = as_of_date(values.get("as_of"))
    return Scope(as_of, values.get("year") or as_of.year, knowledge, given, head, note=note)


def render(request: Request, template: str, http_status: int = 200, **context) -> HTMLResponse:
    page = TEMPLATES.get_template(template).render(
        request=request, path=request.url.path, **context
    )
    return HTMLResponse(page, http_status)


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    return render(request, "error.html", status, message=message, scope=None, status=status)


def page(function):
    """Bad options are a 400 page with the command line's one line."""

    def endpoint(request: Request) -> Response:
        ledger = request.app.state.ledger
        try:
            scope = scope_of(request, ledger)
            return function(request, ledger, scope)
        except LedgerError as error:
            return error_page(request, str(error), 400)

    endpoint.__name__ = function.__name__
    return endpoint


def _options(scope: Scope, **more) -> views.Options:
    return views.options(as_of=scope.as_of, year=scope.year, **more)


def _region_param(request: Request, ledger) -> str | None:
    region = request.query_params.get("region") or None
    ledger.check_region(region)
    return region


def worst(statuses) -> str | None:
    return min(statuses, key=lambda s: STATUS_ORDER.get(s, 9), default=None)


# -- pages ----------------------------------------------------------------------------------------


@page
def overview(request, ledger, scope):
    k = scope.knowledge
    budget = views.run(ledger, views.VIEWS["budget"], _options(scope), k)
    compliance = views.run(ledger, views.VIEWS["compliance"], _options(scope), k)
    status = {
        row["region"]: worst(r["status"] for r in compliance if r["region"] == row["region"])
        for row in budget
    }
    spend = (
        views.run(ledger, views.VIEWS["spend"], _options(scope), k)
        if "spend" in views.VIEWS
        else None
    )
    names = {r["region"]: r["name"] for r in ledger.regions(as_of=scope.as_of, knowledge=k)}
    return render(
        request,
        "overview.html",
        scope=scope,
        title="Regions",
        budget=budget,
        status=status,
        names=names,
        spend=spend,
        spend_columns=views.VIEWS["spend"].columns if spend is not None else (),
    )


@page
def region(request, ledger, scope):
    code = request.path_params["code"]
    ledger.check_region(code)
    scope.extra = {}
    k = scope.knowledge
    found = ledger.regions(as_of=scope.as_of, region=code, knowledge=k)
    if not found:
        return render(request, "region.html", scope=scope, title=code, code=code, region=None)
    chosen = _options(scope, region=code)
    budget = views.run(ledger, views.VIEWS["budget"], chosen, k)
    shares = views.run(ledger, views.VIEWS["shares"], chosen, k)
    compliance = views.run(ledger, views.VIEWS["compliance"], chosen, k)
    compliance.sort(key=lambda r: STATUS_ORDER.get(r["status"], 9))
    spend = views.run(ledger, views.VIEWS["spend"], chosen, k) if "spend" in views.VIEWS else None
    revisions = ledger.budgets(as_of=scope.as_of, year=scope.year, region=code, knowledge=k)
    policies = ledger.policies(as_of=scope.as_of, region=code, knowledge=k)
    burndown, shares_chart, spend_chart, chart_note = _charts(ledger, scope, code)
    return render(
        request,
        "region.html",
        scope=scope,
        title=f"Region {code}",
        code=code,
        region=found[0],
        budget=budget[0] if budget else None,
        shares=shares,
        compliance=compliance,
        spend=spend[0] if spend else None,
        spend_columns=views.VIEWS["spend"].columns if spend else (),
        revisions=revisions,
        policies=policies,
        burndown=burndown,
        shares_chart=shares_chart,
        spend_chart=spend_chart,
        chart_note=chart_note,
    )


@page
def region_documents(request, ledger, scope):
    """What a region's committed is made of: its orders and leases, a page at a time (a region
    may have tens of thousands, which is why the region page links here rather than list them)."""
    code = request.path_params["code"]
    ledger.check_region(code)
    given = given_options(request, ("offset",))
    offset = views.EVENT_PARAMS["after_seq"].read(given["offset"]) if "offset" in given else 0
    scope.extra = {"offset": offset or None}
    k = scope.knowledge
    chosen = _options(scope, region=code)
    budget = views.run(ledger, views.VIEWS["budget"], chosen, k)
    documents = views.run(ledger, views.VIEWS["commitments"], chosen, k)
    shown = documents[offset : offset + DOCUMENT_PAGE]
    return render(
        request,
        "documents.html",
        scope=scope,
        title=f"Region {code}: orders and leases",
        code=code,
        budget=budget[0] if budget else None,
        documents=shown,
        total=len(documents),
        offset=offset,
        next_offset=offset + DOCUMENT_PAGE if offset + DOCUMENT_PAGE < len(documents) else None,
        previous_offset=max(offset - DOCUMENT_PAGE, 0) if offset else None,
    )


def _charts(ledger, scope: Scope, code: str) -> tuple[str, str, str, str | None]:
    """The report's burn-down, shares and spend charts of one region (inline SVG)."""
    from ledger.report import ReportUnavailable, burndown_svg, region_figures, shares_svg, spend_svg

    try:
        with CHARTS:
            section = region_figures(
                ledger, code, as_of=scope.as_of, year=scope.year, upto_seq=scope.knowledge.upto_seq
            )
            if section is None:
                return "", "", "", None
            return (
                burndown_svg(section, as_of=scope.as_of, year=scope.year),
                shares_svg(section, as_of=scope.as_of, year=scope.year),
                spend_svg(section, as_of=scope.as_of, year=scope.year),
                None,
            )
    except ReportUnavailable as error:
        return "", "", "", str(error)


@page
def document(request, ledger, scope):
    code = request.path_params["code"]
    k = scope.knowledge
    events = [e for e in ledger.log(document=code, knowledge=k)]
    if not events:
        return error_page(request, f"No event names an order or lease {code!r}.", 404)
    rows = views.run(ledger, views.VIEWS["commitments"], _options(scope), k)
    state = next((r for r in rows if r["id"] == code), None)
    return render(
        request,
        "document.html",
        scope=scope,
        title=f"{events[0].payload.get('lease') and 'Lease' or 'Order'} {code}",
        code=code,
        state=state,
        events=events,
    )


@page
def event(request, ledger, scope):
    seq = request.path_params["seq"]
    found = ledger.log(after_seq=seq - 1, limit=1) if seq >= 1 else []
    if not found or found[0].seq != seq:
        return error_page(request, f"No event has seq {seq}.", 404)
    (stored,) = found
    from ledger.chain import canonical

    named = [
        (key, stored.payload[key])
        for key in ("order", "lease", "region", "from_region", "to_region")
        if isinstance(stored.payload.get(key), str)
    ]
    return render(
        request,
        "event.html",
        scope=scope,
        title=f"Event {seq}",
        event=stored,
        payload=canonical(stored.payload),
        pretty=json.dumps(
            stored.payload, ensure_ascii=False, indent=2, sort_keys=True, default=str
        ),
        named=named,
        beyond=seq > (scope.knowledge.upto_seq or 0),
    )


@page
def compliance(request, ledger, scope):
    code = _region_param(request, ledger)
    scope.extra = {"region": code}
    rows = views.run(
        ledger, views.VIEWS["compliance"], _options(scope, region=code), scope.knowledge
    )
    rows.sort(key=lambda r: STATUS_ORDER.get(r["status"], 9))
    return render(
        request, "compliance.html", scope=scope, title="Compliance", rows=rows, region=code
    )


@page
def log(request, ledger, scope):
    given = given_options(request, ("after_seq", "limit"))
    after_seq = (
        views.EVENT_PARAMS["after_seq"].read(given["after_seq"]) if "after_seq" in given else 0
    )
    limit = views.EVENT_PARAMS["limit"].read(given["limit"]) if "limit" in given else LOG_PAGE
    scope.extra = {"after_seq": after_seq, "limit": given.get("limit")}
    events = ledger.log(after_seq=after_seq, limit=limit, knowledge=scope.knowledge)
    last = events[-1].seq if events else after_seq
    more = bool(events) and last < (scope.knowledge.upto_seq or 0)
    return render(
        request,
        "log.html",
        scope=scope,
        title="The log",
        events=events,
        after_seq=after_seq,
        limit=limit,
        next_after=last if more else None,
        previous_after=max(after_seq - limit, 0) if after_seq > 0 else None,
    )


@page
def restatement(request, ledger, scope):
    given = given_options(request, ("from_seq", "to_seq"))
    seq = views.PARAMS["upto_seq"]
    code = _region_param(request, ledger)
    scope.extra = {**given, "region": code}
    if "from_seq" not in given:
        return render(
            request, "restatement.html", scope=scope, title="Restatements", before=None, region=code
        )
    before = Knowledge(_read_seq(seq, given["from_seq"], "--from-seq"))
    after = (
        Knowledge(_read_seq(seq, given["to_seq"], "--to-seq"))
        if "to_seq" in given
        else scope.knowledge
    )
    if (before.upto_seq or 0) > (after.upto_seq or 0):
        raise OptionError(
            f"the earlier limit (seq {before.upto_seq}) is after the later one "
            f"(seq {after.upto_seq})"
        )
    kwargs = {"as_of": scope.as_of, "region": code}
    then = {
        r["region"]: r for r in ledger.query_budget(year=scope.year, knowledge=before, **kwargs)
    }
    now = ledger.query_budget(year=scope.year, knowledge=after, **kwargs)
    return render(
        request,
        "restatement.html",
        scope=scope,
        title="Restatements",
        region=code,
        before=before.upto_seq,
        after=after.upto_seq,
        figures=[(then.get(r["region"]), r) for r in now],
        documents=ledger.diff_commitments(before=before, after=after, **kwargs),
        events=ledger.diff_events(before=before, after=after, **kwargs),
    )


def _read_seq(param: views.Param, text: str, option: str) -> int:
    from ledger.params import invalid

    try:
        return param.parse(text)
    except ValueError as error:
        raise OptionError(invalid(option, str(error))) from None


def routes() -> list[Route]:
    return [
        Route("/", overview, methods=["GET"]),
        Route("/region/{code}", region, methods=["GET"]),
        Route("/region/{code}/documents", region_documents, methods=["GET"]),
        Route("/document/{code}", document, methods=["GET"]),
        Route("/event/{seq:int}", event, methods=["GET"]),
        Route("/compliance", compliance, methods=["GET"]),
        Route("/log", log, methods=["GET"]),
        Route("/restatement", restatement, methods=["GET"]),
    ]
