"""One renderer for every listing: table (people), csv (spreadsheets, scripts), json (programs)."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction

import click

# Column kinds: how a value is written. "text" is free text and gets the CSV formula guard.
AMOUNT, FRACTION, TEXT, PLAIN, BOOL, RATE = "amount", "fraction", "text", "plain", "bool", "rate"
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


def cell(value, kind: str) -> str:
    """A value as a CSV cell (exact until here, rounded half up only now)."""
    from ledger.chain import guard
    from ledger.money import format_amount, format_fraction4, format_rate

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
    if value is None:
        return None
    if kind in (AMOUNT, FRACTION, RATE):
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


def render(
    rows: Iterable[dict],
    columns: list[tuple[str, str]],
    fmt: str | None,
    output: str | None,
    *,
    pager: bool = False,
) -> None:
    """Write rows (any iterable: a table streams them) as a table, CSV or JSON to stdout or -o;
    with pager, a table on a terminal goes through $PAGER (less)."""
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
    columns: list[tuple[str, str]],
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
        data = [{n: json_value(row.get(n), k) for n, k in columns} for row in rows]
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        _table(
            out,
            names,
            ([table_value(row.get(n), k) for n, k in columns] for row in rows),
            right={
                n
                for n, k in columns
                if k in (AMOUNT, FRACTION) or n in ("seq", "year", "quantity", "units")
            },
            pager=pager,
        )


def _table(
    out, names: list[str], rows: Iterable[list[str]], right: set[str], pager: bool = False
) -> None:
    """A table for people (see commands/tables.py), through a pager when asked and on a terminal."""
    from commands.tables import output_width, table_lines

    terminal = bool(getattr(out, "isatty", None) and out.isatty())
    color = terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM", "") != "dumb"
    lines = table_lines(names, rows, right, output_width(out), bold=color)
    if pager and terminal:
        # As git does: less quits at once when the table fits one screen, and keeps it on screen.
        os.environ.setdefault("LESS", "-FRX")
        click.echo_via_pager((line + "\n" for line in lines), color=color)
        return
    for line in lines:
        out.write(line + "\n")
