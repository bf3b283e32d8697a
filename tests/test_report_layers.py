"""The report package reads every figure through ledger.reads: no SQL of its own, no reach into the
facade's engine, no private names of other modules; and its charts do not need the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parent.parent / "ledger" / "report"
# What would let a module of the report run SQL of its own.
SQL_MODULES = ("ledger.schema", "ledger.sql", "ledger.db", "ledger.log", "ledger.store")


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def imports(module: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    return [node for node in ast.walk(module) if isinstance(node, ast.Import | ast.ImportFrom)]


@pytest.mark.parametrize("path", sorted(REPORT.glob("*.py")), ids=lambda path: path.name)
def test_a_report_module_runs_no_sql_of_its_own(path):
    module = tree(path)

    for node in imports(module):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            assert not name.startswith(SQL_MODULES), f"{path.name} imports {name}"
        if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
            # The type of the connection its reads take, and nothing to build a query with.
            assert [alias.name for alias in node.names] == ["Connection"], path.name
    engines = [
        node.lineno
        for node in ast.walk(module)
        if isinstance(node, ast.Attribute) and node.attr == "engine"
    ]
    assert engines == [], f"{path.name} reaches into the engine at lines {engines}"


@pytest.mark.parametrize("path", sorted(REPORT.glob("*.py")), ids=lambda path: path.name)
def test_a_report_module_imports_no_private_name_of_another_module(path):
    for node in imports(tree(path)):
        if isinstance(node, ast.ImportFrom):
            private = [alias.name for alias in node.names if alias.name.startswith("_")]
            assert private == [], f"{path.name} imports {private} from {node.module}"


def test_the_charts_and_the_page_import_nothing_that_reads():
    for name in ("charts.py", "html.py", "figures.py"):
        for node in imports(tree(REPORT / name)):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("ledger.reads."), (name, node.module)
                assert node.module != "ledger.app", name
