"""After a bulk import on PostgreSQL the planner has statistics on what was written.

Without them, until autovacuum comes by, every query after the import is planned for tables as
they were (for a log just imported: no statistics at all), and a year-end `query spend` of a
million events took seconds instead of a fraction of one. An import of at least ANALYZE_AFTER
events that is a tenth of the log or more analyses the log and the read models before it
commits; a small one leaves that to autovacuum.
"""

from __future__ import annotations

import io

from sqlalchemy import text
from test_import_second_process import generate

from ledger.app import Ledger
from ledger.importing import ANALYZE_AFTER


def estimated_rows(ledger: Ledger, table: str) -> float:
    """What the planner believes the table holds: -1 when it was never analysed."""
    with ledger.engine.connect() as connection:
        return connection.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"), {"name": table}
        ).scalar_one()


def write_events(tmp_path, count: int):
    out = io.StringIO()
    generate(count, out, seed=11)
    path = tmp_path / f"events-{count}.jsonl"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_bulk_import_leaves_the_planner_statistics_of_what_it_wrote(postgres_url, tmp_path):
    ledger = Ledger.open(postgres_url, create=True)
    try:
        assert estimated_rows(ledger, "events") < 0  # a new schema: never analysed
        result = ledger.import_file(write_events(tmp_path, ANALYZE_AFTER + 500))
        assert result.added == ANALYZE_AFTER + 500
        assert estimated_rows(ledger, "events") == result.added
        orders = estimated_rows(ledger, "orders")
        with ledger.engine.connect() as connection:
            assert orders == connection.execute(text("SELECT count(*) FROM orders")).scalar_one()
        assert orders > 0
    finally:
        ledger.close()


def test_a_small_import_leaves_the_statistics_to_autovacuum(postgres_url, tmp_path):
    ledger = Ledger.open(postgres_url, create=True)
    try:
        ledger.import_file(write_events(tmp_path, 300))
        assert estimated_rows(ledger, "events") < 0
    finally:
        ledger.close()
