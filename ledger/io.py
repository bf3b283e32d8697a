"""Files in and out: JSONL/CSV event readers that keep line numbers, CSV writers with the guard."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ledger.chain import FORMULA_TRIGGERS, guard
from ledger.errors import LedgerError, Problem

Record = dict[str, Any]
# An import file yields, per line, either the record on it or the problem that line has.
Line = tuple[int, Record | Problem]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a ledger can hold")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> Record:
    record = dict(pairs)
    if len(record) == len(pairs):
        return record
    # Some key is there twice: name the first one repeated.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"key {key!r} appears twice")
        seen.add(key)
    raise AssertionError("unreachable")


_JSON_OPTIONS: dict[str, Any] = {
    "parse_float": Decimal,
    "parse_constant": _refuse_constant,
    "object_pairs_hook": _object_without_duplicates,
}
# json.loads builds a decoder for every call when given options; this one is built once.
_decode = json.JSONDecoder(**_JSON_OPTIONS).decode


def parse_json_line(text: str) -> Record:
    """One JSONL line; numbers become exact Decimals (integers stay int)."""
    if text.startswith("\ufeff"):
        # json.loads refuses a byte order mark with its own message.
        value = json.loads(text, **_JSON_OPTIONS)
    else:
        value = _decode(text)
    if not isinstance(value, dict):
        raise ValueError("a line must hold one JSON object")
    return value


# A line longer than this is refused, and the file is read no further: a line without end (an
# input such as /dev/zero) must never be read whole into memory. Events are far shorter.
MAX_LINE_BYTES = 1 << 20
LINE_TOO_LONG = "longer than 1 MiB"
FORMATS = {".jsonl": "jsonl", ".csv": "csv"}


class FileProblem(LedgerError):
    """A problem of the file as a whole (its format, its encoding, its header): one line, not
    one per row."""


def _raw_lines(stream: IO[bytes], progress: Callable[[int], None] | None) -> Iterator[bytes | None]:
    """The file's lines as bytes, each read with a bounded readline; None stands for a line
    longer than MAX_LINE_BYTES, after which nothing more is read."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)
        if not raw:
            return
        if progress:
            progress(len(raw))
        if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            yield None
            return
        yield raw


def read_jsonl(stream: IO[bytes], progress: Callable[[int], None] | None = None) -> Iterator[Line]:
    for number, raw in enumerate(_raw_lines(stream, progress), start=1):
        if raw is None:
            yield number, Problem(number, LINE_TOO_LONG)
            return
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
    """Decodes a binary stream line by line, reporting bytes read and invalid UTF-8 by line;
    stops at a line longer than MAX_LINE_BYTES (its number in `too_long`)."""

    def __init__(self, stream: IO[bytes], progress: Callable[[int], None] | None):
        self.stream = stream
        self.progress = progress
        self.line = 0
        self.bad_lines: list[int] = []
        self.too_long: int | None = None

    def __iter__(self) -> Iterator[str]:
        for raw in _raw_lines(self.stream, self.progress):
            self.line += 1
            if raw is None:
                self.too_long = self.line
                return
            if self.line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_lines.append(self.line)
                yield raw.decode("utf-8", errors="replace")


def _header_problem(header: list[str]) -> str | None:
    """Why a CSV header cannot be an import's, or None. Without a `type` column no row can be
    read, so the file is refused once, not row by row."""
    if "type" in header:
        return None
    shown = ",".join(header)
    hint = ""
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if separator in shown:
            hint = f"; its columns look separated by {name}: save it with commas"
            break
    if not hint:
        hint = (
            f" (the header reads {shown[:60]!r}; the first line must name the columns, "
            f"type and effective among them)"
        )
    return f"the CSV header has no 'type' column{hint}"


def read_csv(stream: IO[bytes], progress: Callable[[int], None] | None = None) -> Iterator[Line]:
    """One event per row; an empty cell means the key is absent. Line numbers are those of the
    file (the header is line 1), counted at the row's first line."""
    text = _CountingText(stream, progress)
    yield from _csv_rows(text)
    if text.too_long is not None:
        yield text.too_long, Problem(text.too_long, LINE_TOO_LONG)


def _csv_rows(text: _CountingText) -> Iterator[Line]:
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        if text.too_long is None:
            yield 1, Problem(1, f"malformed CSV header: {error}")
        return
    if len(set(header)) != len(header):
        yield 1, Problem(1, "the header names a column twice")
        return
    problem = _header_problem(header)
    if problem:
        raise FileProblem(problem)
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if text.too_long is None:  # else the row was cut short by the refused line
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


def file_format(path: str | Path, format: str | None = None) -> str:
    """ "jsonl" or "csv": as given, else from the file's extension; anything else is refused."""
    if format is not None:
        if format not in FORMATS.values():
            raise LedgerError(f"format {format!r}: use jsonl or csv")
        return format
    guessed = FORMATS.get(Path(path).suffix.lower())
    if guessed is None:
        raise LedgerError(
            f"{path}: cannot tell the format from the file name; accepted: "
            f"{', '.join(FORMATS)} (or give the format: --format jsonl or --format csv)"
        )
    return guessed


def _utf16(head: bytes) -> bool:
    """A UTF-16 start: a byte order mark, or ASCII text with every other byte zero."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    if len(head) < 4:
        return False
    little = head[1] == head[3] == 0 and head[0] and head[2]
    big = head[0] == head[2] == 0 and head[1] and head[3]
    return bool(little or big)


def read_events_file(
    path: str | Path,
    progress: Callable[[int], None] | None = None,
    *,
    format: str | None = None,
) -> Generator[Line, None, None]:
    """Lines of a JSON Lines or CSV file: by its extension (.jsonl, .csv) unless `format` says.
    The format is checked and the file opened at once; it is read as the lines are taken. Works
    on pipes and devices too (read as a stream, a bounded line at a time)."""
    path = Path(path)
    reader = read_csv if file_format(path, format) == "csv" else read_jsonl
    try:
        stream = path.open("rb")
    except OSError as error:
        raise LedgerError(f"cannot read {path}: {error.strerror}") from None
    return _read(path, stream, reader, progress)


def _read(path: Path, stream, reader, progress) -> Generator[Line, None, None]:
    with stream:
        try:
            if _utf16(stream.peek(4)[:4]):
                raise FileProblem("the file is UTF-16; save it as UTF-8")
            yield from reader(stream, progress)
        except FileProblem as problem:
            raise LedgerError(f"{path}: {problem}") from None
        except OSError as error:
            raise LedgerError(f"cannot read {path}: {error.strerror}") from None


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
    lines: list[str] = []
    append = lines.append
    for (
        seq,
        event_id,
        type_,
        effective,
        recorded_at,
        actor,
        reason,
        payload,
        prev_hash,
        digest,
    ) in rows:
        reason = reason or ""
        # Nearly every row: no cell but the payload needs quotes, which one search over the
        # others (not over commas put between them) tells; the guard adds only a "'".
        if not _NEEDS_QUOTES.search(
            f"{event_id}{type_}{effective}{recorded_at}{actor}{reason}{prev_hash}{digest}"
        ):
            if actor.startswith(FORMULA_TRIGGERS):
                actor = "'" + actor
            if reason.startswith(FORMULA_TRIGGERS):
                reason = "'" + reason
            append(
                f"{seq},{event_id},{type_},{effective},{recorded_at},{actor},{reason},"
                f"{_cell(payload)},{prev_hash},{digest}\n"
            )
            continue
        fixed = ",".join(_cell(cell) for cell in (event_id, type_, effective, recorded_at))
        append(
            f"{seq},{fixed},{_cell(guard(actor))},{_cell(guard(reason))},"
            f"{_cell(payload)},{_cell(prev_hash)},{_cell(digest)}\n"
        )
    return "".join(lines)


def export_row(row: tuple) -> list[Any]:
    """A row of `export events` as cells (what export_lines writes), for csv.writer."""
    seq, event_id, type_, effective, recorded_at, actor, reason, payload, prev_hash, digest = row
    return [
        seq,
        event_id,
        type_,
        effective,
        recorded_at,
        guard(actor),
        guard(reason),
        payload,
        prev_hash,
        digest,
    ]
