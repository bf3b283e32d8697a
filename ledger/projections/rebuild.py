"""Rebuilding every read model from the log alone, and checking the maintained ones against it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from ledger import schema
from ledger.projections.apply import apply_event


@dataclass(frozen=True)
class RebuildReport:
    events: int
    rows: int
    differences: tuple[str, ...] = ()


def snapshot(connection: Connection) -> dict[str, set[tuple]]:
    """Every read-model row, as sets per table (order of insertion does not matter)."""
    return {
        table.name: {tuple(row) for row in connection.execute(select(table))}
        for table in schema.READ_MODELS
    }


def rebuild(connection: Connection, stream: Callable[[], object]) -> RebuildReport:
    """Empty the read models and replay the log into them, in seq order, in this transaction."""
    for table in reversed(schema.READ_MODELS):
        connection.execute(table.delete())
    count = 0
    for event in stream():
        apply_event(connection, event, event.typed_payload())
        count += 1
    rows = sum(len(rows) for rows in snapshot(connection).values())
    return RebuildReport(count, rows)


def compare(before: dict[str, set[tuple]], after: dict[str, set[tuple]]) -> tuple[str, ...]:
    differences = []
    for name in before:
        missing, extra = after[name] - before[name], before[name] - after[name]
        if missing or extra:
            differences.append(
                f"{name}: {len(extra)} rows not derivable from the log, {len(missing)} rows missing"
            )
    return tuple(differences)
