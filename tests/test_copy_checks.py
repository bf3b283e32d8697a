# ruff: noqa: F811 (the fixtures sqlite_file and target_url come from test_copy)
"""`ledger copy` and `ledger restore` trust nothing the target holds: every row it keeps is
compared with the source's row of the same seq, field by field (a row edited behind the triggers
is a difference), and a row outside its chain (beyond its head, past a gap) is one too. Each
refusal is one line naming the first differing seq, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from test_copy import (  # noqa: F401
    DEMO_EVENTS,
    events_table,
    given_the_demo,
    head_hash,
    ledger,
    sqlite_file,
    target_url,
)


def execute(db: str, *statements: str) -> None:
    engine = create_engine(db)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def behind_the_triggers(db: str, statement: str) -> None:
    """Run an UPDATE or DELETE on events as someone who can switch the guards off would."""
    engine = create_engine(db)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("ALTER TABLE events DISABLE TRIGGER USER"))
                connection.execute(text(statement))
                for trigger in ("events_refuse_update_delete", "events_refuse_truncate"):
                    connection.execute(text(f"ALTER TABLE events ENABLE ALWAYS TRIGGER {trigger}"))
            else:
                triggers = connection.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                ).all()
                for name, _ in triggers:
                    connection.execute(text(f"DROP TRIGGER {name}"))
                connection.execute(text(statement))
                for _, sql in triggers:
                    connection.execute(text(sql))
    finally:
        engine.dispose()


def stray(db: str, seq: int, like: int = 1) -> None:
    """A row put in with plain INSERT rights, outside the chain, copied from the row `like`."""
    execute(
        db,
        "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
        f"prev_hash, hash, version) SELECT {seq}, '00000000-0000-4000-8000-{seq:012d}', type, "
        "effective, recorded_at, actor, reason, payload, prev_hash, hash, version "
        f"FROM events WHERE seq = {like}",
    )


@pytest.fixture
def source(sqlite_file):
    db = sqlite_file("source.db")
    given_the_demo(db)
    return db


def refused_naming(result, seq: int) -> str:
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert line.startswith(f"error: the target differs from the source from seq {seq} on"), line
    assert "nothing was written" in line
    return line


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "'mallory'"),
        ("reason", "'edited'"),
        ("recorded_at", "'2025-01-01T00:00:00.000000Z'"),
    ],
)
def test_a_kept_row_edited_behind_the_triggers_is_refused_naming_its_seq(
    source, target_url, column, value
):
    ledger(source, "copy", target_url)
    ledger(source, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")
    behind_the_triggers(target_url, f"UPDATE events SET {column} = {value} WHERE seq = 19")
    before = events_table(target_url)

    refused = ledger(source, "copy", target_url, code=1)

    line = refused_naming(refused, 19)
    assert f"its {column} differs" in line
    assert events_table(target_url) == before


def test_an_up_to_date_target_edited_behind_the_triggers_is_refused_not_called_up_to_date(
    source, target_url
):
    ledger(source, "copy", target_url)
    behind_the_triggers(
        target_url, "UPDATE events SET payload = replace(payload, 'CN', 'MY') WHERE seq = 3"
    )

    refused = ledger(source, "copy", target_url, code=1)

    refused_naming(refused, 3)
    assert "up to date" not in refused.stdout


def test_a_target_holding_only_a_row_far_beyond_its_chain_is_not_taken_for_empty(
    source, target_url
):
    ledger(source, "copy", target_url)
    stray(target_url, 99999, like=1)
    behind_the_triggers(target_url, "DELETE FROM events WHERE seq < 99999")

    refused = ledger(source, "copy", target_url, code=1)

    line = refused_naming(refused, 1)
    assert "seq 99999" in line
    assert [row[0] for row in events_table(target_url)] == ["99999"]


def test_a_stray_row_past_a_gap_is_refused_in_one_line_not_a_constraint_error(source, target_url):
    ledger(source, "copy", target_url)
    behind_the_triggers(target_url, "DELETE FROM events WHERE seq >= 4")
    stray(target_url, 5, like=1)
    before = events_table(target_url)

    refused = ledger(source, "copy", target_url, code=1)

    line = refused_naming(refused, 4)
    assert "seq 5" in line
    assert "UNIQUE" not in line and "constraint" not in line
    assert events_table(target_url) == before


def test_a_target_longer_than_the_source_names_the_seq_after_the_source_head(source, target_url):
    ledger(source, "copy", target_url)
    ledger(target_url, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")

    refused = ledger(source, "copy", target_url, code=1)

    line = refused_naming(refused, DEMO_EVENTS + 1)
    assert "longer" in line


def test_a_sound_prefix_is_still_brought_up_to_date(source, target_url):
    ledger(source, "copy", target_url)
    ledger(source, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")

    copied = ledger(source, "copy", target_url)

    assert f"(seq {DEMO_EVENTS + 1}-{DEMO_EVENTS + 1})" in copied.stdout
    assert head_hash(target_url) == head_hash(source)


def test_restore_onto_a_prefix_edited_behind_the_triggers_is_refused(source, target_url, tmp_path):
    ledger(source, "copy", target_url)
    ledger(source, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")
    export = tmp_path / "events.csv"
    ledger(source, "export", "events", "-o", str(export))
    behind_the_triggers(target_url, "UPDATE events SET actor = 'mallory' WHERE seq = 7")
    before = events_table(target_url)

    refused = ledger(target_url, "restore", str(export), code=1)

    line = refused.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "from seq 7 on" in line and "its actor differs" in line
    assert events_table(target_url) == before
