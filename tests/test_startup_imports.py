"""A query starts light: a plain `ledger query` or listing, in a process of its own, imports
neither the payload models (pydantic) nor the write side (the store, the entry rules, what the
writer knows, the read-model writer, the import pipeline and its record reader), nor alembic,
rich (unless it prints a table), matplotlib, jinja2 or starlette. Those are most of what a
command would otherwise spend before it reads anything."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from given import given_steps

# Run the command line's main in this process, then write down every module it imported.
PROBE = """
import sys
from commands import main
code = main(sys.argv[2:], prog_name="ledger", standalone_mode=False) or 0
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write(f"exit {code}\\n" + "\\n".join(sorted(sys.modules)))
"""

WRITE_SIDE = (
    "ledger.events",
    "ledger.upcasting",
    "ledger.store",
    "ledger.rules",
    "ledger.current",
    "ledger.projections",
    "ledger.pipeline",
    "ledger.records",
    "ledger.importing",
    "ledger.deep",
)
NEVER_FOR_A_QUERY = ("pydantic", "pydantic_core", "alembic", "matplotlib", "jinja2", "starlette")

QUERIES = {
    "budget": ("query", "budget", "--as-of", "2025-06-30"),
    "budget of a region": ("query", "budget", "--as-of", "2025-06-30", "--region", "CN"),
    "shares": ("query", "shares", "--as-of", "2025-06-30"),
    "spend": ("query", "spend", "--as-of", "2025-06-30"),
    "commitments": ("query", "commitments", "--as-of", "2025-06-30"),
    "compliance": ("compliance", "--as-of", "2025-06-30"),
    "known at": ("query", "budget", "--as-of", "2025-06-30", "--known-at", "2025-01-01"),
}


def imported_by(db: str, *args: str, tmp_path) -> set[str]:
    """The modules a `ledger --db DB ARGS…` process has imported when it ends (it must succeed)."""
    listing = tmp_path / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    status, *modules = listing.read_text(encoding="utf-8").splitlines()
    assert status == "exit 0", done.stderr
    return set(modules)


def of_packages(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The modules that are one of `packages` or inside one."""
    return sorted(
        name
        for name in modules
        if name in packages or name.startswith(tuple(f"{p}." for p in packages))
    )


@pytest.fixture(scope="module")
def small_ledger(tmp_path_factory) -> str:
    """The first four steps of the worked example (two regions, a rate, orders) in a SQLite file."""
    from commands import main

    db = str(tmp_path_factory.mktemp("startup") / "small.db")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, ["--db", db, *map(str, args)], catch_exceptions=False)

    assert run("init").exit_code == 0
    given_steps(run, 4)
    return db


@pytest.fixture(scope="module")
def empty_ledger(tmp_path_factory) -> str:
    from commands import main

    db = str(tmp_path_factory.mktemp("startup") / "empty.db")
    assert CliRunner().invoke(main, ["--db", db, "init"]).exit_code == 0
    return db


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_budget_query_on_an_empty_ledger_imports_no_write_side(empty_ledger, fmt, tmp_path):
    modules = imported_by(
        empty_ledger, "query", "budget", "--as-of", "2025-06-30", "--format", fmt, tmp_path=tmp_path
    )

    assert of_packages(modules, WRITE_SIDE) == []
    assert of_packages(modules, NEVER_FOR_A_QUERY) == []
    assert of_packages(modules, ("rich",)) == []


@pytest.mark.parametrize("args", QUERIES.values(), ids=QUERIES.keys())
def test_a_plain_query_on_a_small_ledger_imports_no_write_side(small_ledger, args, tmp_path):
    modules = imported_by(small_ledger, *args, "--format", "csv", tmp_path=tmp_path)

    assert of_packages(modules, WRITE_SIDE) == []
    assert of_packages(modules, NEVER_FOR_A_QUERY) == []
    assert of_packages(modules, ("rich",)) == []


def test_a_table_loads_only_what_measures_its_cells(small_ledger, tmp_path):
    modules = imported_by(
        small_ledger, "query", "budget", "--as-of", "2025-06-30", "--format", "table",
        tmp_path=tmp_path,
    )  # fmt: skip

    assert of_packages(modules, WRITE_SIDE) == []
    assert of_packages(modules, NEVER_FOR_A_QUERY) == []
    assert "rich.console" not in modules


def test_the_probe_sees_a_command_that_does_load_the_write_side(small_ledger, tmp_path):
    """The check can fail: a command that appends does import the store and the models."""
    modules = imported_by(small_ledger, "verify", "--deep", tmp_path=tmp_path)

    assert {"ledger.store", "ledger.events", "pydantic"} <= modules
