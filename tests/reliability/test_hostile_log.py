"""A hostile writer of the log itself: someone with a database role or the SQLite file, who can
compute hashes. Rows outside the chain, payloads in another spelling, events with a valid hash
but invalid content, values of the wrong storage type, and edited exports. Each must end as one
`error:` line naming the seq (exit 1), never a traceback, and nothing written by the refusal.
"""

from __future__ import annotations

import csv
import json
import uuid
from datetime import date

import pytest
from sqlalchemy import text

from ledger.chain import chain_hash, guard, unguard

JAN_1 = date(2025, 1, 1)
BEYOND = 2**62 + 1


def given_six_events(ledger) -> None:
    ledger.record(
        "region.opened",
        {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"},
        effective=JAN_1,
        actor="setup",
    )
    ledger.record(
        "supplier.registered",
        {"supplier": "huawei", "name": "Huawei", "country": "CN"},
        effective=JAN_1,
        actor="setup",
    )
    ledger.record(
        "budget.revised",
        {"region": "CN", "year": 2025, "amount": "1000000"},
        effective=JAN_1,
        actor="cfo",
    )
    ledger.record(
        "order.placed",
        {
            "order": "PO-1",
            "region": "CN",
            "supplier": "huawei",
            "sku": "a",
            "quantity": 10,
            "unit_price": "300",
            "currency": "CNY",
        },
        effective=date(2025, 2, 1),
        actor="buyer",
    )
    ledger.record(
        "order.amended", {"order": "PO-1", "quantity": 5}, effective=date(2025, 3, 1), actor="buyer"
    )
    ledger.record(
        "fx.rate_set",
        {"base": "USD", "quote": "CNY", "rate": "7.2"},
        effective=JAN_1,
        actor="treasury",
    )


def sql(ledger, *statements: str, **params) -> None:
    """Raw SQL in one transaction, as someone at a database console."""
    with ledger.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def scalar(ledger, statement: str):
    with ledger.engine.connect() as connection:
        return connection.execute(text(statement)).scalar()


def drop_guards(ledger) -> None:
    """What the owner of the database (or of the SQLite file) can do."""
    if ledger.engine.dialect.name == "sqlite":
        sql(ledger, "DROP TRIGGER events_refuse_seq_below_one", "DROP TRIGGER events_refuse_update")
    else:
        sql(
            ledger,
            "ALTER TABLE events DROP CONSTRAINT ck_events_seq_positive",
            "ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete",
        )


def forge(
    ledger,
    seq: int | None,
    type_: str,
    payload: str,
    *,
    event_id: str | None = None,
    prev: str | None = None,
) -> int:
    """Insert an event whose hash its writer computed: at the head + 1 (seq None) it extends the
    chain, so only its content can be wrong."""
    with ledger.engine.begin() as connection:
        head_seq, head_hash, recorded_at = connection.execute(
            text(
                "SELECT seq, hash, recorded_at FROM events WHERE seq > 0 ORDER BY seq DESC LIMIT 1"
            )
        ).one()
        seq = head_seq + 1 if seq is None else seq
        event_id = event_id or str(uuid.uuid4())
        prev = head_hash if prev is None else prev
        digest = chain_hash(
            prev, seq, event_id, type_, "2025-06-01", recorded_at, "mallory", None, payload
        )
        connection.execute(
            text(
                "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
                "prev_hash, hash) VALUES (:seq, :event_id, :type, :effective, :recorded_at, 'mallory', "
                "NULL, :payload, :prev, :hash)"
            ),
            {
                "seq": seq,
                "event_id": event_id,
                "type": type_,
                "effective": date(2025, 6, 1),
                "recorded_at": recorded_at,
                "payload": payload,
                "prev": prev,
                "hash": digest,
            },
        )
    return seq


def one_error_line(result, *fragments: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def read_model_rows(ledger) -> dict[str, int]:
    from ledger.schema import READ_MODELS

    with ledger.engine.connect() as connection:
        return {
            table.name: connection.execute(text(f"SELECT count(*) FROM {table.name}")).scalar()
            for table in READ_MODELS
        }


# -- rows outside the chain ---------------------------------------------------------------------


@pytest.mark.parametrize("seq", [0, -1, -(2**63), BEYOND, 2**63 - 1])
def test_a_row_outside_the_chain_fails_verify_and_the_next_append_still_extends_the_chain(
    ledger, run, tmp_path, seq
):
    given_six_events(ledger)
    (tmp_path / "anchor.json").write_text(run("anchor").stdout)
    drop_guards(ledger)
    forge(ledger, seq, "order.cancelled", '{"order":"PO-1"}')

    plain, anchored = run("verify"), run("verify", "--anchor", tmp_path / "anchor.json")
    appended = run(
        "region",
        "open",
        "MY",
        "--name",
        "Malaysia",
        "--country",
        "MY",
        "--currency",
        "USD",
        "--effective",
        "2025-01-01",
    )
    after = run("verify")

    one_error_line(plain, f"seq {seq}")
    one_error_line(anchored, f"seq {seq}")
    one_error_line(after, f"seq {seq}")
    assert appended.exit_code == 0 and appended.stdout.strip().endswith("7"), appended.stdout
    assert scalar(ledger, "SELECT count(*) FROM events WHERE seq BETWEEN 1 AND 7") == 7
    one_error_line(run("anchor"), f"seq {seq}", "no anchor taken")


def test_the_database_refuses_a_seq_below_one(ledger):
    given_six_events(ledger)
    for seq in (0, -5):
        with pytest.raises(Exception, match="(?i)seq|check"):
            forge(ledger, seq, "order.cancelled", '{"order":"PO-1"}')
    assert scalar(ledger, "SELECT count(*) FROM events") == 6


def test_a_second_row_claiming_a_seq_is_named(ledger, run):
    given_six_events(ledger)
    if ledger.engine.dialect.name == "sqlite":
        # The owner of the file rebuilds the table without its primary key.
        sql(
            ledger,
            "CREATE TABLE loose AS SELECT * FROM events",
            "DROP TABLE events",
            "ALTER TABLE loose RENAME TO events",
        )
    else:
        sql(ledger, "ALTER TABLE events DROP CONSTRAINT pk_events")
    prev = scalar(ledger, "SELECT prev_hash FROM events WHERE seq = 3")
    forge(ledger, 3, "order.cancelled", '{"order":"PO-1"}', prev=prev)

    one_error_line(run("verify"), "seq 3", "second row")


def test_an_event_id_held_by_a_stray_row_is_not_already_recorded(ledger, run, tmp_path):
    given_six_events(ledger)
    drop_guards(ledger)
    stray_id = str(uuid.uuid4())
    forge(
        ledger,
        0,
        "region.opened",
        '{"country":"MY","currency":"USD","name":"Malaysia","region":"MY"}',
        event_id=stray_id,
    )
    line = {
        "event_id": stray_id,
        "type": "region.opened",
        "effective": "2025-06-01",
        "region": "MY",
        "name": "Malaysia",
        "country": "MY",
        "currency": "USD",
    }
    (tmp_path / "one.jsonl").write_text(json.dumps(line) + "\n")

    recorded = run(
        "region",
        "open",
        "MY",
        "--name",
        "Malaysia",
        "--country",
        "MY",
        "--currency",
        "USD",
        "--effective",
        "2025-06-01",
        "--event-id",
        stray_id,
    )
    imported = run("import", tmp_path / "one.jsonl")

    one_error_line(recorded, "seq 0", "ledger verify")
    assert (
        imported.exit_code == 1
        and "line 1: event_id:" in imported.stderr
        and "seq 0" in imported.stderr
    )
    assert "Traceback" not in imported.stderr
    assert scalar(ledger, "SELECT count(*) FROM events") == 7


# -- valid hash, invalid content ----------------------------------------------------------------

NOT_CANONICAL = {
    "spaces": '{"order": "PO-1"}',
    "reordered keys": '{"quantity":3,"order":"PO-1"}',
    "unicode escape": '{"order":"PO\\u002d1","quantity":3}',
    "duplicate key": '{"order":"PO-9","order":"PO-1","quantity":3}',
    "trailing space": '{"order":"PO-1","quantity":3} ',
    "not json": '{"order":"PO-1",',
    "float spelling": '{"order":"PO-1","quantity":3.0e0}',
}


@pytest.mark.parametrize("payload", NOT_CANONICAL.values(), ids=NOT_CANONICAL.keys())
def test_a_payload_that_is_not_canonical_fails_verify(ledger, run, payload):
    given_six_events(ledger)
    seq = forge(ledger, None, "order.amended", payload)
    later = ledger.record(
        "fx.rate_set",
        {"base": "EUR", "quote": "CNY", "rate": "7.9"},
        effective=JAN_1,
        actor="treasury",
    )

    rebuilt = run("rebuild")

    assert later.seq == seq + 1
    one_error_line(run("verify"), f"seq {seq}", "canonical")
    # A rebuild replays what it can read; what it cannot, it names (never a traceback).
    assert rebuilt.exit_code == 0 or (
        rebuilt.stderr.count("\n") == 1 and f"seq {seq}" in rebuilt.stderr
    )


# (type, payload, what the error names, whether a rebuild must refuse it: a rebuild replays
# what it can read, and refuses what it cannot)
INVALID_CONTENT = {
    "negative quantity": ("order.amended", '{"order":"PO-1","quantity":-5}', "quantity", True),
    "unknown region": (
        "order.placed",
        '{"currency":"CNY","order":"PO-2","quantity":1,"region":"XX",'
        '"sku":"a","supplier":"huawei","unit_price":"1"}',
        "region",
        True,
    ),
    "unknown field": ("order.cancelled", '{"order":"PO-1","why":"x"}', "why", True),
    "unknown order": ("order.amended", '{"order":"PO-404","quantity":2}', "order", True),
    "order placed twice": (
        "order.placed",
        '{"currency":"CNY","order":"PO-1","quantity":1,"region":"CN",'
        '"sku":"a","supplier":"huawei","unit_price":"1"}',
        "order",
        True,
    ),
    "unknown type": ("order.shipped", '{"order":"PO-1"}', "type", True),
    "not an object": ("order.cancelled", '["PO-1"]', "payload", True),
    "quantity as text": ("order.amended", '{"order":"PO-1","quantity":"5"}', "quantity", False),
    "region opened twice": (
        "region.opened",
        '{"country":"CN","currency":"CNY","name":"C","region":"CN"}',
        "region",
        False,
    ),
}


@pytest.mark.parametrize("case", INVALID_CONTENT.values(), ids=INVALID_CONTENT.keys())
def test_an_event_with_a_valid_hash_but_invalid_content_is_found_by_deep_and_refused_by_rebuild(
    ledger, run, case
):
    type_, payload, field, rebuild_refuses = case
    given_six_events(ledger)
    seq = forge(ledger, None, type_, payload)
    before = read_model_rows(ledger)

    plain, deep = run("verify"), run("verify", "--deep")
    rebuilt, checked = run("rebuild"), run("rebuild", "--check")

    if field == "type":  # the envelope's format: verify checks that a type is known (SPEC §2.3)
        one_error_line(plain, f"seq {seq}", field)
    else:  # the limit of a hash chain: see docs/reliability.md
        assert plain.exit_code == 0, plain.stderr
    one_error_line(deep, f"seq {seq}", field)
    if rebuild_refuses or rebuilt.exit_code:
        one_error_line(rebuilt, f"seq {seq}")
        one_error_line(checked, f"seq {seq}")
        assert read_model_rows(ledger) == before


def test_verify_deep_passes_a_valid_log_and_writes_nothing(ledger, run):
    given_six_events(ledger)
    before = read_model_rows(ledger), scalar(ledger, "SELECT count(*) FROM events")

    result = run("verify", "--deep")

    assert result.exit_code == 0 and "every event passes the entry rules" in result.stdout
    assert (read_model_rows(ledger), scalar(ledger, "SELECT count(*) FROM events")) == before


def test_verify_deep_works_on_a_read_only_database(postgres_url):
    from urllib.parse import quote

    from click.testing import CliRunner

    from commands import main
    from ledger.app import Ledger

    with Ledger.open(postgres_url) as books:
        given_six_events(books)
        seq = forge(books, None, "order.amended", '{"order":"PO-1","quantity":-5}')
    read_only = postgres_url + quote(" -cdefault_transaction_read_only=on")

    result = CliRunner().invoke(main, ["--db", read_only, "verify", "--deep"])

    one_error_line(result, f"seq {seq}", "quantity")


# -- values of the wrong storage type (SQLite) --------------------------------------------------

WRONG_TYPES = {
    "blob reason": "UPDATE events SET reason = x'41424344' WHERE seq = 3",
    "text seq": "UPDATE events SET seq = 'three' WHERE seq = 3",
    "integer effective": "UPDATE events SET effective = 20250101 WHERE seq = 3",
    "real seq": "UPDATE events SET seq = 3.5 WHERE seq = 3",
    "blob payload": "UPDATE events SET payload = x'7b7d' WHERE seq = 3",
    "blob recorded_at at the head": "UPDATE events SET recorded_at = x'37' WHERE seq = 6",
    "blob hash at the head": "UPDATE events SET hash = x'00' WHERE seq = 6",
}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("statement", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_a_value_of_the_wrong_storage_type_is_named_not_a_crash(ledger, run, statement):
    given_six_events(ledger)
    drop_guards(ledger)
    sql(ledger, statement)
    events_before = scalar(ledger, "SELECT count(*) FROM events")

    results = {
        "verify": run("verify"),
        "verify --deep": run("verify", "--deep"),
        "export": run("export", "events"),
        "rebuild --check": run("rebuild", "--check"),
        "anchor": run("anchor"),
        "append": run("order", "amend", "PO-1", "--quantity", "4", "--effective", "2025-04-01"),
    }

    for name, result in results.items():
        if name == "append" and result.exit_code == 0:
            continue  # the bad row is not the head: the append extends the chain before it
        assert result.exit_code == 1, (name, result.stdout, result.stderr)
        assert result.stderr.count("\n") == 1 and "seq " in result.stderr, (name, result.stderr)
    appended = results["append"].exit_code == 0
    assert scalar(ledger, "SELECT count(*) FROM events") == events_before + appended


# -- edited exports -----------------------------------------------------------------------------


def export_rows(run, tmp_path) -> list[list[str]]:
    run("export", "events", "-o", tmp_path / "events.csv")
    with open(tmp_path / "events.csv", newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def write_rows(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def rehash_last(rows: list[list[str]]) -> None:
    """A forger's export: the last row's hash recomputed over its cells as they now are."""
    seq, event_id, type_, effective, recorded_at, actor, reason, payload, prev_hash, _ = rows[-1][
        :10
    ]
    rows[-1][9] = chain_hash(
        prev_hash,
        int(seq.strip() or 0) if seq.strip().isdigit() else 0,
        event_id,
        type_,
        effective,
        recorded_at,
        unguard(actor),
        unguard(reason) or None,
        payload,
    )


PAYLOAD_EDITS = {
    "spaces": lambda cell: cell.replace(",", ", "),
    "reordered keys": lambda cell: json.dumps(
        dict(reversed(json.loads(cell).items())), separators=(",", ":"), ensure_ascii=False
    ),
    "unicode escape": lambda cell: cell.replace("USD", "\\u0055SD"),
    "ascii escapes": lambda cell: json.dumps(
        json.loads(cell) | {"name": "Ä"}, sort_keys=True, separators=(",", ":")
    ),
    "duplicate key first": lambda cell: '{"base":"EUR",' + cell[1:],
    "pretty": lambda cell: json.dumps(json.loads(cell), sort_keys=True, indent=1),
}


@pytest.mark.parametrize("edit", PAYLOAD_EDITS.values(), ids=PAYLOAD_EDITS.keys())
def test_an_export_whose_payload_cell_is_respelled_fails_even_with_its_hash_recomputed(
    run, ledger, tmp_path, edit
):
    given_six_events(ledger)
    rows = export_rows(run, tmp_path)
    rows[-1][7] = edit(rows[-1][7])
    rehash_last(rows)
    write_rows(tmp_path / "edited.csv", rows)

    one_error_line(run("verify", "--export", tmp_path / "edited.csv"), "seq 6", "canonical")


SHAPE_EDITS = {
    "seq with a space": lambda rows: rows[3].__setitem__(0, " 3"),
    "seq with a leading zero": lambda rows: rows[3].__setitem__(0, "03"),
    "seq in Arabic-Indic digits": lambda rows: rows[3].__setitem__(0, "٣"),
    "seq with a plus": lambda rows: rows[3].__setitem__(0, "+3"),
    "extra trailing cell": lambda rows: rows[3].append(""),
    "missing cell": lambda rows: rows[3].pop(),
    "actor guard added": lambda rows: rows[3].__setitem__(5, "'" + rows[3][5]),
    "reason of one quote": lambda rows: rows[3].__setitem__(6, "'"),
}


@pytest.mark.parametrize("edit", SHAPE_EDITS.values(), ids=SHAPE_EDITS.keys())
def test_an_export_with_a_cell_not_as_written_fails_at_its_row(run, ledger, tmp_path, edit):
    given_six_events(ledger)
    rows = export_rows(run, tmp_path)
    edit(rows)
    write_rows(tmp_path / "edited.csv", rows)

    result = run("verify", "--export", tmp_path / "edited.csv")

    one_error_line(result, "line 4")


def test_a_header_only_export_holds_no_events(run, ledger, tmp_path):
    given_six_events(ledger)
    write_rows(tmp_path / "empty.csv", export_rows(run, tmp_path)[:1])
    write_rows(tmp_path / "header-plus.csv", [export_rows(run, tmp_path)[0] + ["extra"]])

    one_error_line(run("verify", "--export", tmp_path / "empty.csv"), "holds no events")
    one_error_line(run("verify", "--export", tmp_path / "header-plus.csv"), "header differs")


def test_the_formula_guard_round_trips_for_the_cells_the_strict_reader_accepts():
    for text_ in ("=1+1", "'quoted", "plain", "-x", "''"):
        assert unguard(guard(text_)) == text_ and guard(unguard(guard(text_))) == guard(text_)
