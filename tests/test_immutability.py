"""The database itself keeps the log append-only (SPEC §2.3), and `ledger verify` names the first
event anyone changed after getting around that."""

from __future__ import annotations

import pytest
from given import given_china_books
from sqlalchemy import text

from ledger.errors import LedgerDatabaseError

UPDATE_PAYLOAD = (
    "UPDATE events SET payload = replace(payload, '\"1000000\"', '\"9000000\"') WHERE seq = 3"
)


def execute(ledger, *statements: str) -> None:
    """Run raw SQL in one transaction, as someone with a database console would."""
    with ledger.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def stored_payloads(ledger) -> list[str]:
    with ledger.engine.connect() as connection:
        return connection.execute(text("SELECT payload FROM events ORDER BY seq")).scalars().all()


@pytest.fixture
def postgres_ledger(postgres_url):
    from ledger.app import Ledger

    with Ledger.open(postgres_url) as opened:
        yield opened


def drop_guards(ledger) -> None:
    if ledger.engine.dialect.name == "postgresql":
        execute(
            ledger,
            "DROP TRIGGER events_refuse_update_delete ON events",
            "DROP TRIGGER events_refuse_truncate ON events",
        )
    else:
        execute(ledger, "DROP TRIGGER events_refuse_update", "DROP TRIGGER events_refuse_delete")


@pytest.mark.parametrize(
    "statement",
    [
        UPDATE_PAYLOAD,
        "UPDATE events SET actor = 'someone else'",
        "DELETE FROM events WHERE seq = 4",
        "DELETE FROM events",
    ],
)
def test_the_database_refuses_to_change_or_delete_events(ledger, statement):
    given_china_books(ledger)
    before = stored_payloads(ledger)

    with pytest.raises(LedgerDatabaseError, match="append-only"):
        execute(ledger, statement)

    assert stored_payloads(ledger) == before


@pytest.mark.postgres
def test_postgresql_refuses_truncate(postgres_ledger):
    given_china_books(postgres_ledger)

    with pytest.raises(LedgerDatabaseError, match="append-only: TRUNCATE refused"):
        execute(postgres_ledger, "TRUNCATE events")

    assert len(stored_payloads(postgres_ledger)) == 4


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [UPDATE_PAYLOAD, "DELETE FROM events", "TRUNCATE events"])
def test_postgresql_refuses_even_in_replica_mode(postgres_ledger, statement):
    """session_replication_role = replica switches ordinary triggers off; ours are ENABLE ALWAYS."""
    given_china_books(postgres_ledger)

    with pytest.raises(LedgerDatabaseError, match="append-only"):
        execute(postgres_ledger, "SET LOCAL session_replication_role = replica", statement)

    assert len(stored_payloads(postgres_ledger)) == 4


def test_appending_still_works_after_a_refused_change(ledger, run):
    given_china_books(ledger)
    with pytest.raises(LedgerDatabaseError):
        execute(ledger, "DELETE FROM events")

    result = run("fx", "set", "EUR", "CNY", "7.8", "--effective", "2025-01-01")

    assert (result.exit_code, result.stdout) == (0, "5\n")
    assert run("verify").exit_code == 0


def test_verify_names_the_event_edited_behind_the_triggers_back(ledger, run):
    given_china_books(ledger)
    assert run("verify").exit_code == 0
    drop_guards(ledger)

    execute(ledger, UPDATE_PAYLOAD)
    result = run("verify")

    assert '"9000000"' in stored_payloads(ledger)[2]
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: seq 3: ") and result.stderr.count("\n") == 1
    assert "2 events before it verify" in result.stderr


def test_verify_names_the_event_after_a_deleted_one(ledger, run):
    given_china_books(ledger)
    drop_guards(ledger)

    execute(ledger, "DELETE FROM events WHERE seq = 2")
    result = run("verify")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: seq 3: ")


def test_verify_names_an_event_whose_recorded_at_was_moved_back(ledger, run):
    given_china_books(ledger)
    drop_guards(ledger)

    execute(ledger, "UPDATE events SET recorded_at = '2000-01-01T00:00:00.000000Z' WHERE seq = 4")
    result = run("verify")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: seq 4: ")
