"""One renderer for every listing: table (people), csv (spreadsheets, scripts), json (programs)."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import click

# Column kinds and cells are the library's (ledger/views.py), shared with the web view's API.
from ledger.views import (  # noqa: F401 (the kinds are re-exported to the commands)
    AMOUNT,
    BOOL,
    FRACTION,
    INTEGER,
    PLAIN,
    RATE,
    TEXT,
    cell,
    json_text,
)

# The UTF-8 byte order mark: without it, Excel opens a CSV in the local code page.
BOM = "\ufeff"


@contextmanager
def written(path: str, *, newline: str | None = "") -> Iterator:
    """A text stream for `-o FILE` that either completes or leaves nothing that looks complete.

    A regular file is written to a temporary file next to it and renamed over it only once every
    byte is out (so a full disk or a failed query leaves the old file, or none); a device such as
    /dev/full or a pipe is written in place. Any failure becomes one `cannot write FILE: reason`
    error (a LedgerError, exit 1). An existing file the user may not write is refused, as writing
    it in place would be, although the rename itself would be allowed."""
    import tempfile

    from ledger.errors import LedgerError

    def failed(error: OSError) -> LedgerError:
        return LedgerError(f"cannot write {path}: {error.strerror or error}")

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise failed(error) from None
    if mode is not None and not stat.S_ISREG(mode):
        try:
            stream = open(path, "w", newline=newline, encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise failed(error) from None
        try:
            yield stream
            stream.close()
        except OSError as error:
            raise failed(error) from None
        finally:
            _close_quietly(stream)
        return
    if mode is not None and not os.access(path, os.W_OK):
        raise failed(PermissionError(13, "Permission denied"))
    target = os.path.realpath(path)  # through a symlink: replace the file, keep the link
    folder = os.path.dirname(target)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".part", dir=folder
        )
    except OSError as error:
        raise failed(error) from None
    try:
        stream = os.fdopen(handle, "w", newline=newline, encoding="utf-8")
        try:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        finally:
            _close_quietly(stream)
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as error:
        _remove_quietly(temporary)
        raise failed(error) from None
    except BaseException:
        _remove_quietly(temporary)
        raise


def _close_quietly(stream) -> None:
    try:
        stream.close()
    except OSError:
        pass


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _remember_excel(ctx: click.Context, _param, value: bool) -> bool:
    # Kept in the context's meta (shared by the whole command line) rather than passed to each
    # command: `render` reads it, so no listing command needs a parameter of its own for it.
    if value:
        ctx.meta[EXCEL] = True
    return value


EXCEL = "ledger.excel"


def output_options(function):
    function = click.option(
        "--excel",
        is_flag=True,
        expose_value=False,
        callback=_remember_excel,
        help="CSV for spreadsheets: start with a UTF-8 byte order mark so that "
        "Excel reads UTF-8 (implies --format csv).",
    )(function)
    function = click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(dir_okay=False),
        help="Write to FILE instead of standard output.",
    )(function)
    function = click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        help="Output format [default: table on a terminal, else csv].",
    )(function)
    return function


def table_value(value, kind: str) -> str:
    """A value as a table shows it: amounts with thousands separators, a share or utilization
    as a percentage (two decimals: exactly the CSV's four), yes or no."""
    if value is None:
        return ""
    if kind == AMOUNT:
        from ledger.money import round_half_up

        return f"{round_half_up(value):,}"
    if kind == FRACTION:
        from ledger.money import percent

        return percent(value)
    if kind == BOOL:
        return "yes" if value else "no"
    if kind == TEXT:
        return str(value)
    return cell(value, kind)


def render(
    rows: Iterable[dict],
    columns: Sequence[tuple[str, str]],
    fmt: str | None,
    output: str | None,
    *,
    pager: bool = True,
) -> None:
    """Write rows (any iterable: a table streams them) as a table, CSV or JSON to stdout or -o;
    a table on a terminal longer than the screen goes through $PAGER (less) unless not pager."""
    context = click.get_current_context(silent=True)
    excel = bool(context and context.meta.get(EXCEL))
    if excel and fmt not in (None, "csv"):
        raise click.UsageError(f"--excel writes CSV; it cannot be combined with --format {fmt}")
    if fmt is None:
        fmt = "csv" if excel or output is not None or not sys.stdout.isatty() else "table"
    if output:
        with written(output) as stream:
            _write(stream, rows, columns, fmt, excel)
    else:
        _write(sys.stdout, rows, columns, fmt, excel, pager)


def _write(
    out,
    rows: Iterable[dict],
    columns: Sequence[tuple[str, str]],
    fmt: str,
    excel: bool,
    pager: bool = False,
) -> None:
    names = [name for name, _ in columns]
    if fmt == "csv":
        from ledger.io import write_csv

        if excel:
            out.write(BOM)
        write_csv(out, names, ([cell(row.get(n), k) for n, k in columns] for row in rows))
    elif fmt == "json":
        out.write(json_text(rows, columns))
    else:
        _table(out, rows, columns, pager)


# Columns of numbers whose kind does not say so.
NUMBERS = frozenset(
    {"seq", "used_seq", "year", "quantity", "units", "rate", "threshold", "tolerance"}
    | {"before", "after", "change"}
)


def _table(
    out, rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str]], pager: bool
) -> None:
    """A table for people (commands/tables.py), laid out as its report says (commands/layouts.py),
    through a pager when it is longer than the terminal."""
    from commands.layouts import TOTAL, layout_for
    from commands.tables import Alarm, Total, colour_on, output_width, page, table_lines

    layout = layout_for([name for name, _ in columns])
    if layout.reshape is not None:
        columns, rows = layout.reshape(list(columns), rows)
    if layout.arrange is not None:
        rows = layout.arrange([dict(row) for row in rows])
    names = [name for name, _ in columns]

    def cells(row) -> list[str]:
        shown = []
        for name, kind in columns:
            value = row.get(name)
            own = layout.formats.get(name)
            text = own(value) if own and value is not None else table_value(value, kind)
            shown.append(Alarm(text) if layout.alarm and layout.alarm(row, name) else text)
        return Total(shown) if row.get(TOTAL) else shown

    colour = colour_on(out)
    lines = table_lines(
        names,
        (cells(row) for row in rows),
        right={n for n, k in columns if k in (AMOUNT, FRACTION, RATE, INTEGER) or n in NUMBERS},
        width=output_width(out),
        labels=[layout.label(name) for name in names],
        keys=layout.keys,
        colour=colour,
    )
    if pager:
        page(lines, out, colour=colour)
    else:
        for line in lines:
            out.write(line + "\n")
