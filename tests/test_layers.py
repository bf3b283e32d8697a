"""The read side's layers import one way: ledger.semantics holds the SPEC §4 rules without SQL,
ledger.reads fetches rows for them, and only the entry checks and the facade use both."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LEDGER = Path(__file__).resolve().parent.parent / "ledger"


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (lazy imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((LEDGER / package).glob("*.py"))


@pytest.mark.parametrize("path", modules("semantics"), ids=lambda path: path.name)
def test_semantics_import_only_money_dates_events_and_errors(path):
    allowed = {"ledger.money", "ledger.dates", "ledger.events", "ledger.errors"}
    ours = {name for name in imported(path) if name.startswith(("ledger", "sqlalchemy"))}
    assert ours <= allowed | {name for name in ours if name.startswith("ledger.semantics")}


@pytest.mark.parametrize("path", modules("reads"), ids=lambda path: path.name)
def test_reads_do_not_import_the_entry_checks_the_facade_or_the_write_side(path):
    for name in imported(path):
        assert not name.startswith(
            ("ledger.rules", "ledger.app", "ledger.projections", "ledger.store", "commands")
        ), name


def test_the_write_side_does_not_import_the_read_side():
    for path in modules("projections"):
        assert not any(name.startswith("ledger.reads") for name in imported(path)), path
