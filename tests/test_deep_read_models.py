"""`verify --deep` compares the read models with a replay of the log and names the first table
that differs: a writer maintains them, so it could make every reader's figures lie while the log
itself verifies. On both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger.packaged import fixture


@pytest.fixture
def demo(run):
    assert run("import", str(fixture("demo.jsonl"))).exit_code == 0
    return run


def execute(db_url: str, statement: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


def test_a_clean_ledger_passes_the_deep_check(demo):
    result = demo("verify", "--deep")

    assert result.exit_code == 0, result.stderr
    assert "the read models match a replay" in result.stdout


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("UPDATE budgets SET amount = amount * 10", "budgets"),
        ("DELETE FROM lease_years WHERE year = 2026", "lease_years"),
        (
            "INSERT INTO fx_rates (seq, base, quote, rate, effective) "
            "VALUES (99999, 'USD', 'CNY', '1', '2025-01-01')",
            "fx_rates",
        ),
        ("UPDATE orders SET supplier = 'huawei' WHERE supplier = 'nvidia'", "orders"),
    ],
)
def test_a_read_model_edited_by_a_writer_is_named_by_verify_deep(demo, db_url, statement, table):
    before = demo("query", "budget", "--as-of", "2025-06-30").stdout
    execute(db_url, statement)
    if table == "budgets":  # the lie reaches every reader until it is caught
        assert demo("query", "budget", "--as-of", "2025-06-30").stdout != before

    plain = demo("verify")
    deep = demo("verify", "--deep")

    assert plain.exit_code == 0  # the log itself is untouched
    assert deep.exit_code == 1
    line = deep.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in deep.stderr
    assert line.startswith(f"error: read models: {table} differs from a replay of the log"), line
    assert demo("rebuild", "--check").exit_code == 1
    assert demo("rebuild").exit_code == 0
    assert demo("verify", "--deep").exit_code == 0
