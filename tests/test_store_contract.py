"""The event store's contract (SPEC §2), one suite run against SQLite and PostgreSQL alike:
gapless seq, the hash chain recomputed from the SPEC formula, recorded_at, idempotency, the
stored form of payloads, the columns auditors read with plain SQL, and the streaming export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from datetime import date

import pytest
from given import given_china_and_huawei
from sqlalchemy import event, inspect, select, text

from ledger import schema
from ledger.errors import ConflictError, ValidationError

GENESIS = "0" * 64
RECORDED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
SPEC_COLUMNS = [
    "seq",
    "event_id",
    "type",
    "effective",
    "recorded_at",
    "actor",
    "reason",
    "payload",
    "prev_hash",
    "hash",
]
JAN_1 = date(2025, 1, 1)


def spec_hash(prev_hash: str, envelope: dict) -> str:
    """SPEC §2.2, written out here rather than imported, so the test checks the code."""
    hashed = {
        key: envelope[key]
        for key in (
            "seq",
            "event_id",
            "type",
            "effective",
            "recorded_at",
            "actor",
            "reason",
            "payload",
        )
    }
    text_ = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + text_).encode("utf-8")).hexdigest()


def raw_rows(ledger) -> list[dict]:
    """The events table as plain SQL sees it, in seq order."""
    with ledger.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM events ORDER BY seq")).mappings().all()
    return [dict(row) for row in rows]


def stored_payload(ledger, seq: int) -> dict:
    (row,) = [row for row in raw_rows(ledger) if row["seq"] == seq]
    return json.loads(row["payload"])


class TestEventStoreContract:
    """Every backend of the store keeps these promises; `ledger` runs on SQLite and PostgreSQL."""

    def test_appends_get_seq_1_2_3_and_each_hash_follows_the_spec_formula(self, ledger):
        given_china_and_huawei(ledger)
        ledger.record(
            "fx.rate_set",
            {"base": "USD", "quote": "CNY", "rate": "7.2"},
            effective=JAN_1,
            actor="treasury",
            reason="opening rate",
        )

        rows = raw_rows(ledger)

        assert [row["seq"] for row in rows] == [1, 2, 3]
        prev = GENESIS
        for row in rows:
            assert row["prev_hash"] == prev
            envelope = {
                **row,
                "effective": str(row["effective"]),
                "payload": json.loads(row["payload"]),
            }
            assert row["hash"] == spec_hash(prev, envelope)
            prev = row["hash"]
        assert ledger.head() == (3, prev)

    def test_recorded_at_is_utc_with_microseconds_and_never_decreases(self, ledger):
        given_china_and_huawei(ledger)
        for rate in ("7.1", "7.2", "7.3"):
            ledger.record(
                "fx.rate_set",
                {"base": "USD", "quote": "CNY", "rate": rate},
                effective=JAN_1,
                actor="treasury",
            )

        stamps = [row["recorded_at"] for row in raw_rows(ledger)]

        assert all(RECORDED_AT.fullmatch(stamp) for stamp in stamps), stamps
        assert stamps == sorted(stamps)

    def test_the_same_event_id_with_the_same_content_is_already_recorded(self, ledger):
        given_china_and_huawei(ledger)
        event_id = str(uuid.uuid4())
        first = ledger.record(
            "budget.revised",
            {"region": "CN", "year": 2025, "amount": "30000"},
            effective=JAN_1,
            actor="cfo",
            event_id=event_id,
        )

        again = ledger.record(
            "budget.revised",
            {"region": "CN", "year": 2025, "amount": "30000.00"},
            effective=JAN_1,
            actor="someone else",
            reason="retry",
            event_id=event_id,
        )

        assert (first.seq, first.already_recorded) == (3, False)
        assert (again.seq, again.already_recorded) == (3, True)
        assert len(raw_rows(ledger)) == 3

    def test_the_same_event_id_with_another_payload_is_refused(self, ledger):
        given_china_and_huawei(ledger)
        event_id = str(uuid.uuid4())
        ledger.record(
            "budget.revised",
            {"region": "CN", "year": 2025, "amount": "30000"},
            effective=JAN_1,
            actor="cfo",
            event_id=event_id,
        )

        with pytest.raises(ConflictError, match=event_id):
            ledger.record(
                "budget.revised",
                {"region": "CN", "year": 2025, "amount": "40000"},
                effective=JAN_1,
                actor="cfo",
                event_id=event_id,
            )
        with pytest.raises(ConflictError, match=event_id):
            ledger.record(
                "budget.revised",
                {"region": "CN", "year": 2025, "amount": "30000"},
                effective=date(2025, 1, 2),
                actor="cfo",
                event_id=event_id,
            )
        assert len(raw_rows(ledger)) == 3

    def test_the_command_reports_already_recorded_and_names_a_conflicting_event_id(self, run):
        event_id = str(uuid.uuid4())
        args = (
            "fx",
            "set",
            "USD",
            "CNY",
            "7.2",
            "--effective",
            "2025-01-01",
            "--event-id",
            event_id,
        )
        assert run(*args).stdout == "1\n"

        again = run(*args)
        conflict = run(
            "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-01-01", "--event-id", event_id
        )

        assert (again.exit_code, again.stdout) == (0, "1\n")
        assert "already recorded" in again.stderr
        assert conflict.exit_code == 1
        assert conflict.stderr.startswith("error: ") and event_id in conflict.stderr
        assert run("log", "--format", "csv").stdout.count("\n") == 2  # header and one event

    def test_defaults_are_stored_and_optional_fields_without_one_are_absent(self, ledger):
        given_china_and_huawei(ledger)
        policy = ledger.record(
            "policy.changed",
            {"policy": "min_domestic_share", "region": "CN", "threshold": "0.30"},
            effective=JAN_1,
            actor="cco",
        )
        order = ledger.record(
            "order.placed",
            {
                "order": "PO-1",
                "region": "CN",
                "supplier": "huawei",
                "sku": "ascend-910b",
                "quantity": 10,
                "unit_price": "30000",
                "currency": "CNY",
            },
            effective=JAN_1,
            actor="buyer",
        )
        budget = ledger.record(
            "budget.revised",
            {"region": "CN", "year": 2025, "amount": "1"},
            effective=JAN_1,
            actor="cfo",
        )
        ledger.record(
            "lease.signed",
            {
                "lease": "L-1",
                "region": "CN",
                "lessor": "huawei",
                "sku": "ascend-910b",
                "units": 4,
                "start": "2025-02-01",
                "months": 12,
                "monthly_payment": "1000",
                "currency": "CNY",
            },
            effective=JAN_1,
            actor="buyer",
        )
        review = ledger.record(
            "lease.reviewed",
            {"lease": "L-1", "owner": "Huawei", "operator": "Huawei Cloud", "outcome": "approved"},
            effective=JAN_1,
            actor="export control",
        )
        termination = ledger.record(
            "lease.terminated", {"lease": "L-1"}, effective=date(2025, 6, 1), actor="buyer"
        )

        assert stored_payload(ledger, policy.seq) == {
            "policy": "min_domestic_share",
            "region": "CN",
            "mode": "warn",
            "enabled": True,
            "threshold": "0.3",
            "basis": "value",
        }
        assert "purpose" not in stored_payload(ledger, order.seq)
        assert "currency" not in stored_payload(ledger, budget.seq)
        assert "reference" not in stored_payload(ledger, review.seq)
        assert stored_payload(ledger, termination.seq) == {"lease": "L-1", "fee": "0"}

    def test_a_decimal_in_exponent_notation_is_refused(self, ledger):
        given_china_and_huawei(ledger)

        with pytest.raises(ValidationError, match="amount: '3E4' is in exponent notation"):
            ledger.record(
                "budget.revised",
                {"region": "CN", "year": 2025, "amount": "3E4"},
                effective=JAN_1,
                actor="cfo",
            )

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("30000.00", "30000"),
            ("7.250", "7.25"),
            ("0.30", "0.3"),
            ("0.000", "0"),
            (30000, "30000"),
        ],
    )
    def test_decimals_are_stored_as_plain_strings_without_trailing_zeros(
        self, ledger, given, stored
    ):
        given_china_and_huawei(ledger)

        budget = ledger.record(
            "budget.revised",
            {"region": "CN", "year": 2025, "amount": given},
            effective=JAN_1,
            actor="cfo",
        )

        assert stored_payload(ledger, budget.seq) == {
            "region": "CN",
            "year": 2025,
            "amount": stored,
        }

    def test_integers_stay_json_numbers(self, ledger):
        given_china_and_huawei(ledger)

        order = ledger.record(
            "order.placed",
            {
                "order": "PO-1",
                "region": "CN",
                "supplier": "huawei",
                "sku": "s",
                "quantity": "12",
                "unit_price": "7.25",
                "currency": "CNY",
                "purpose": "training",
            },
            effective=JAN_1,
            actor="buyer",
        )

        row = [row for row in raw_rows(ledger) if row["seq"] == order.seq][0]
        assert row["payload"] == (
            '{"currency":"CNY","order":"PO-1","purpose":"training","quantity":12,"region":"CN",'
            '"sku":"s","supplier":"huawei","unit_price":"7.25"}'
        )

    @pytest.mark.parametrize("reason", [None, ""])
    def test_an_absent_or_empty_reason_is_stored_as_null(self, ledger, reason):
        ledger.record(
            "fx.rate_set",
            {"base": "USD", "quote": "CNY", "rate": "7.2"},
            effective=JAN_1,
            actor="treasury",
            reason=reason,
        )

        (row,) = raw_rows(ledger)

        assert row["reason"] is None
        assert row["hash"] == spec_hash(
            GENESIS,
            {**row, "effective": str(row["effective"]), "payload": json.loads(row["payload"])},
        )

    def test_an_empty_reason_from_the_command_is_stored_as_null(self, run):
        run("fx", "set", "USD", "CNY", "7.2", "--reason", "", "--effective", "2025-01-01")

        (row,) = list(csv.DictReader(io.StringIO(run("log", "--format", "csv").stdout)))
        (logged,) = json.loads(run("log", "--format", "json").stdout)

        assert row["reason"] == "" and logged["reason"] is None

    def test_the_events_table_has_one_column_per_envelope_field(self, ledger):
        columns = [column["name"] for column in inspect(ledger.engine).get_columns("events")]

        # Plus the payload's version (ledger.upcasting): how to read the payload, outside the hash.
        assert sorted(columns) == sorted([*SPEC_COLUMNS, "version"])
        assert [column.name for column in schema.events.columns] == [*SPEC_COLUMNS, "version"]

    def test_the_export_streams_page_by_page_and_holds_exactly_the_stored_values(self, ledger):
        given_china_and_huawei(ledger)
        ledger.record(
            "fx.rate_set",
            {"base": "USD", "quote": "CNY", "rate": "7.2"},
            effective=JAN_1,
            actor="=treasury",
            reason="'quoted'",
        )
        timeline: list[str] = []

        class Sink(io.StringIO):
            def write(self, chunk):
                timeline.append("write")
                return super().write(chunk)

        @event.listens_for(ledger.engine, "before_cursor_execute")
        def _selects(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT") and "events" in statement:
                timeline.append("select")

        out = Sink()
        count = ledger.export_events(out)
        event.remove(ledger.engine, "before_cursor_execute", _selects)

        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert count == len(rows) == 3
        # Rows are written as each page arrives: the last (empty) page is read after the writes.
        assert timeline[-1] == "select" and "write" in timeline[:-1]
        stored = raw_rows(ledger)
        assert [row["hash"] for row in rows] == [row["hash"] for row in stored]
        assert [row["payload"] for row in rows] == [row["payload"] for row in stored]
        assert (rows[2]["actor"], rows[2]["reason"]) == ("'=treasury", "''quoted'")

    def test_reading_the_log_in_small_pages_yields_every_event_once_in_order(self, ledger):
        for number in range(7):
            ledger.record(
                "supplier.registered",
                {"supplier": f"s{number}", "name": "S", "country": "CN"},
                effective=JAN_1,
                actor="setup",
            )

        with ledger.engine.connect() as connection:
            paged = [stored.seq for stored in ledger.store.stream(connection, batch=2)]
            upto = [stored.seq for stored in ledger.store.stream(connection, upto_seq=5, batch=2)]

        assert paged == [1, 2, 3, 4, 5, 6, 7]
        assert upto == [1, 2, 3, 4, 5]
        with ledger.engine.connect() as connection:
            assert connection.execute(select(schema.events.c.seq)).scalars().all() == paged
