"""Files in and out: JSONL/CSV event readers that keep line numbers, CSV writers with the guard."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ledger.chain import guard
from ledger.errors import LedgerError, Problem

Record = dict[str, Any]
# An import file yields, per line, either the record on it or the problem that line has.
Line = tuple[int, Record | Problem]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a ledger can hold")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> Record:
    record: Record = {}
    for key, value in pairs:
        if key in record:
            raise ValueError(f"key {key!r} appears twice")
        record[key] = value
    return record


def parse_json_line(text: str) -> Record:
    """One JSONL line; numbers become exact Decimals (integers stay int)."""
    value = json.loads(
        text,
        parse_float=Decimal,
        parse_constant=_refuse_constant,
        object_pairs_hook=_object_without_duplicates,
    )
    if not isinstance(value, dict):
        raise ValueError("a line must hold one JSON object")
    return value


def read_jsonl(stream: IO[bytes], progress: Callable[[int], None] | None = None) -> Iterator[Line]:
    for number, raw in enumerate(stream, start=1):
        if progress:
            progress(len(raw))
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, Problem(number, "is not valid UTF-8")
            continue
        if not text.strip():
            continue
        try:
            yield number, parse_json_line(text)
        except (ValueError, RecursionError) as error:
            message = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
            yield number, Problem(number, f"malformed JSON: {message}")


class _CountingText:
    """Decodes a binary stream line by line, reporting bytes read and invalid UTF-8 by line."""

    def __init__(self, stream: IO[bytes], progress: Callable[[int], None] | None):
        self.stream = stream
        self.progress = progress
        self.line = 0
        self.bad_lines: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.line += 1
            if self.progress:
                self.progress(len(raw))
            if self.line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_lines.append(self.line)
                yield raw.decode("utf-8", errors="replace")


def read_csv(stream: IO[bytes], progress: Callable[[int], None] | None = None) -> Iterator[Line]:
    """One event per row; an empty cell means the key is absent. Line numbers are those of the
    file (the header is line 1), counted at the row's first line."""
    text = _CountingText(stream, progress)
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        yield 1, Problem(1, f"malformed CSV header: {error}")
        return
    if len(set(header)) != len(header):
        yield 1, Problem(1, "the header names a column twice")
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, Problem(start, f"malformed CSV: {error}")
            return
        number, start = start, reader.line_num + 1
        if number in text.bad_lines:
            yield number, Problem(number, "is not valid UTF-8")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield number, Problem(number, f"has {len(row)} cells, the header has {len(header)}")
            continue
        yield number, {key: cell for key, cell in zip(header, row, strict=True) if cell != ""}


def read_events_file(path: str | Path, progress: Callable[[int], None] | None = None) -> Iterator[Line]:
    """Lines of a .jsonl or .csv file (by its suffix; anything else is read as JSON Lines)."""
    path = Path(path)
    try:
        stream = path.open("rb")
    except OSError as error:
        raise LedgerError(f"cannot read {path}: {error.strerror}") from None
    with stream:
        reader = read_csv if path.suffix.lower() == ".csv" else read_jsonl
        yield from reader(stream, progress)


class _LineFeedRows:
    """csv.writer quotes only the characters of its line terminator, so with LF it leaves a cell
    holding a bare CR unquoted, and a reader splits the row there. It writes to this with CRLF,
    which quotes CR and LF alike, and each row ends in LF here; the writer hands over one whole
    row per write()."""

    def __init__(self, out: IO[str]):
        self.out = out

    def write(self, row: str) -> int:
        return self.out.write(row.removesuffix("\r\n") + "\n")


def write_csv(out: IO[str], columns: Iterable[str], rows: Iterable[Sequence[Any]]) -> None:
    """RFC 4180 quoting, one row per line (LF, as most command-line tools write); cells are
    written as given, so format them first."""
    careful = csv.writer(_LineFeedRows(out), lineterminator="\r\n")
    fast = csv.writer(out, lineterminator="\n")
    careful.writerow(list(columns))
    for row in rows:
        # Only a row with a CR in some cell needs the careful writer; nearly none has one.
        if any(isinstance(cell, str) and "\r" in cell for cell in row):
            careful.writerow(row)
        else:
            fast.writerow(row)


EXPORT_COLUMNS = ("seq", "event_id", "type", "effective", "recorded_at", "actor", "reason",
                  "payload", "prev_hash", "hash")


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _cell(text: str) -> str:
    """One CSV cell as csv.writer quotes it (QUOTE_MINIMAL, CR and LF included)."""
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def export_lines(rows: Iterable[tuple]) -> str:
    """Rows of `export events` from stored rows (LOG_COLUMNS order, effective as text, the
    payload as its stored canonical text), as CSV text: only actor and reason are guarded.

    Written directly rather than through csv.writer, which scans the long, quote-filled payload
    character by character: the same quoting (RFC 4180, minimal, CR and LF quoted), several
    times faster. The tests compare the two."""
    lines = []
    for seq, event_id, type_, effective, recorded_at, actor, reason, payload, prev_hash, digest in rows:
        fixed = f"{event_id},{type_},{effective},{recorded_at}"
        if _NEEDS_QUOTES.search(fixed) or _NEEDS_QUOTES.search(prev_hash + digest):
            fixed = ",".join(_cell(cell) for cell in (event_id, type_, effective, recorded_at))
            prev_hash, digest = _cell(prev_hash), _cell(digest)
        lines.append(
            f"{seq},{fixed},{_cell(guard(actor))},{_cell(guard(reason))},"
            f"{_cell(payload)},{prev_hash},{digest}\n"
        )
    return "".join(lines)


def export_row(row: tuple) -> list[Any]:
    """A row of `export events` as cells (what export_lines writes), for csv.writer."""
    seq, event_id, type_, effective, recorded_at, actor, reason, payload, prev_hash, digest = row
    return [seq, event_id, type_, effective, recorded_at, guard(actor), guard(reason), payload,
            prev_hash, digest]
