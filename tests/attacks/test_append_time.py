"""The append time belongs to the database: a writer with plain INSERT rights cannot choose the
recorded_at of the rows it inserts (back-dated into a report "as known at" an earlier moment, or
stamped into the future so that every later event is), while the owner's copy and restore keep
the recorded times of the events they move."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from attacks.conftest import (
    cli,
    event_count,
    forged_row,
    insert_row,
    now_plus,
    one_line,
    sql,
)

pytestmark = pytest.mark.postgres


def refused(url: str, row: dict, fragment: str) -> None:
    with pytest.raises(DBAPIError) as caught:
        insert_row(url, row)
    assert fragment in str(caught.value.orig), caught.value.orig


def test_a_writer_cannot_back_date_the_recorded_at_of_a_row_it_inserts(writer):
    before = event_count(writer)
    row = forged_row(writer, recorded_at=now_plus(minutes=-28))

    refused(writer, row, "earlier than the start of its transaction")

    assert event_count(writer) == before
    assert cli(writer, "verify").exit_code == 0


def test_a_writer_cannot_stamp_a_row_into_the_future(writer):
    before = event_count(writer)

    refused(writer, forged_row(writer, recorded_at=now_plus(days=1)), "later than the server")

    assert event_count(writer) == before
    # And the next append is stamped with the server's clock, not with a future head's time.
    assert cli(writer, "fx", "set", "EUR", "CNY", "7.9", "--effective", "2025-02-01").exit_code == 0
    latest = sql(writer, "SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1")[0][0]
    assert latest <= now_plus(seconds=1)


def test_a_writer_cannot_record_a_time_before_the_heads(writer, postgres_url):
    # The owner (exempt, as a copy is) puts a head a little ahead of the clock.
    insert_row(postgres_url, forged_row(postgres_url, recorded_at=now_plus(milliseconds=900)))

    refused(writer, forged_row(writer, recorded_at=now_plus()), "earlier than the head")


@pytest.mark.parametrize("value", ["2026-01-01 00:00:00", "2026-01-01T00:00:00Z", "yesterday"])
def test_a_writer_cannot_write_a_recorded_at_out_of_format(writer, value):
    refused(writer, forged_row(writer, recorded_at=value), "not a UTC time")


def test_a_writers_append_is_stamped_by_the_servers_clock(writer):
    start = sql(
        writer,
        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    )[0][0]

    recorded = cli(writer, "fx", "set", "EUR", "CNY", "7.9", "--effective", "2025-02-01")

    assert recorded.exit_code == 0, recorded.output
    latest = sql(writer, "SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1")[0][0]
    assert start <= latest <= now_plus(seconds=1)
    assert cli(writer, "verify").exit_code == 0


def test_an_append_behind_a_future_head_is_refused_not_stamped_into_the_future(postgres_url):
    from attacks.conftest import given_a_ledger

    given_a_ledger(postgres_url)
    insert_row(postgres_url, forged_row(postgres_url, recorded_at=now_plus(hours=3)))
    before = event_count(postgres_url)

    result = cli(postgres_url, "fx", "set", "EUR", "CNY", "7.9", "--effective", "2025-02-01")

    one_line(result, "recorded_at", "never stamped into the future")
    assert event_count(postgres_url) == before


def test_copy_onto_postgres_as_a_writer_is_refused_naming_the_owner(writer, postgres_url, tmp_path):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    assert cli(postgres_url, "copy", source).exit_code == 0
    assert cli(source, "fx", "set", "EUR", "CNY", "7.9", "--effective", "2025-02-01").exit_code == 0
    before = event_count(postgres_url)

    result = cli(source, "copy", writer)

    owner = sql(postgres_url, "SELECT current_user")[0][0]
    one_line(result, "owner of events", owner)
    assert event_count(postgres_url) == before


def test_copy_and_restore_as_the_owner_keep_every_recorded_time(postgres_url, tmp_path):
    from servers import postgres_schema

    from attacks.conftest import given_a_ledger

    given_a_ledger(postgres_url)
    export = tmp_path / "events.csv"
    assert cli(postgres_url, "export", "events", "-o", str(export)).exit_code == 0
    times = sql(postgres_url, "SELECT seq, recorded_at FROM events ORDER BY seq")
    with postgres_schema() as copied, postgres_schema() as restored:
        assert cli(postgres_url, "copy", copied).exit_code == 0
        assert cli(restored, "restore", str(export)).exit_code == 0
        assert sql(copied, "SELECT seq, recorded_at FROM events ORDER BY seq") == times
        assert sql(restored, "SELECT seq, recorded_at FROM events ORDER BY seq") == times


def test_rows_of_one_statement_cannot_go_back_in_time_along_seq(writer):
    first = forged_row(writer, recorded_at=now_plus(milliseconds=800))
    second = {**forged_row(writer, recorded_at=now_plus()), "seq": first["seq"] + 1}
    second["event_id"] = "00000000-0000-4000-8000-000000000002"
    columns = "seq, event_id, type, effective, recorded_at, actor, reason, payload, prev_hash, hash"

    def values(row: dict, n: int) -> str:
        return (
            f"(:seq{n}, :event_id{n}, :type{n}, :effective{n}, :recorded_at{n}, :actor{n}, NULL, "
            f":payload{n}, :prev_hash{n}, :hash{n})"
        )

    params = {
        f"{key}{n}": value for n, row in ((1, first), (2, second)) for key, value in row.items()
    }
    before = event_count(writer)
    with pytest.raises(DBAPIError, match="earlier than the head"):
        sql(
            writer,
            f"INSERT INTO events ({columns}) VALUES {values(first, 1)}, {values(second, 2)}",
            params=params,
        )

    assert event_count(writer) == before


def test_a_writers_own_tables_cannot_stand_in_for_the_catalog_or_the_log(writer, postgres_url):
    # The owner (exempt) puts a head a little ahead of the clock; the writer then shadows both
    # the catalog and the log with temporary tables of its own before inserting behind it.
    insert_row(postgres_url, forged_row(postgres_url, recorded_at=now_plus(milliseconds=900)))
    row = forged_row(writer, recorded_at=now_plus())

    with pytest.raises(DBAPIError, match="earlier than the head"):
        sql(
            writer,
            "CREATE TEMPORARY TABLE pg_class (oid oid, relowner oid)",
            "INSERT INTO pg_temp.pg_class SELECT 'events'::regclass, r.oid FROM pg_roles AS r "
            "WHERE r.rolname = current_user",
            "CREATE TEMPORARY TABLE events (seq bigint, recorded_at text)",
            "SET LOCAL search_path = pg_temp, "
            + sql(postgres_url, "SELECT current_schema()")[0][0],
            "INSERT INTO " + sql(postgres_url, "SELECT current_schema()")[0][0] + ".events "
            "(seq, event_id, type, effective, recorded_at, actor, reason, payload, prev_hash, hash) "
            "VALUES (:seq, :event_id, :type, :effective, :recorded_at, :actor, NULL, :payload, "
            ":prev_hash, :hash)",
            params=row,
        )
