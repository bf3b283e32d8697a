"""The tabular views of the ledger — options → query → rows → cells — in one place, for the
command line (`ledger query …`, `ledger compliance`) and the web view's JSON API alike, so that
`GET /api/budget?as_of=D` and `ledger query budget --as-of D --format json` are one computation
written once.

A view is its name, its columns (each with the kind that says how a value is written), the
options it takes beyond the common four (as_of, known_at, upto_seq, region) and its query: a
function of the open `Ledger`, the parsed `Options` and the resolved knowledge limit.

Adding a view is one entry here, for instance for a facade method `Ledger.query_invoices`:

    INVOICE_COLUMNS = (Column("invoice"), Column("kind"), ..., Column("amount", AMOUNT), ...)
    register(View(
        "invoices", INVOICE_COLUMNS, ("year",),
        lambda ledger, o, k: ledger.query_invoices(
            as_of=o.as_of, year=o.year, region=o.region, knowledge=k),
        "Every invoice received by the as-of date.",
    ))

(`spend` and `group` below are two such entries.) The web view then serves it at
`/api/invoices` and describes it in `/api/openapi.json`; the click command's body becomes
`show(obj, "invoices", fmt, output, as_of=as_of, …)` (commands/views.py), which prints exactly
what the API answers. An option no view had before gets one `Param` in `PARAMS` (its parser,
its command-line spelling and its description) and one field in `Options`; `required=` names
the options a view cannot do without (as `group` needs `currency`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from ledger.errors import LedgerError
from ledger.params import invalid, parse_choice, parse_date, parse_integer, parse_timestamp

if TYPE_CHECKING:
    from ledger.app import Knowledge, Ledger

# Column kinds: how a value is written. "text" is free text and gets the CSV formula guard;
# "integer" is written as a number in JSON (year, seq); "json" is a JSON value (an event's
# payload), its canonical text in a cell and the value itself in JSON output.
AMOUNT, FRACTION, TEXT, PLAIN, BOOL, INTEGER, RATE = (
    "amount",
    "fraction",
    "text",
    "plain",
    "bool",
    "integer",
    "rate",
)
JSON_VALUE = "json"


# -- cells ----------------------------------------------------------------------------------------


def cell(value, kind: str) -> str:
    """A value as a CSV cell (exact until here, rounded half up only now)."""
    from ledger.chain import canonical, guard
    from ledger.money import format_amount, format_fraction4, format_rate

    if kind == JSON_VALUE:
        return canonical(value)  # a payload of null (a forged row) is shown as null
    if value is None:
        return ""
    if kind == AMOUNT:
        return format_amount(value)
    if kind == FRACTION:
        return format_fraction4(value)
    if kind == RATE:
        return format_rate(value)
    if kind == BOOL:
        return "true" if value else "false"
    if kind == TEXT:
        return guard(str(value))
    return str(value)


def json_value(value, kind: str):
    """A value as JSON: amounts and fractions as their printed strings, no formula guard."""
    if value is None:
        return None
    if kind in (AMOUNT, FRACTION, RATE):
        return cell(value, kind)
    if kind == JSON_VALUE:
        return value
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if isinstance(value, (bool, int)):
        return value
    return str(value)


def json_objects(rows: Iterable[Mapping], columns: Iterable[tuple[str, str]]) -> list[dict]:
    columns = list(columns)
    return [{name: json_value(row.get(name), kind) for name, kind in columns} for row in rows]


def json_text(rows: Iterable[Mapping], columns: Iterable[tuple[str, str]]) -> str:
    """`--format json`, byte for byte: what the command prints and the API answers."""
    return json.dumps(json_objects(rows, columns), ensure_ascii=False, indent=2) + "\n"


# -- options --------------------------------------------------------------------------------------


class OptionError(LedgerError):
    """An option value that is malformed for its type, or options that do not go together: a
    usage error (exit 2 on the command line, 400 in the web view). The message is the command
    line's whole line; `field` names the option."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Options:
    """Every option a view may take, parsed. None: not given (the view's default)."""

    as_of: date | None = None
    known_at: str | None = None  # the timestamp text (ledger.params.parse_timestamp)
    upto_seq: int | None = None
    region: str | None = None
    year: int | None = None
    basis: str = "value"
    currency: str | None = None
    rate_date: date | None = None
    via: str | None = None


@dataclass(frozen=True)
class Param:
    """An option: its name (the API's query parameter), the command line's spelling, how its
    text is read, and what it means (for the API's description)."""

    name: str
    option: str
    parse: Callable[[str], Any]
    description: str
    choices: tuple[str, ...] = ()
    # The value's JSON Schema, for the API's description (the text is still parsed by `parse`).
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})

    def read(self, text: str) -> Any:
        try:
            return self.parse(text)
        except ValueError as error:
            raise OptionError(invalid(self.option, str(error)), self.name) from None


BASES = ("value", "units")
PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        Param(
            "as_of",
            "--as-of",
            parse_date,
            "Business date of the question (YYYY-MM-DD) [default: today].",
            schema={"type": "string", "format": "date"},
        ),
        Param(
            "known_at",
            "--known-at",
            parse_timestamp,
            "Only events recorded by then (ISO 8601 with Z or an offset, or a date).",
        ),
        Param(
            "upto_seq",
            "--upto-seq",
            lambda text: parse_integer(text, 0),
            "Only events with seq ≤ N (the ledger as it stood then).",
            schema={"type": "integer", "minimum": 0},
        ),
        Param("region", "--region", str, "Only this region."),
        Param(
            "year",
            "--year",
            lambda text: parse_integer(text, 1, 9999),
            "Budget year [default: the year of as_of].",
            schema={"type": "integer", "minimum": 1, "maximum": 9999},
        ),
        Param(
            "basis",
            "--basis",
            lambda text: parse_choice(text, BASES),
            "Share of the value or of the units of the region's orders.",
            BASES,
            schema={"type": "string", "enum": list(BASES)},
        ),
        Param("currency", "--currency", str, "The reporting currency (ISO 4217)."),
        Param(
            "rate_date",
            "--rate-date",
            parse_date,
            "Convert at the rates in force on this day [default: the as-of date].",
            schema={"type": "string", "format": "date"},
        ),
        Param(
            "via",
            "--via",
            str,
            "Convert a currency without a rate of its own through this one.",
        ),
    )
}
COMMON = ("as_of", "known_at", "upto_seq", "region")


# -- views ----------------------------------------------------------------------------------------


class Column(NamedTuple):
    """A (name, kind) pair, as the renderer takes it."""

    name: str
    kind: str = PLAIN


@dataclass(frozen=True)
class View:
    name: str
    columns: tuple[Column, ...]
    params: tuple[str, ...]  # options beyond COMMON
    query: Callable[[Ledger, Options, Knowledge], list[dict[str, Any]]]
    summary: str
    required: tuple[str, ...] = field(default=())
    # Columns some options add at the end (commitments' `charged` with a year).
    extra: Callable[[Options], tuple[Column, ...]] = field(default=lambda options: ())

    @property
    def options(self) -> tuple[str, ...]:
        return (*COMMON, *self.params)

    def columns_for(self, options: Options) -> tuple[Column, ...]:
        return (*self.columns, *self.extra(options))

    def json(self, rows: Iterable[Mapping], options: Options | None = None) -> str:
        return json_text(rows, self.columns if options is None else self.columns_for(options))


VIEWS: dict[str, View] = {}


def register(view: View) -> View:
    unknown = [name for name in view.params if name not in PARAMS]
    if unknown:
        raise ValueError(f"view {view.name}: no Param for {', '.join(unknown)}")
    VIEWS[view.name] = view
    return view


def options_from(view: View, given: Mapping[str, str]) -> Options:
    """Options from text values (the web view's query parameters), checked as the command line
    checks its options: an unknown name or a malformed value is an OptionError."""
    unknown = sorted(name for name in given if name not in view.options)
    if unknown:
        raise OptionError(
            f"no such parameter {unknown[0][:64]!r}; {view.name} takes {', '.join(view.options)}"
        )
    values = {name: PARAMS[name].read(text) for name, text in given.items()}
    missing = [name for name in view.required if name not in values]
    if missing:
        raise OptionError(f"Missing option {PARAMS[missing[0]].option!r}.", missing[0])
    return Options(**values)


def options(**values: Any) -> Options:
    """Options from already parsed values (the command line's); None means not given."""
    names = {f.name for f in fields(Options)}
    return replace(Options(), **{k: v for k, v in values.items() if k in names and v is not None})


def prepare(ledger: Ledger, view_options: Options) -> Knowledge:
    """Check the region (a typo must not read as an empty answer) and resolve the knowledge
    limit, in the command line's order."""
    ledger.check_region(view_options.region)
    if view_options.known_at is not None and view_options.upto_seq is not None:
        raise OptionError("give --known-at or --upto-seq, not both", "known_at")
    return ledger.knowledge(known_at=view_options.known_at, upto_seq=view_options.upto_seq)


def run(ledger: Ledger, view: View, view_options: Options, knowledge: Knowledge) -> list[dict]:
    return view.query(ledger, view_options, knowledge)


def rows(ledger: Ledger, name: str, view_options: Options) -> list[dict]:
    """The rows of a view, from its options: what the API serves."""
    view = VIEWS[name]
    return run(ledger, view, view_options, prepare(ledger, view_options))


# -- the built-in views ---------------------------------------------------------------------------

BUDGET_COLUMNS = (
    Column("region"),
    Column("year", INTEGER),
    Column("currency"),
    Column("budget", AMOUNT),
    Column("committed", AMOUNT),
    Column("remaining", AMOUNT),
    Column("utilization", FRACTION),
)
COMMITMENT_COLUMNS = (
    Column("kind"),
    Column("id"),
    Column("region"),
    Column("counterparty"),
    Column("sku"),
    Column("quantity"),
    Column("status"),
    Column("committed", AMOUNT),
    Column("currency"),
    Column("received", AMOUNT),
    Column("invoiced", AMOUNT),
    Column("paid", AMOUNT),
)
SHARE_COLUMNS = (
    Column("region"),
    Column("supplier"),
    Column("country"),
    Column("domestic", BOOL),
    Column("value", AMOUNT),
    Column("units"),
    Column("share", FRACTION),
)
COMPLIANCE_COLUMNS = (
    Column("policy"),
    Column("region"),
    Column("subject"),
    Column("status"),
    Column("detail", TEXT),
)

register(
    View(
        "budget",
        BUDGET_COLUMNS,
        ("year",),
        lambda ledger, o, k: ledger.query_budget(
            as_of=o.as_of, year=o.year, region=o.region, knowledge=k
        ),
        "Budget, committed, remaining and utilization per region for one year.",
    )
)
register(
    View(
        "commitments",
        COMMITMENT_COLUMNS,
        ("year",),
        lambda ledger, o, k: ledger.query_commitments(
            as_of=o.as_of, region=o.region, knowledge=k, year=o.year
        ),
        "Every order and lease placed or signed by the as-of date, with its committed total "
        "(with a year, also the part of it charged to that year).",
        extra=lambda options: (Column("charged", AMOUNT),) if options.year is not None else (),
    )
)
register(
    View(
        "shares",
        SHARE_COLUMNS,
        ("year", "basis"),
        lambda ledger, o, k: ledger.query_shares(
            as_of=o.as_of, year=o.year, region=o.region, basis=o.basis, knowledge=k
        ),
        "Supplier shares of each region's orders charged to one year (leases do not count).",
    )
)
register(
    View(
        "compliance",
        COMPLIANCE_COLUMNS,
        (),
        lambda ledger, o, k: ledger.compliance(as_of=o.as_of, region=o.region, knowledge=k),
        "One or more rows per enabled policy in force at the as-of date.",
    )
)

SPEND_COLUMNS = (
    Column("region"),
    Column("year", INTEGER),
    Column("currency"),
    Column("budget", AMOUNT),
    Column("committed", AMOUNT),
    Column("received", AMOUNT),
    Column("invoiced", AMOUNT),
    Column("paid", AMOUNT),
    Column("open", AMOUNT),
    Column("payable", AMOUNT),
    Column("remaining", AMOUNT),
)
GROUP_COLUMNS = (
    Column("region"),
    Column("year", INTEGER),
    Column("currency"),
    Column("rate", RATE),
    Column("budget", AMOUNT),
    Column("committed", AMOUNT),
    Column("remaining", AMOUNT),
    Column("invoiced", AMOUNT),
    Column("paid", AMOUNT),
    Column("via"),
)
register(
    View(
        "spend",
        SPEND_COLUMNS,
        ("year",),
        lambda ledger, o, k: ledger.query_spend(
            as_of=o.as_of, year=o.year, region=o.region, knowledge=k
        ),
        "Committed, received, invoiced and paid per region for one year, with open and payable.",
    )
)
register(
    View(
        "group",
        GROUP_COLUMNS,
        ("currency", "year", "rate_date", "via"),
        lambda ledger, o, k: ledger.query_group(
            currency=o.currency or "",  # required: the options refuse a view without it
            as_of=o.as_of,
            year=o.year,
            region=o.region,
            rate_date=o.rate_date,
            via=o.via,
            knowledge=k,
        ),
        "Every region in one reporting currency, and the total (region `*`).",
        required=("currency",),
    )
)


# -- the log --------------------------------------------------------------------------------------

EVENT_COLUMNS = (
    Column("seq", INTEGER),
    Column("event_id"),
    Column("type"),
    Column("effective"),
    Column("recorded_at"),
    Column("actor"),
    Column("reason"),
    Column("payload"),
    Column("prev_hash"),
    Column("hash"),
)
EVENTS_DEFAULT_LIMIT, EVENTS_MAX_LIMIT = 100, 1000
EVENT_PARAMS = {
    "after_seq": Param(
        "after_seq",
        "after_seq",
        lambda text: parse_integer(text, 0),
        "Only events with seq > N [default: 0].",
        schema={"type": "integer", "minimum": 0},
    ),
    "limit": Param(
        "limit",
        "limit",
        lambda text: parse_integer(text, 1, EVENTS_MAX_LIMIT),
        f"At most this many events [default: {EVENTS_DEFAULT_LIMIT}, at most {EVENTS_MAX_LIMIT}].",
        schema={"type": "integer", "minimum": 1, "maximum": EVENTS_MAX_LIMIT},
    ),
}


def event_page(ledger: Ledger, given: Mapping[str, str]) -> list[dict]:
    """The events after seq `after_seq`, at most `limit`, in seq order, with the columns of
    `export events` (the payload as its canonical text, no formula guard)."""
    from sqlalchemy import select

    from ledger import schema

    unknown = sorted(name for name in given if name not in EVENT_PARAMS)
    if unknown:
        raise OptionError(
            f"no such parameter {unknown[0][:64]!r}; events takes {', '.join(EVENT_PARAMS)}"
        )
    values = {name: EVENT_PARAMS[name].read(text) for name, text in given.items()}
    after_seq = values.get("after_seq", 0)
    limit = values.get("limit", EVENTS_DEFAULT_LIMIT)
    events = schema.events
    query = (
        select(*(events.c[c.name] for c in EVENT_COLUMNS))
        .where(events.c.seq > after_seq)
        .order_by(events.c.seq)
        .limit(limit)
    )
    with ledger.engine.connect() as connection:
        found = connection.execute(query).all()
    return [
        {
            **row._asdict(),
            "effective": _date_text(row.effective),
        }
        for row in found
    ]


def _date_text(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
