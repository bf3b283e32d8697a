"""Plain-text tables for people: never split a number, date, code or header; wrap free text;
when the columns cannot fit the width, tighten the gaps, then (for a table that names its key
columns) print the columns in parts that each repeat the keys, and only then fall back to one
`name: value` line per field.

Rows are laid out in blocks: a block's column widths come from its first rows, so a long
listing starts printing at once (a row that no longer fits the widths starts a new block with its
own header). Control characters read from the log are shown escaped (`\\x1b`), never sent to the
terminal. A listing longer than the screen goes through a pager (`page`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice

from rich.cells import cell_len

# Columns of free text: the only ones that may wrap onto more lines.
FREE_TEXT = frozenset(
    {"detail", "reason", "name", "payload", "actor", "owner", "operator", "note", "approved_by"}
)
GAP, TIGHT = "  ", " "
WRAP_MIN = 12  # a free-text column narrower than this reads worse than the vertical layout
# How wide a free-text column counts when columns are shared out among the parts of a split
# table: narrower, and a reason wraps into a column of words.
PART_TEXT = 24
BLOCK_ROWS = 200
NON_TTY_WIDTH = 200
BOLD, RED, RESET = "\x1b[1m", "\x1b[31m", "\x1b[0m"
# C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides that
# can make a line read differently from what it holds.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A comma between digits is a thousands separator, part of an amount: never a break. A point
# before a lower-case letter ends a part of a name (finance.controller), one between digits
# does not.
_BREAK = re.compile(r"(?<=[ ;/])|(?<=,)(?!\d)|(?<=\D,)|(?<=[a-z]\.)(?=[a-z])")


class Total(list):
    """A row of totals: printed under a rule, after the rows it adds up."""


class Alarm(str):
    """A cell to be read at once (a negative remaining budget): red when colour is on."""


def visible(text: str) -> str:
    """Text with every control character written out as an escape (ESC becomes \\x1b)."""
    return _UNSAFE.sub(
        lambda m: (
            _NAMED.get(m[0])
            or (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}")
        ),
        text,
    )


def output_width(stream) -> int:
    """COLUMNS when set (also under TERM=dumb), else the terminal's width, else a wide page."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if is_terminal(stream):
        return shutil.get_terminal_size((80, 24)).columns
    return NON_TTY_WIDTH


def is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def colour_on(stream) -> bool:
    """Styling only on a terminal, and not when NO_COLOR is set (to anything but empty) or the
    terminal is dumb: the rules rich follows."""
    return (
        is_terminal(stream)
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM", "") not in ("dumb", "unknown")
    )


def page(lines: Iterable[str], out, *, colour: bool) -> None:
    """Write lines to `out`; on a terminal, a listing longer than the screen goes through the
    pager ($PAGER, else less) as git does it: less keeps it on screen and passes the colours."""
    if not is_terminal(out):
        for line in lines:
            out.write(line + "\n")
        return
    import click

    lines = iter(lines)
    # A screen holds its height less the line of the prompt that follows.
    height = shutil.get_terminal_size((80, 24)).lines
    head = list(islice(lines, height))
    if len(head) < height:
        for line in head:
            out.write(line + "\n")
        out.flush()
        return
    os.environ.setdefault("LESS", "-FRX")
    click.echo_via_pager((line + "\n" for line in chain(head, lines)), color=colour)


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap at spaces, after , ; / and inside dotted names — a longer piece is folded at
    the width."""
    lines: list[str] = []
    line = ""
    for piece in _BREAK.split(text):
        while cell_len(piece) > width:
            room = width - cell_len(line)
            if room <= 0:
                lines.append(line.rstrip())
                line, room = "", width
            head, piece = _take(piece, room)
            line += head
        if cell_len(line) + cell_len(piece.rstrip()) > width and line:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    if line or not lines:
        lines.append(line.rstrip())
    return lines


def _take(text: str, width: int) -> tuple[str, str]:
    used = 0
    for index, char in enumerate(text):
        used += cell_len(char)
        if used > width:
            return text[:index], text[index:]
    return text, ""


def _pad(text: str, width: int, right: bool, colour: bool = False) -> str:
    space = " " * max(0, width - cell_len(text))
    if colour and isinstance(text, Alarm):
        text = f"{RED}{text}{RESET}"
    return space + text if right else text + space


class Part:
    """Some columns of a block (all of them, or the key columns and a run of the others) with
    their widths: a header, a rule, then the rows."""

    def __init__(self, table: Layout, columns: list[int], widths: list[int], gap: str):
        self.table, self.columns, self.widths, self.gap = table, columns, widths, gap
        self.in_totals = False

    def header(self, colour: bool) -> Iterator[str]:
        t = self.table
        cells = [
            _pad(t.labels[i], w, t.names[i] in t.right)
            for i, w in zip(self.columns, self.widths, strict=True)
        ]
        line = self.gap.join(cells).rstrip()
        yield f"{BOLD}{line}{RESET}" if colour else line
        yield self.rule()

    def rule(self) -> str:
        return self.gap.join("─" * w for w in self.widths)

    def lines(self, row: list[str], colour: bool) -> Iterator[str]:
        t = self.table
        total = isinstance(row, Total)
        if total and not any(row[i] for i in self.columns if i not in t.key):
            return  # this part of the total row holds only its keys: nothing added up here
        if total and not self.in_totals:
            yield self.rule()
        self.in_totals = total
        cells = [
            (wrap(row[i], w) if t.free[i] else [row[i]])
            for i, w in zip(self.columns, self.widths, strict=True)
        ]
        for depth in range(max(len(c) for c in cells)):
            yield self.gap.join(
                _pad(
                    c[depth] if depth < len(c) else "",
                    w,
                    t.names[i] in t.right,
                    colour,
                )
                for c, i, w in zip(cells, self.columns, self.widths, strict=True)
            ).rstrip()


class Layout:
    """How one block is laid out: one part (a plain table), several (a table too wide for the
    width, split into parts that repeat the key columns), or none (the vertical layout)."""

    def __init__(
        self,
        names: list[str],
        labels: list[str],
        right: set[str],
        width: int,
        rows: list[list[str]],
        keys: Sequence[str] | None = None,
    ):
        self.names, self.labels, self.right, self.width = names, labels, right, width
        self.free = [name in FREE_TEXT for name in names]
        self.records = 0
        self.natural = [
            max([cell_len(label)] + [cell_len(row[i]) for row in rows])
            for i, label in enumerate(labels)
        ]
        self.minimum = [
            max(cell_len(label), min(self.natural[i], WRAP_MIN)) if self.free[i] else natural
            for i, (label, natural) in enumerate(zip(labels, self.natural, strict=True))
        ]
        self.key = [i for i, name in enumerate(names) if name in (keys or ())] or [0]
        everything = list(range(len(names)))
        self.parts: list[Part] | None = None
        for gap in (GAP, TIGHT):
            if self._need(everything, self.minimum, gap) <= width:
                self.parts = [Part(self, everything, self._spread(everything, gap), gap)]
                return
        if keys is not None:
            self.parts = self._split()

    def _need(self, columns: list[int], widths: list[int], gap: str) -> int:
        return sum(widths[i] for i in columns) + cell_len(gap) * (len(columns) - 1)

    def _spread(self, columns: list[int], gap: str) -> list[int]:
        """The columns' widths: each its minimum, and the room left to the free-text columns:
        first whole to those it can hold whole, shortest first (a name is better not broken),
        then to the others narrowest first (water-filling)."""
        widths = {i: self.minimum[i] for i in columns}
        spare = self.width - self._need(columns, self.minimum, gap)
        for i in sorted((i for i in columns if self.free[i]), key=lambda i: self.natural[i]):
            if self.natural[i] - widths[i] <= spare:
                spare -= self.natural[i] - widths[i]
                widths[i] = self.natural[i]
        while spare > 0:
            short = [i for i in columns if self.free[i] and widths[i] < self.natural[i]]
            if not short:
                break
            widths[min(short, key=lambda i: widths[i])] += 1
            spare -= 1
        return [widths[i] for i in columns]

    def _split(self) -> list[Part] | None:
        """Parts that each hold the key columns and as many of the others, in order, as fit."""
        key = self.key
        packing = [
            max(self.minimum[i], min(self.natural[i], PART_TEXT)) if self.free[i] else w
            for i, w in enumerate(self.minimum)
        ]
        groups: list[list[int]] = []
        for i in (i for i in range(len(self.names)) if i not in key):
            if groups and self._need(sorted(key + groups[-1] + [i]), packing, GAP) <= self.width:
                groups[-1].append(i)
            elif self._need(sorted(key + [i]), self.minimum, GAP) <= self.width:
                groups.append([i])
            else:
                return None
        if not groups:
            return None
        parts = []
        for group in groups:
            columns = sorted(key + group)
            parts.append(Part(self, columns, self._spread(columns, GAP), GAP))
        return parts

    @property
    def split(self) -> bool:
        return self.parts is not None and len(self.parts) > 1

    def fits(self, row: list[str]) -> bool:
        if self.parts is None:
            return True
        (part,) = self.parts
        return all(
            self.free[i] or cell_len(row[i]) <= w
            for i, w in zip(part.columns, part.widths, strict=True)
        )

    def header(self, colour: bool) -> Iterator[str]:
        if self.parts is not None:
            yield from self.parts[0].header(colour)

    def lines(self, row: list[str], colour: bool) -> Iterator[str]:
        if self.parts is None:
            yield from self._vertical(row)
        else:
            yield from self.parts[0].lines(row, colour)

    def block(self, rows: list[list[str]], colour: bool) -> Iterator[str]:
        """A split block: each part in turn, a blank line between them."""
        assert self.parts is not None
        for number, part in enumerate(self.parts):
            if number:
                yield ""
            yield from part.header(colour)
            for row in rows:
                yield from part.lines(row, colour)

    def _vertical(self, row: list[str]) -> Iterator[str]:
        label = max(cell_len(name) for name in self.labels) + 2
        room = self.width - label
        if self.records:
            yield ""
        self.records += 1
        for name, title, value in zip(self.names, self.labels, row, strict=True):
            parts = wrap(value, room) if name in FREE_TEXT and room >= WRAP_MIN else [value]
            yield f"{title + ':':<{label}}{parts[0]}".rstrip()
            for part in parts[1:]:
                yield " " * label + part


def _clean(row: list[str]) -> list[str]:
    cells = [Alarm(visible(value)) if isinstance(value, Alarm) else visible(value) for value in row]
    return Total(cells) if isinstance(row, Total) else cells


def table_lines(
    names: list[str],
    rows: Iterable[list[str]],
    right: set[str],
    width: int,
    *,
    labels: list[str] | None = None,
    keys: Sequence[str] | None = None,
    colour: bool = False,
) -> Iterator[str]:
    """The lines of a table of `rows` (already strings), laid out block by block. `labels` are
    the headers (default: the names); `keys`, the columns a too wide table repeats in each of
    its parts (None: such a table falls back to the vertical layout)."""
    labels = labels or names
    rows = iter(rows)
    buffer: deque[list[str]] = deque()
    layout: Layout | None = None
    printed = False

    def fill() -> None:
        for _, row in zip(range(BLOCK_ROWS - len(buffer)), rows, strict=False):
            buffer.append(_clean(row))

    while True:
        if not buffer:
            fill()
            if not buffer:
                break
        if layout is None or not layout.fits(buffer[0]):
            fill()
            layout = Layout(names, labels, right, width, list(buffer), keys)
            if printed:
                yield ""
            printed = True
            if layout.split:
                yield from layout.block(list(buffer), colour)
                buffer.clear()
                layout = None
                continue
            yield from layout.header(colour)
        yield from layout.lines(buffer.popleft(), colour)
    if not printed:
        yield "(no rows)"
