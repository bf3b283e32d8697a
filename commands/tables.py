"""Plain-text tables for people: never split a number, date, code or header; wrap free text;
fall back to one `name: value` line per field when the columns cannot fit the width.

Rows are laid out in blocks: a block's column widths come from its first rows, so a long
listing starts printing at once (a row that no longer fits the widths starts a new block with its
own header). Control characters read from the log are shown escaped (`\\x1b`), never sent to the
terminal.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import deque
from collections.abc import Iterable, Iterator

from rich.cells import cell_len

# Columns of free text: the only ones that may wrap onto more lines.
FREE_TEXT = frozenset({"detail", "reason", "name", "payload", "actor", "owner", "operator", "note"})
GAP = "  "
WRAP_MIN = 12  # a free-text column narrower than this reads worse than the vertical layout
BLOCK_ROWS = 200
NON_TTY_WIDTH = 200
# C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides that
# can make a line read differently from what it holds.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A comma between digits is a thousands separator, part of an amount: never a break.
_BREAK = re.compile(r"(?<=[ ;/])|(?<=,)(?!\d)|(?<=\D,)")


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
    isatty = getattr(stream, "isatty", None)
    if isatty and isatty():
        return shutil.get_terminal_size((80, 24)).columns
    return NON_TTY_WIDTH


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap at spaces and after , ; / — a longer piece is folded at the width."""
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


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - cell_len(text))
    return space + text if right else text + space


class Layout:
    """Column widths for one block, or None widths: the vertical layout."""

    def __init__(self, names: list[str], right: set[str], width: int, rows: list[list[str]]):
        self.names, self.right, self.width = names, right, width
        self.free = [name in FREE_TEXT for name in names]
        self.records = 0
        natural = [
            max([cell_len(name)] + [cell_len(row[i]) for row in rows])
            for i, name in enumerate(names)
        ]
        minimum = [
            max(cell_len(name), min(natural[i], WRAP_MIN)) if self.free[i] else natural[i]
            for i, name in enumerate(names)
        ]
        room = width - cell_len(GAP) * (len(names) - 1)
        self.widths: list[int] | None = None
        if sum(minimum) > room:
            return
        widths = list(minimum)
        spare = room - sum(widths)
        while spare > 0:
            short = [i for i in range(len(names)) if self.free[i] and widths[i] < natural[i]]
            if not short:
                break
            narrowest = min(short, key=lambda i: widths[i])  # water-filling: short texts fit whole
            widths[narrowest] += 1
            spare -= 1
        self.widths = widths

    def fits(self, row: list[str]) -> bool:
        return self.widths is None or all(
            self.free[i] or cell_len(value) <= self.widths[i] for i, value in enumerate(row)
        )

    def header(self, bold: bool) -> Iterator[str]:
        if self.widths is None:
            return
        cells = [
            _pad(name, w, self.names[i] in self.right)
            for i, (name, w) in enumerate(zip(self.names, self.widths, strict=True))
        ]
        line = GAP.join(cells).rstrip()
        yield f"\x1b[1m{line}\x1b[0m" if bold else line
        yield GAP.join("─" * w for w in self.widths)

    def lines(self, row: list[str]) -> Iterator[str]:
        if self.widths is None:
            yield from self._vertical(row)
            return
        columns = [
            wrap(value, self.widths[i]) if self.free[i] else [value] for i, value in enumerate(row)
        ]
        for depth in range(max(len(c) for c in columns)):
            cells = [
                _pad(
                    c[depth] if depth < len(c) else "", self.widths[i], self.names[i] in self.right
                )
                for i, c in enumerate(columns)
            ]
            yield GAP.join(cells).rstrip()

    def _vertical(self, row: list[str]) -> Iterator[str]:
        label = max(cell_len(name) for name in self.names) + 2
        room = self.width - label
        if self.records:
            yield ""
        self.records += 1
        for name, value in zip(self.names, row, strict=True):
            parts = wrap(value, room) if name in FREE_TEXT and room >= WRAP_MIN else [value]
            yield f"{name + ':':<{label}}{parts[0]}".rstrip()
            for part in parts[1:]:
                yield " " * label + part


def table_lines(
    names: list[str], rows: Iterable[list[str]], right: set[str], width: int, bold: bool = False
) -> Iterator[str]:
    """The lines of a table of `rows` (already strings), laid out block by block."""
    rows = iter(rows)
    buffer: deque[list[str]] = deque()
    layout: Layout | None = None

    def fill() -> None:
        for _, row in zip(range(BLOCK_ROWS - len(buffer)), rows, strict=False):
            buffer.append([visible(value) for value in row])

    while True:
        if not buffer:
            fill()
            if not buffer:
                break
        if layout is None or not layout.fits(buffer[0]):
            fill()
            printed = layout is not None
            layout = Layout(names, right, width, list(buffer))
            if printed and layout.widths is not None:
                yield ""
            yield from layout.header(bold)
        yield from layout.lines(buffer.popleft())
    if layout is None:
        yield "(no rows)"
