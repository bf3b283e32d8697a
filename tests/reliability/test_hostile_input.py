"""Hostile import files — random bytes, broken UTF-8, wrong types, huge and tiny numbers,
exponents, very long strings, control characters, SQL and formula injection in every field,
duplicate keys, BOMs, CRLF, empty files — end with exit 0 or 1, never a traceback, and an exit 1
writes nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness import size
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

MINIMAL = Path(__file__).parent.parent.parent / "fixtures" / "minimal.jsonl"
# Per test (two formats × two backends): 60 × 4 = 240 cases in CI, 2,600 × 4 = 10,400 in full.
EXAMPLES = size(ci=60, full=2600)

INJECTIONS = [
    "'; DROP TABLE events; --",
    '" OR "1"="1',
    "Robert'); DELETE FROM events;--",
    "1; TRUNCATE events",
    "' UNION SELECT hash FROM events --",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "'=1",
    "${jndi:ldap://x/a}",
    "<script>alert(1)</script>",
    "\u202egnp.exe",
    "%s%s%n",
    "\\",
    '"',
    "\x00",
    "\x1b[2J",
    "NULL",
    "null",
    "None",
    "true",
    "",
    " ",
    "\ufeff",
    "..",
    "../../etc/passwd",
    "CN\n",
    "PO-1\r\n",
    "Ω≈ç√",
    "🤖" * 20,
]
NUMBER_TEXTS = [
    "1e308",
    "1E-400",
    "-0",
    "0.0000000000001",
    "1e3",
    "7.2E+1",
    "NaN",
    "Infinity",
    "-Infinity",
    "123456789012345678901234567890",
    "0x10",
    "1_000",
    " 5 ",
    "5.",
    ".5",
    "+5",
    "−5",
    "١٢٣",
    "1" * 70,
    "0." + "0" * 60 + "1",
]
# Unquoted JSON number literals, spliced in for the marker strings below.
RAW_NUMBERS = [
    "1e400",
    "-1e400",
    "1E-400",
    "123456789012345678901234567890.5",
    "1.0",
    "-0",
    "5e0",
    "1" * 400,
]
RAW = "\x01raw:"
TEMPLATES = [
    {
        "type": "region.opened",
        "effective": "2025-02-01",
        "region": "DE",
        "name": "Germany",
        "country": "DE",
        "currency": "EUR",
    },
    {
        "type": "supplier.registered",
        "effective": "2025-01-05",
        "supplier": "biren",
        "name": "Biren",
        "country": "CN",
    },
    {
        "type": "fx.rate_set",
        "effective": "2025-01-02",
        "base": "EUR",
        "quote": "CNY",
        "rate": "7.8",
    },
    {
        "type": "budget.revised",
        "effective": "2025-01-03",
        "region": "CN",
        "year": 2026,
        "amount": "1500000",
    },
    {
        "type": "order.placed",
        "effective": "2025-02-10",
        "order": "PO-77",
        "region": "CN",
        "supplier": "huawei",
        "sku": "ascend-910b",
        "quantity": 3,
        "unit_price": "29000.50",
        "currency": "CNY",
        "purpose": "training",
    },
    {"type": "order.amended", "effective": "2025-03-05", "order": "PO-1", "quantity": 12},
    {"type": "order.cancelled", "effective": "2025-04-01", "order": "PO-2"},
    {
        "type": "lease.signed",
        "effective": "2025-05-01",
        "lease": "L-9",
        "region": "MY",
        "lessor": "dcprov",
        "sku": "h20",
        "units": 10,
        "start": "2025-06-01",
        "months": 12,
        "monthly_payment": "5000",
        "currency": "USD",
    },
    {
        "type": "policy.changed",
        "effective": "2025-01-01",
        "policy": "min_domestic_share",
        "region": "CN",
        "threshold": "0.3",
    },
    {
        "type": "policy.changed",
        "effective": "2025-01-01",
        "policy": "restricted_supplier",
        "region": "CN",
        "supplier": "nvidia",
        "mode": "warn",
    },
]
ENVELOPE = ["event_id", "type", "effective", "actor", "reason"]

codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True)
texts = st.text(max_size=40)
long_texts = st.sampled_from([990, 999, 1000, 1001, 5000, 100_000]).map(lambda n: "x" * n)
control_texts = st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=8)
hostile_values = st.one_of(
    st.sampled_from(INJECTIONS),
    st.sampled_from(NUMBER_TEXTS),
    st.sampled_from(RAW_NUMBERS).map(RAW.__add__),
    texts,
    long_texts,
    control_texts,
    codes,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, -1, 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.dates().map(str),
    st.sampled_from(["2025-02-30", "2025-1-1", "20250101", "2025-01-01T00:00:00Z"]),
    st.uuids().map(str),
)


@st.composite
def records(draw) -> dict:
    """A valid-looking event with some fields made hostile, dropped or added."""
    record = dict(draw(st.sampled_from(TEMPLATES)))
    if "order" in record and record["type"] == "order.placed":
        record["order"] = draw(codes)
    if draw(st.booleans()):
        record["event_id"] = draw(st.uuids().map(str) | hostile_values)
    if draw(st.booleans()):
        record["reason"] = draw(st.sampled_from(INJECTIONS) | texts)
    if draw(st.booleans()):
        record["actor"] = draw(st.sampled_from(INJECTIONS) | texts)
    for field in draw(st.lists(st.sampled_from(sorted(record)), max_size=3, unique=True)):
        if draw(st.integers(0, 4)) == 0:
            del record[field]
        else:
            record[field] = draw(hostile_values)
    if draw(st.integers(0, 5)) == 0:
        record[
            draw(st.sampled_from(["extra", "Type", "type ", "payload", "seq", "hash", draw(texts)]))
        ] = draw(hostile_values)
    return record


def _json_line(record: dict, ascii_only: bool, duplicate: str | None) -> str:
    line = json.dumps(record, ensure_ascii=ascii_only, default=str)
    line = re.sub(
        r'"\\u0001raw:([^"]*)"|"\x01raw:([^"]*)"', lambda m: m.group(1) or m.group(2), line
    )
    if duplicate and line.startswith("{"):
        line = (
            "{"
            + json.dumps(duplicate)
            + ": "
            + json.dumps(record.get(duplicate, "x"))
            + ", "
            + line[1:]
        )
    return line


@st.composite
def damage(draw, data: bytes) -> bytes:
    """Files as they arrive: a BOM, CRLF, blank lines, a truncated end, a byte that is no UTF-8."""
    if draw(st.integers(0, 3)) == 0:
        data = data.replace(b"\n", b"\r\n")
    if draw(st.integers(0, 4)) == 0:
        data = b"\xef\xbb\xbf" + data
    if data and draw(st.integers(0, 4)) == 0:
        cut = draw(st.integers(0, len(data)))
        data = (
            data[:cut]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\n\n", b""]))
            + data[cut:]
        )
    if data and draw(st.integers(0, 6)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def jsonl_files(draw) -> bytes:
    if draw(st.integers(0, 7)) == 0:
        return draw(
            st.binary(max_size=300)
            | st.sampled_from(
                [b"", b"\n", b"\xef\xbb\xbf", b"[]", b"{}", b"null", b'"x"', b"{" * 5000]
            )
        )
    lines = []
    for record in draw(st.lists(records(), min_size=1, max_size=4)):
        duplicate = draw(
            st.sampled_from([None, None, None, "type", "order", "effective", "amount"])
        )
        lines.append(_json_line(record, draw(st.booleans()), duplicate))
    return draw(damage("\n".join(lines).encode("utf-8", errors="surrogatepass") + b"\n"))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.removeprefix(RAW)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


@st.composite
def csv_files(draw) -> bytes:
    if draw(st.integers(0, 7)) == 0:
        return draw(
            st.binary(max_size=300)
            | st.sampled_from(
                [b"", b"\n", b"type\n", b"\xef\xbb\xbf", b'"unterminated\n', b"a,a\n1,2\n"]
            )
        )
    rows = draw(st.lists(records(), min_size=1, max_size=4))
    header = ENVELOPE + sorted({key for row in rows for key in row} - set(ENVELOPE))
    if draw(st.integers(0, 6)) == 0:
        header.append(draw(st.sampled_from(header)))  # a column named twice
    out = io.StringIO()
    writer = csv.writer(
        out, lineterminator="\n", quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    )
    writer.writerow(header)
    for row in rows:
        cells = [_cell(row.get(column)) for column in header]
        if draw(st.integers(0, 8)) == 0:
            cells = cells[: draw(st.integers(0, len(cells)))]  # a ragged row
        writer.writerow(cells)
    return draw(damage(out.getvalue().encode("utf-8", errors="surrogatepass")))


def event_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM events")).scalar()


def import_hostile_files(db_url: str, folder: Path, suffix: str, files, figures) -> None:
    from commands import main
    from ledger.app import Ledger

    with Ledger.open(db_url) as books:
        books.import_file(MINIMAL, actor="fixture")
    engine = create_engine(db_url)
    runner = CliRunner()
    path = folder / f"hostile{suffix}"
    outcomes = {0: 0, 1: 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(content=files())
    def one_file(content: bytes) -> None:
        path.write_bytes(content)
        before = event_count(engine)

        result = runner.invoke(main, ["--db", db_url, "--actor", "fuzz", "import", str(path)])

        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(
                f"unhandled {type(result.exception).__name__}: {result.exception!r} "
                f"for {content[:300]!r}"
            ) from result.exception
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output
        after = event_count(engine)
        if result.exit_code == 1:
            assert after == before, f"exit 1 but {after - before} events written"
            assert result.stderr and all(
                line.startswith("error: ") for line in result.stderr.splitlines()
            )
        else:
            added = int(re.match(r"imported (\d+) event", result.stdout).group(1))
            assert after == before + added
        outcomes[result.exit_code] += 1

    try:
        one_file()
    finally:
        engine.dispose()
    with Ledger.open(db_url) as books:
        assert books.verify().ok
        assert books.rebuild(check=True).differences == ()
    figures(
        backend="postgres" if db_url.startswith("postgres") else "sqlite",
        format=suffix,
        cases=sum(outcomes.values()),
        exit_0=outcomes[0],
        exit_1=outcomes[1],
        tracebacks=0,
        written_on_failure=0,
    )


def test_hostile_jsonl_files_never_crash_the_import(db_url, tmp_path, figures):
    import_hostile_files(db_url, tmp_path, ".jsonl", jsonl_files, figures)


def test_hostile_csv_files_never_crash_the_import(db_url, tmp_path, figures):
    import_hostile_files(db_url, tmp_path, ".csv", csv_files, figures)


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "error: no events in"),
        (b"\xef\xbb\xbf\r\n\r\n", "error: no events in"),
        (b'{"type": "x"}{"type": "y"}\n', "error: line 1: malformed JSON: Extra data"),
        (
            b'{"type": "fx.rate_set", "effective": "2025-01-02", "base": "EUR", "quote": "CNY", "rate": 1e400}\n',
            "error: line 1: rate: 1E+400 has more than 20 digits before the point",
        ),
        # Found by the full run: a quantity beyond 64 bits escaped as the driver's OverflowError.
        (
            b'{"type": "order.amended", "effective": "2025-03-05", "order": "PO-1", "quantity": 9223372036854775808}\n',
            "error: line 1: quantity: must be at most 1000000000000000",
        ),
        (
            b'{"type": "order.amended", "effective": "2025-03-05", "order": "PO-1", "quantity": 1'
            + b"0" * 400
            + b"}\n",
            "error: line 1: quantity: must be at most 1000000000000000",
        ),
    ],
)
def test_edge_files_get_a_clear_answer(content, expected, db_url, tmp_path):
    from commands import main
    from ledger.app import Ledger

    path = tmp_path / "edge.jsonl"
    path.write_bytes(content)
    Ledger.open(db_url).close()
    result = CliRunner().invoke(main, ["--db", db_url, "import", str(path)])

    assert result.output.startswith(expected)


def test_an_unknown_column_named_with_a_line_break_is_reported_on_one_line(db_url, tmp_path):
    """Found by the CSV run above: the field name came back raw, and split the error in two."""
    from commands import main
    from ledger.app import Ledger

    path = tmp_path / "header.csv"
    path.write_text(
        'type,effective,base,quote,rate,"\n\nactor"\nfx.rate_set,2025-01-02,EUR,CNY,7.8,x\n'
    )
    Ledger.open(db_url).close()
    result = CliRunner().invoke(main, ["--db", db_url, "import", str(path)])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: line 4: '\\n\\nactor': unknown field",
        "error: nothing was written (1 bad line)",
    ]


# -- hostile command lines and entries (issue 11 items 4, 7, 10, 11) ------------------------------

LEASE = [
    "lease",
    "sign",
    "L-X",
    "--region",
    "MY",
    "--lessor",
    "dcprov",
    "--sku",
    "h20",
    "--units",
    "1",
    "--months",
    "3",
    "--monthly-payment",
    "5",
    "--currency",
    "USD",
    "--effective",
    "2025-06-01",
]
ORDER = [
    "order",
    "place",
    "PO-X",
    "--region",
    "CN",
    "--supplier",
    "huawei",
    "--sku",
    "x",
    "--currency",
    "CNY",
    "--effective",
    "2025-03-01",
]
TOO_BIG = ["9223372036854775808", "99999999999999999999999", "1" + "0" * 400]
ODD_NUMBERS = ["1_000", "١٠٠", "۱۲", "१२", "１２", "1 000", "1,000", "0x10", "1e3_0", "Ⅻ", "²"]
ODD_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+23:59",
    "٢٠٢٥-01-01",
    "2025-01-01T00:00:00",
    "not a time",
]
# Command lines an ordinary user can type: each must exit 1 or 2 with one `error:` line and write
# nothing. (`ok` lines must exit 0: refusal is not the only right answer.)
HOSTILE_COMMANDS: list[tuple[list[str], str]] = (
    [(LEASE + ["--start", start], "refused") for start in ("9999-11-30", "9999-12-31")]
    + [
        (LEASE[:12] + [months] + LEASE[13:] + ["--start", "9999-01-01"], "refused")
        for months in ("13", "600")
    ]
    + [
        (["query", query, "--upto-seq", n], "refused")
        for query in ("budget", "commitments", "shares")
        for n in TOO_BIG
    ]
    + [
        ([command, "--upto-seq", n], "refused")
        for command in ("log", "compliance")
        for n in TOO_BIG
    ]
    + [(["export", "events", "--upto-seq", n], "refused") for n in TOO_BIG]
    + [(["log", "--after-seq", n], "refused") for n in TOO_BIG]
    + [(["log", "--limit", n], "refused") for n in (*TOO_BIG, "0", "-1")]
    + [(["query", "budget", "--known-at", t], "refused") for t in ODD_TIMES]
    + [(["query", "budget", "--as-of", d], "ok") for d in ("9999-12-31", "0001-01-01")]
    + [
        (["compliance", "--as-of", "9999-12-31"], "ok"),
        (["query", "budget", "--known-at", "0999-01-01"], "ok"),
        (["query", "budget", "--known-at", "0999-01-01T00:00:00Z"], "ok"),
    ]
    + [
        (["fx", "set", "USD", "CNY", n], "refused")
        for n in ODD_NUMBERS + ["-7", "0", "NaN", "Infinity"]
    ]
    + [
        (["budget", "revise", "CN", year, amount], "refused")
        for year, amount in (
            ("2025", "-5"),
            ("٢٠٢٥", "1"),
            ("2_025", "1"),
            ("2025", "1_0"),
            ("-2025", "1"),
        )
    ]
    + [(ORDER + ["--quantity", q, "--unit-price", "5"], "refused") for q in ODD_NUMBERS + TOO_BIG]
    + [(ORDER + ["--quantity", "1", "--unit-price", p], "refused") for p in ODD_NUMBERS]
    + [
        (["policy", "set", "min_domestic_share", "--region", "CN", "--threshold", t], "refused")
        for t in ("30", "150%", "3_0%", "٣٠%", "%", "-1%")
    ]
)


def test_hostile_command_lines_get_one_line_and_write_nothing(db_url, figures):
    from commands import main
    from ledger.app import Ledger

    with Ledger.open(db_url) as books:
        books.import_file(MINIMAL, actor="fixture")
    engine = create_engine(db_url)
    runner = CliRunner()
    refused = 0
    try:
        for args, expected in HOSTILE_COMMANDS:
            before = event_count(engine)
            result = runner.invoke(main, ["--db", db_url, "--actor", "fuzz", *args])
            shown = " ".join(args)
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                f"{shown}: unhandled {result.exception!r}"
            )
            assert "Traceback" not in result.output, shown
            if expected == "ok":
                assert result.exit_code == 0, f"{shown}: {result.output}"
                continue
            assert result.exit_code in (1, 2), f"{shown}: exit {result.exit_code} {result.output}"
            lines = result.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), f"{shown}: {result.stderr!r}"
            assert event_count(engine) == before, f"{shown}: wrote an event"
            refused += 1
    finally:
        engine.dispose()
    figures(
        backend="postgres" if db_url.startswith("postgres") else "sqlite",
        format="cli",
        cases=len(HOSTILE_COMMANDS),
        refused=refused,
        tracebacks=0,
        written_on_failure=0,
    )


HOSTILE_LINES = (
    [
        {
            "type": "lease.signed",
            "effective": "2025-05-01",
            "lease": "L-9",
            "region": "MY",
            "lessor": "dcprov",
            "sku": "h20",
            "units": 1,
            "start": start,
            "months": months,
            "monthly_payment": "5",
            "currency": "USD",
        }
        for start, months in (
            ("9999-11-30", 3),
            ("9999-12-31", 2),
            ("9999-01-31", "13"),
            ("9990-01-01", 600),
        )
    ]
    + [
        {"type": "fx.rate_set", "effective": "2025-01-02", "base": "EUR", "quote": "CNY", "rate": n}
        for n in ODD_NUMBERS
    ]
    + [
        {"type": "order.amended", "effective": "2025-03-05", "order": "PO-1", "quantity": n}
        for n in ODD_NUMBERS
    ]
    + [
        {
            "type": "budget.revised",
            "effective": "2025-01-03",
            "region": "CN",
            "year": y,
            "amount": "1",
        }
        for y in ("٢٠٢٦", "2_026", "２０２６")
    ]
    + [
        {
            "type": "order.placed",
            "effective": d,
            "order": "PO-77",
            "region": "CN",
            "supplier": "huawei",
            "sku": "x",
            "quantity": 1,
            "unit_price": "1",
            "currency": "CNY",
        }
        for d in ("٢٠٢٥-02-10", "2025-0２-10")
    ]
)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_hostile_numbers_and_calendars_in_imports_are_refused_by_line(
    db_url, tmp_path, suffix, figures
):
    from commands import main
    from ledger.app import Ledger

    with Ledger.open(db_url) as books:
        books.import_file(MINIMAL, actor="fixture")
    engine = create_engine(db_url)
    path = tmp_path / f"hostile{suffix}"
    try:
        for record in HOSTILE_LINES:
            if suffix == ".jsonl":
                path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
            else:
                out = io.StringIO()
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(list(record))
                writer.writerow([_cell(value) for value in record.values()])
                path.write_text(out.getvalue(), encoding="utf-8")
            before = event_count(engine)
            result = CliRunner().invoke(main, ["--db", db_url, "import", str(path)])
            assert result.exit_code == 1, f"{record}: {result.output}"
            first = result.stderr.splitlines()[0]
            line = 1 if suffix == ".jsonl" else 2
            assert re.match(
                rf"error: line {line}: (rate|quantity|year|months|effective): ", first
            ), first
            assert event_count(engine) == before
    finally:
        engine.dispose()
    figures(
        backend="postgres" if db_url.startswith("postgres") else "sqlite",
        format=f"entries{suffix}",
        cases=len(HOSTILE_LINES),
        refused=len(HOSTILE_LINES),
        tracebacks=0,
        written_on_failure=0,
    )


CONTROL_TEXTS = [
    "\x1b[2J",
    "\x1b]0;title\x07",
    "\x1b[31mred\x1b[0m",
    "\x9b31m",
    "\x08\x08\x08over",
    "a\rb",
    "line\nbreak",
    "\x7f",
    "\u202egnp.exe",
    "\u2028",
    "\x01\x02\x03",
    "\t=1",
]


def test_control_characters_never_reach_a_table(db_url, figures):
    """Names, reasons and actors holding terminal escapes (item 11): the table shows them escaped,
    CSV and JSON keep them exact."""
    from commands import main
    from commands.tables import visible

    runner = CliRunner()
    base = ["--db", db_url]
    assert runner.invoke(main, [*base, "init"]).exit_code == 0
    for number, text_ in enumerate(CONTROL_TEXTS):
        result = runner.invoke(
            main,
            [
                *base,
                "--actor",
                f"a{text_}",
                "supplier",
                "register",
                f"s{number}",
                "--name",
                f"n{text_}",
                "--country",
                "US",
                "--reason",
                f"r{text_}",
            ],
        )
        assert result.exit_code == 0, (text_, result.output)
    table = runner.invoke(main, [*base, "log", "--format", "table"]).stdout
    unsafe = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
    assert not unsafe.search(table), unsafe.search(table)
    for text_ in CONTROL_TEXTS:
        assert visible(f"r{text_}").split()[0] in table
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(main, [*base, "log", "--format", "csv"]).stdout))
    )
    assert [row["reason"] for row in rows] == [f"r{t}" for t in CONTROL_TEXTS]
    figures(
        backend="postgres" if db_url.startswith("postgres") else "sqlite",
        format="table",
        cases=len(CONTROL_TEXTS) * 3,
        raw_control_characters_shown=0,
        tracebacks=0,
    )
