"""One renderer for every listing: table (people), csv (spreadsheets, scripts), json (programs)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import click

# Column kinds: how a value is written. "text" is free text and gets the CSV formula guard.
AMOUNT, FRACTION, TEXT, PLAIN, BOOL = "amount", "fraction", "text", "plain", "bool"
# The UTF-8 byte order mark: without it, Excel opens a CSV in the local code page.
BOM = "\ufeff"


def _remember_excel(ctx: click.Context, _param, value: bool) -> bool:
    # Kept in the context's meta (shared by the whole command line) rather than passed to each
    # command: `render` reads it, so no listing command needs a parameter of its own for it.
    if value:
        ctx.meta[EXCEL] = True
    return value


EXCEL = "ledger.excel"


def output_options(function):
    function = click.option("--excel", is_flag=True, expose_value=False, callback=_remember_excel,
                            help="CSV for spreadsheets: start with a UTF-8 byte order mark so that "
                                 "Excel reads UTF-8 (implies --format csv).")(function)
    function = click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True),
                            help="Write to FILE instead of standard output.")(function)
    function = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                            help="Output format [default: table on a terminal, else csv].")(function)
    return function


def cell(value, kind: str) -> str:
    """A value as a CSV cell (exact until here, rounded half up only now)."""
    from ledger.chain import guard
    from ledger.money import format_amount, format_fraction4

    if value is None:
        return ""
    if kind == AMOUNT:
        return format_amount(value)
    if kind == FRACTION:
        return format_fraction4(value)
    if kind == BOOL:
        return "true" if value else "false"
    if kind == TEXT:
        return guard(str(value))
    return str(value)


def json_value(value, kind: str):
    if value is None:
        return None
    if kind in (AMOUNT, FRACTION):
        return cell(value, kind)
    if isinstance(value, (Decimal, Fraction)):
        return str(value)
    if isinstance(value, (bool, int)):
        return value
    return str(value)


def table_value(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == AMOUNT:
        from ledger.money import round_half_up

        return f"{round_half_up(value):,}"
    if kind == TEXT:
        return str(value)
    return cell(value, kind)


def render(rows: Iterable[dict], columns: list[tuple[str, str]], fmt: str | None, output: str | None) -> None:
    names = [name for name, _ in columns]
    context = click.get_current_context(silent=True)
    excel = bool(context and context.meta.get(EXCEL))
    if excel and fmt not in (None, "csv"):
        raise click.UsageError(f"--excel writes CSV; it cannot be combined with --format {fmt}")
    if fmt is None:
        fmt = "csv" if excel or output is not None or not sys.stdout.isatty() else "table"
    stream = open(output, "w", newline="", encoding="utf-8") if output else None
    try:
        out = stream or sys.stdout
        if fmt == "csv":
            from ledger.io import write_csv

            if excel:
                out.write(BOM)
            write_csv(out, names, ([cell(row.get(n), k) for n, k in columns] for row in rows))
        elif fmt == "json":
            data = [{n: json_value(row.get(n), k) for n, k in columns} for row in rows]
            out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        else:
            _table(out, names, [[table_value(row.get(n), k) for n, k in columns] for row in rows],
                   right={n for n, k in columns if k in (AMOUNT, FRACTION) or n in ("seq", "year", "quantity", "units")})
    finally:
        if stream:
            stream.close()


def _table(out, names: list[str], rows: list[list[str]], right: set[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for name in names:
        table.add_column(name, justify="right" if name in right else "left", overflow="fold")
    for row in rows:
        table.add_row(*row)
    console = Console(file=out, force_terminal=out.isatty() if hasattr(out, "isatty") else False,
                      width=None if out.isatty() else 200, highlight=False, markup=False)
    if not rows:
        console.print("(no rows)")
    else:
        console.print(table)
