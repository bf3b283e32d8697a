"""How each report reads as a table for people (CSV and JSON never pass through here): short
headers, percentages and thousands separators, the key columns a table too wide for the
terminal repeats in each of its parts, total rows where people would add up by hand, the cells
shown in red, and the diffs as one line per changed figure.

A layout is found by the listing's columns (the commands and the demo print the same ones), so
that a column added at the end (commitments' `charged`) keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import cache
from itertools import groupby
from typing import Any

from ledger.views import AMOUNT, PLAIN

# A row the layout adds (a total): shown in table format only, under a rule.
TOTAL = "\x00total"

# Headers shorter than the column names, where the name is longer than its values.
SHORT = {
    "currency": "ccy",
    "to_currency": "to ccy",
    "utilization": "util",
    "counterparty": "supplier",  # the order's supplier or the lease's lessor
    "quantity": "units",
    "closed_through": "closed thru",
    "recorded_at": "recorded",
    "from_region": "from",
    "to_region": "to",
    "approved_by": "approver",
    "event_id": "event",
    "used_seq": "used seq",
}

Row = Mapping[str, Any]
Columns = list[tuple[str, str]]


@dataclass(frozen=True)
class Layout:
    # The columns each part of a split table repeats; None: a table too wide for the terminal
    # is shown one field per line.
    keys: tuple[str, ...] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    # Cells written otherwise than by their kind (the value is never None here).
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    # The rows as the table shows them: with total rows (marked TOTAL) among them.
    arrange: Callable[[list[dict]], list[dict]] | None = None
    # Other columns and rows altogether (a diff's figures one per line).
    reshape: Callable[[Columns, Iterable[Row]], tuple[Columns, Iterable[Row]]] | None = None
    alarm: Callable[[Row, str], bool] | None = None

    def label(self, name: str) -> str:
        return self.labels.get(name, name)


PLAIN_LAYOUT = Layout()


def _units(value) -> str:
    number = Decimal(str(value))
    return f"{int(number):,}" if number == number.to_integral_value() else str(value)


def _percent(value) -> str:
    """A policy's threshold or tolerance as set: 0.5 → 50%, 0.005 → 0.5%."""
    from ledger.money import threshold_percent

    return threshold_percent(Decimal(str(value)))


def _timestamp(value) -> str:
    """A recorded_at without its six zero decimals (the same instant, 7 characters shorter)."""
    text = str(value)
    return text.replace(".000000Z", "Z") if text.endswith(".000000Z") else text


def _amount_or_word(value) -> str:
    from commands.output import table_value

    return table_value(value, AMOUNT) if isinstance(value, (Decimal, Fraction, int)) else str(value)


FORMATS: dict[str, Callable[[Any], str]] = {
    "quantity": _units,
    "units": _units,
    "recorded_at": _timestamp,
}


def _negative(*names: str) -> Callable[[Row, str], bool]:
    def alarm(row: Row, name: str) -> bool:
        value = row.get(name)
        return name in names and isinstance(value, (Decimal, Fraction, int)) and value < 0

    return alarm


def _sum(values: Iterable) -> Any:
    values = list(values)
    return None if any(v is None for v in values) else sum(values, Fraction(0))


def _currency_totals(rows: list[dict]) -> list[dict]:
    """After the documents, one total per currency of what they commit, receive, bill and pay
    (and of what is charged to the year, with --year)."""
    totals = []
    for currency in sorted({row["currency"] for row in rows}):
        mine = [row for row in rows if row["currency"] == currency]
        total: dict[str, Any] = {"kind": "total", "currency": currency, TOTAL: True}
        for name in ("committed", "received", "invoiced", "paid", "charged"):
            if all(name in row for row in mine):
                total[name] = _sum(row[name] for row in mine)
        totals.append(total)
    return rows + totals


def _group_total(rows: list[dict]) -> list[dict]:
    """The group's own total row (region `*`) under a rule."""
    return [{**row, TOTAL: True} if row["region"] == "*" else row for row in rows]


def _domestic_subtotals(rows: list[dict]) -> list[dict]:
    """After each region's suppliers, what its domestic and its foreign suppliers add up to: the
    domestic share a policy asks about. A label with a space is never a supplier's code."""
    arranged = []
    for region, group in groupby(rows, key=lambda row: row["region"]):
        suppliers = list(group)
        arranged += suppliers
        for domestic, label in ((True, "all domestic"), (False, "all foreign")):
            mine = [row for row in suppliers if bool(row["domestic"]) is domestic]
            arranged.append(
                {
                    "region": region,
                    "supplier": label,
                    "value": _sum(row["value"] for row in mine),
                    "units": _sum(row["units"] for row in mine),
                    "share": _sum(row["share"] for row in mine),
                    TOTAL: True,
                }
            )
    return arranged


def _figures(
    identity: Sequence[str], figures: Sequence[str]
) -> Callable[[Columns, Iterable[Row]], tuple[Columns, Iterable[Row]]]:
    """A diff as one line per figure that prints differently: what, before, after, change."""
    from ledger.views import cell

    def printed(value) -> str:
        if isinstance(value, (Decimal, Fraction, int)):
            return cell(value, AMOUNT)
        return "" if value is None else str(value)

    def reshape(columns: Columns, rows: Iterable[Row]) -> tuple[Columns, Iterable[Row]]:
        kinds = dict(columns)
        shown: Columns = [(name, kinds[name]) for name in identity]
        shown += [("what", PLAIN), ("before", PLAIN), ("after", PLAIN), ("change", PLAIN)]

        def lines() -> Iterable[Row]:
            for row in rows:
                changed = [
                    figure
                    for figure in figures
                    if printed(row.get(f"{figure}_before")) != printed(row.get(f"{figure}_after"))
                ]
                for figure in changed or figures:
                    yield {
                        **{name: row.get(name) for name in identity},
                        "what": figure,
                        "before": row.get(f"{figure}_before"),
                        "after": row.get(f"{figure}_after"),
                        "change": row.get(f"{figure}_change"),
                    }

        return shown, lines()

    return reshape


DIFF_FORMATS = {"before": _amount_or_word, "after": _amount_or_word, "change": _amount_or_word}


def _remaining_went_negative(row: Row, name: str) -> bool:
    value = row.get(name)
    return (
        row.get("what") == "remaining"
        and name in ("before", "after")
        and isinstance(value, (Decimal, Fraction, int))
        and value < 0
    )


@cache
def _layouts() -> list[tuple[tuple[str, ...], Layout]]:
    from commands import (
        approvals,
        budget,
        compliance,
        diff,
        fx,
        invoice,
        period,
        policy,
        query,
        region,
        supplier,
    )
    from commands.audit import LOG_COLUMNS

    money = ("region", "year", "currency")
    remaining = _negative("remaining")
    listed = [
        (query.BUDGET_COLUMNS, Layout(keys=money, alarm=remaining)),
        (query.SPEND_COLUMNS, Layout(keys=money, alarm=remaining)),
        (query.GROUP_COLUMNS, Layout(keys=money, arrange=_group_total, alarm=remaining)),
        (
            query.COMMITMENT_COLUMNS,
            Layout(keys=("kind", "id", "currency"), arrange=_currency_totals),
        ),
        (query.SHARE_COLUMNS, Layout(keys=("region", "supplier"), arrange=_domestic_subtotals)),
        (compliance.COMPLIANCE_COLUMNS, Layout(keys=("policy", "region", "subject"))),
        (
            policy.POLICY_COLUMNS,
            Layout(
                keys=("policy", "region"),
                labels={"enabled": "on", "threshold": "thresh", "tolerance": "tol"},
                formats={"threshold": _percent, "tolerance": _percent},
            ),
        ),
        (
            diff.BUDGET_DIFF_COLUMNS,
            Layout(
                keys=(*money, "what"),
                reshape=_figures(money, ("budget", "committed", "remaining")),
                formats=DIFF_FORMATS,
                alarm=_remaining_went_negative,
            ),
        ),
        (
            diff.SPEND_DIFF_COLUMNS,
            Layout(
                keys=(*money, "what"),
                reshape=_figures(money, ("committed", "received", "invoiced", "paid")),
                formats=DIFF_FORMATS,
            ),
        ),
        (
            diff.COMMITMENT_DIFF_COLUMNS,
            # The id names the document (its kind is in the CSV): the line then fits 80 columns.
            Layout(
                keys=("id", "currency", "what"),
                reshape=_figures(("id", "region", "currency"), ("status", "committed")),
                formats=DIFF_FORMATS,
            ),
        ),
        (diff.EVENT_DIFF_COLUMNS, Layout(keys=("seq",))),
        (region.REGION_COLUMNS, Layout(keys=("region",))),
        (supplier.SUPPLIER_COLUMNS, Layout(keys=("supplier",))),
        (fx.FX_COLUMNS, Layout(keys=("base", "quote"))),
        (budget.BUDGET_COLUMNS, Layout(keys=("region", "year"))),
        (budget.TRANSFER_COLUMNS, Layout(keys=("from_region", "to_region", "year"))),
        (invoice.INVOICE_COLUMNS, Layout(keys=("invoice", "currency"))),
        (approvals.APPROVAL_COLUMNS, Layout(keys=("approval",))),
        (period.PERIOD_COLUMNS, Layout(keys=("region",))),
        (period.HISTORY_COLUMNS, Layout(keys=("region", "seq"))),
    ]
    layouts = [
        (
            tuple(name for name, _ in columns),
            replace(
                layout,
                labels={**SHORT, **layout.labels},
                formats={**FORMATS, **layout.formats},
            ),
        )
        for columns, layout in listed
    ]
    # The log keeps the names of the envelope's fields and its one-field-per-line records.
    return [*layouts, (tuple(name for name, _ in LOG_COLUMNS), PLAIN_LAYOUT)]


def layout_for(names: Sequence[str]) -> Layout:
    """The layout of the listing whose columns are `names`, or of the longest listing whose
    columns they begin with; a listing of other columns is shown as it is."""
    found = [
        (len(columns), layout)
        for columns, layout in _layouts()
        if tuple(names[: len(columns)]) == columns
    ]
    return max(found, key=lambda pair: pair[0])[1] if found else PLAIN_LAYOUT
