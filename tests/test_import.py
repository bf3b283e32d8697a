"""`ledger import FILE` (SPEC §5, Bulk entry): JSON Lines and CSV, all or nothing, every bad line
named as `line N`, idempotent by event_id."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from given import given_china_and_huawei

from ledger.packaged import fixture

MINIMAL_JSONL = fixture("minimal.jsonl")
MINIMAL_CSV = fixture("minimal.csv")
MINIMAL_COUNT = sum(
    1 for line in MINIMAL_JSONL.read_text(encoding="utf-8").splitlines() if line.strip()
)
JAN_1 = date(2025, 1, 1)

GOOD_LINES = [
    {
        "type": "supplier.registered",
        "effective": "2025-01-01",
        "supplier": "nvidia",
        "name": "Nvidia",
        "country": "US",
    },
    {
        "type": "order.placed",
        "effective": "2025-01-10",
        "order": "PO-2",
        "region": "CN",
        "supplier": "huawei",
        "sku": "ascend-910b",
        "quantity": 2,
        "unit_price": "30000",
        "currency": "CNY",
    },
]
ORDER = {
    "type": "order.placed",
    "effective": "2025-01-10",
    "region": "CN",
    "supplier": "huawei",
    "sku": "ascend-910b",
    "quantity": 1,
    "unit_price": "1",
    "currency": "CNY",
}


def given_china_with_a_cancelled_order(ledger) -> None:
    given_china_and_huawei(ledger)
    ledger.record(
        "order.placed",
        {**{k: v for k, v in ORDER.items() if k not in ("type", "effective")}, "order": "PO-1"},
        effective=date(2025, 1, 10),
        actor="buyer",
    )
    ledger.record("order.cancelled", {"order": "PO-1"}, effective=date(2025, 2, 1), actor="buyer")


def jsonl(*records: dict | str) -> str:
    return "".join(
        (record if isinstance(record, str) else json.dumps(record)) + "\n" for record in records
    )


def event_count(ledger) -> int:
    return ledger.head()[0]


def assert_clean_failure(result) -> None:
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert all(line.startswith("error: ") for line in result.stderr.splitlines())


BAD_LINE_3 = {
    "malformed JSON": '{"type": "supplier.registered", "effective": ',
    "a line that is not an object": '["supplier.registered"]',
    "an unknown type": {
        "type": "supplier.retired",
        "effective": "2025-03-01",
        "supplier": "huawei",
    },
    "an unknown field": {**ORDER, "order": "PO-3", "colour": "green"},
    "a negative quantity": {**ORDER, "order": "PO-3", "quantity": -5},
    "a fractional quantity": {**ORDER, "order": "PO-3", "quantity": 1.5},
    "a bare NaN": '{"type": "fx.rate_set", "effective": "2025-01-01", "base": "USD", "quote": "CNY", "rate": NaN}',
    "a NaN string": {
        "type": "fx.rate_set",
        "effective": "2025-01-01",
        "base": "USD",
        "quote": "CNY",
        "rate": "NaN",
    },
    "Infinity": '{"type": "fx.rate_set", "effective": "2025-01-01", "base": "USD", "quote": "CNY", "rate": Infinity}',
    "an unknown region": {**ORDER, "order": "PO-3", "region": "EU"},
    "a date before the region opened": {**ORDER, "order": "PO-3", "effective": "2024-12-31"},
    "amending a cancelled order": {
        "type": "order.amended",
        "effective": "2025-03-01",
        "order": "PO-1",
        "quantity": 5,
    },
    "a missing effective date": {"type": "order.cancelled", "order": "PO-2"},
    "an impossible date": {"type": "order.cancelled", "effective": "2025-02-30", "order": "PO-2"},
    "an event_id that is not a UUID": {
        "type": "order.cancelled",
        "effective": "2025-03-01",
        "order": "PO-2",
        "event_id": "not-a-uuid",
    },
    "a duplicate key": '{"type": "order.cancelled", "effective": "2025-03-01", "order": "PO-2", "order": "PO-9"}',
}


@pytest.mark.parametrize("bad", BAD_LINE_3.values(), ids=BAD_LINE_3.keys())
def test_a_bad_line_3_rejects_the_whole_file_and_writes_nothing(ledger, run, tmp_path, bad):
    given_china_with_a_cancelled_order(ledger)
    before = event_count(ledger)
    path = tmp_path / "events.jsonl"
    path.write_text(jsonl(*GOOD_LINES, bad), encoding="utf-8")

    result = run("import", str(path))

    assert_clean_failure(result)
    assert result.stderr.startswith("error: line 3: ")
    assert "line 1" not in result.stderr and "line 2" not in result.stderr
    assert event_count(ledger) == before


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({**ORDER, "order": "PO-3", "quantity": -5}, "quantity"),
        ({**ORDER, "order": "PO-3", "region": "EU"}, "region"),
        ({**ORDER, "order": "PO-3", "currency": "usd"}, "currency"),
        ({**ORDER, "order": "PO-3", "colour": "green"}, "colour"),
        (
            {"type": "order.amended", "effective": "2025-03-01", "order": "PO-1", "quantity": 5},
            "order",
        ),
    ],
)
def test_the_error_names_the_line_and_the_field(ledger, run, tmp_path, bad, field):
    given_china_with_a_cancelled_order(ledger)
    path = tmp_path / "events.jsonl"
    path.write_text(jsonl(*GOOD_LINES, bad), encoding="utf-8")

    result = run("import", str(path))

    assert result.stderr.startswith(f"error: line 3: {field}: ")


def test_every_bad_line_is_reported_not_just_the_first(ledger, run, tmp_path):
    given_china_with_a_cancelled_order(ledger)
    before = event_count(ledger)
    path = tmp_path / "events.jsonl"
    path.write_text(
        jsonl(
            {**ORDER, "order": "PO-3", "quantity": 0},
            *GOOD_LINES,
            {**ORDER, "order": "PO-4", "region": "EU"},
            "{oops",
        ),
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert_clean_failure(result)
    lines = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines[:3]] == ["line 1", "line 4", "line 5"]
    assert "nothing was written" in lines[-1]
    assert event_count(ledger) == before


def test_a_later_line_may_refer_to_an_earlier_one_of_the_same_file(ledger, run, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(
        jsonl(
            {
                "type": "region.opened",
                "effective": "2025-01-01",
                "region": "CN",
                "name": "China",
                "country": "CN",
                "currency": "CNY",
            },
            {
                "type": "supplier.registered",
                "effective": "2025-01-01",
                "supplier": "huawei",
                "name": "Huawei",
                "country": "CN",
            },
            {**ORDER, "order": "PO-1"},
            {
                "type": "order.amended",
                "effective": "2025-02-01",
                "order": "PO-1",
                "unit_price": 2.5,
            },
        ),
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "imported 4 events (seq 1-4), 0 already recorded\n"
    assert list(ledger.events())[3].payload == {"order": "PO-1", "unit_price": "2.5"}


def test_the_minimal_jsonl_and_csv_files_import_the_same_events(run, tmp_path):
    imported = run("import", str(MINIMAL_JSONL))
    jsonl_events = run("log", "--format", "json").stdout

    again_as_csv = run("import", str(MINIMAL_CSV))

    assert imported.exit_code == 0, imported.stderr
    assert (
        imported.stdout
        == f"imported {MINIMAL_COUNT} events (seq 1-{MINIMAL_COUNT}), 0 already recorded\n"
    )
    assert again_as_csv.exit_code == 0, again_as_csv.stderr
    assert again_as_csv.stdout == f"imported 0 events, {MINIMAL_COUNT} already recorded\n"
    assert run("log", "--format", "json").stdout == jsonl_events


def test_a_csv_file_builds_the_same_ledger_as_its_jsonl_twin(databases):
    from ledger.app import Ledger

    def stored(path) -> list[tuple]:
        with databases() as url, Ledger.open(url) as books:
            books.import_file(path, actor="importer")
            return [
                (e.event_id, e.type, e.effective, e.actor, e.reason, e.payload)
                for e in books.events()
            ]

    assert stored(MINIMAL_CSV) == stored(MINIMAL_JSONL)
    assert len(stored(MINIMAL_CSV)) == MINIMAL_COUNT


def test_importing_the_same_file_twice_adds_nothing_the_second_time(ledger, run):
    first = run("import", str(MINIMAL_JSONL))
    head = ledger.head()

    second = run("import", str(MINIMAL_JSONL))

    assert first.exit_code == second.exit_code == 0
    assert second.stdout == f"imported 0 events, {MINIMAL_COUNT} already recorded\n"
    assert ledger.head() == head


def test_the_same_event_id_with_another_payload_is_an_error(ledger, run, tmp_path):
    run("import", str(MINIMAL_JSONL))
    head = ledger.head()
    records = [json.loads(line) for line in MINIMAL_JSONL.read_text(encoding="utf-8").splitlines()]
    changed = {**records[0], "name": "People's Republic of China"}
    path = tmp_path / "changed.jsonl"
    path.write_text(jsonl(changed, *records[1:]), encoding="utf-8")

    result = run("import", str(path))

    assert_clean_failure(result)
    assert result.stderr.startswith(f"error: line 1: event_id: {records[0]['event_id']}")
    assert ledger.head() == head


def test_an_event_id_repeated_within_one_file_is_recorded_once(ledger, run, tmp_path):
    event_id = str(uuid.uuid4())
    rate = {
        "event_id": event_id,
        "type": "fx.rate_set",
        "effective": "2025-01-01",
        "base": "USD",
        "quote": "CNY",
        "rate": "7.20",
    }
    path = tmp_path / "twice.jsonl"
    path.write_text(jsonl(rate, {**rate, "rate": 7.2}), encoding="utf-8")

    result = run("import", str(path))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(", 1 already recorded\n")
    assert [event.payload["rate"] for event in ledger.events()] == ["7.2"]


def test_empty_csv_cells_mean_absent_fields(ledger, run, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "type,effective,actor,reason,region,name,country,currency,supplier,order,sku,quantity,unit_price,purpose,year,amount\n"
        "region.opened,2025-01-01,,,CN,China,CN,CNY,,,,,,,,\n"
        "supplier.registered,2025-01-01,,,,Huawei,CN,,huawei,,,,,,,\n"
        "order.placed,2025-01-10,a.chen,,CN,,,CNY,huawei,PO-1,ascend-910b,10,30000.00,,,\n"
        'budget.revised,2025-01-01,,"",CN,,,,,,,,,,2025,1000000\n',
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert result.exit_code == 0, result.stderr
    events = list(ledger.events())
    assert events[2].payload == {
        "order": "PO-1",
        "region": "CN",
        "supplier": "huawei",
        "sku": "ascend-910b",
        "quantity": 10,
        "unit_price": "30000",
        "currency": "CNY",
    }
    assert events[3].payload == {"region": "CN", "year": 2025, "amount": "1000000"}
    assert [event.actor for event in events] == ["tester", "tester", "a.chen", "tester"]
    assert all(event.reason is None for event in events)


def test_a_bad_csv_row_is_named_by_its_line_in_the_file(ledger, run, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "type,effective,supplier,name,country,reason\n"
        'supplier.registered,2025-01-01,huawei,Huawei,CN,"a reason\nover two lines"\n'
        "supplier.registered,2025-01-01,nvidia,Nvidia,usa,\n",
        encoding="utf-8",
    )

    result = run("import", str(path))

    assert_clean_failure(result)
    assert result.stderr.startswith("error: line 4: country: ")
    assert ledger.head()[0] == 0


@pytest.mark.parametrize("twin", [MINIMAL_JSONL, MINIMAL_CSV], ids=["jsonl", "csv"])
def test_a_byte_order_mark_and_crlf_line_ends_are_accepted(ledger, run, tmp_path, twin):
    path = tmp_path / f"windows{twin.suffix}"
    content = twin.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + content)

    result = run("import", str(path))

    assert result.exit_code == 0, result.stderr
    assert ledger.head()[0] == MINIMAL_COUNT
    assert all(
        "\r" not in str(event.payload) and "\ufeff" not in event.type for event in ledger.events()
    )


def test_invalid_utf8_is_named_by_line(ledger, run, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        jsonl(*GOOD_LINES[:1]).encode()
        + '{"type": "supplier.registered", "name": "Müller"}\n'.encode("latin-1")
    )

    result = run("import", str(path))

    assert_clean_failure(result)
    assert result.stderr.startswith("error: line 2: ")


def test_a_missing_file_is_a_usage_error(run, tmp_path):
    result = run("import", str(tmp_path / "nowhere.jsonl"))

    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_the_library_reports_every_problem_as_a_value(ledger, tmp_path):
    from ledger.errors import BatchError

    given_china_with_a_cancelled_order(ledger)
    path = tmp_path / "events.jsonl"
    path.write_text(
        jsonl(*GOOD_LINES, BAD_LINE_3["an unknown region"], BAD_LINE_3["malformed JSON"]),
        encoding="utf-8",
    )

    with pytest.raises(BatchError) as caught:
        ledger.import_file(path)

    assert [problem.line for problem in caught.value.problems] == [3, 4]
