"""SQL helpers shared by the store, the log, the status and the reads: placeholders, dates as
parameters, driver-level rows, keyset pages, and the knowledge limit as a condition.

Statements on the hot paths (appends, log scans, lookups by code, the reports' sums) go straight
through the driver with `exec_driver_sql`, skipping SQLAlchemy's compiler. They are written with
`?` markers; PostgreSQL's psycopg takes `%s` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table


def marker(connection: Connection) -> str:
    """The driver's parameter marker: `?` (sqlite3's qmark) or `%s` (psycopg's format)."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def markers(connection: Connection, count: int) -> str:
    """`count` markers separated by commas, for VALUES (…) or IN (…)."""
    return ", ".join([marker(connection)] * count)


def for_driver(connection: Connection, sql: str) -> str:
    """A statement written with `?` markers, in the driver's paramstyle. (No `?` may appear in
    the statement other than as a marker: these statements have no string literals with one.)"""
    return sql if connection.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def day_parameter(connection: Connection, day: date) -> object:
    """A date as a driver-level parameter: SQLite keeps dates as ISO text (compared as text),
    psycopg adapts a date itself."""
    return day.isoformat() if is_sqlite(connection) else day


def driver_rows(connection: Connection, sql: str, parameters: Sequence = ()) -> Sequence[Any]:
    """All rows of a statement written with `?` markers, run by the driver as it is."""
    return connection.exec_driver_sql(for_driver(connection, sql), tuple(parameters)).all()


def visible(table: Table, as_of: date, upto_seq: int | None) -> list[ColumnElement[bool]]:
    """The conditions under which a read-model row counts for a query as of `as_of` within the
    knowledge limit `upto_seq` (None: the whole log): effective ≤ as_of and seq ≤ upto_seq."""
    conditions = [table.c.effective <= as_of]
    if upto_seq is not None:
        conditions.append(table.c.seq <= upto_seq)
    return conditions


def keyset_pages(
    connection: Connection, sql: str, parameters: Sequence = (), start: object = 0
) -> Iterator[Sequence[Any]]:
    """Pages of a statement written with `?` markers whose FIRST parameter is the key's lower
    bound (`WHERE key > ? … ORDER BY key LIMIT n`, the key in the first column): each page
    starts after the last key of the one before, so memory stays flat however long the scan,
    and no page costs more than the one before (as OFFSET would)."""
    statement = for_driver(connection, sql)
    last = start
    while True:
        rows = connection.exec_driver_sql(statement, (last, *parameters)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


# Codes are looked up in slices, below SQLite's limit on bound parameters.
LOOKUP_SLICE = 900


def select_in(connection: Connection, query: str, codes: list[str]) -> Iterable[tuple]:
    """Rows of `query` (ending in the column to match) IN codes, straight through the driver: a
    batch asks for thousands of codes, and building the statement with SQLAlchemy would cost
    more than running it. SQLite: in slices of markers, below its limit on parameters.
    PostgreSQL: the codes as one array parameter (`= ANY`), so that psycopg has one marker to
    parse, not thousands (it parses a long statement anew each time)."""
    if not codes:
        return
    if connection.dialect.name == "postgresql":
        yield from connection.exec_driver_sql(f"{query} = ANY(%s)", (list(codes),)).fetchall()
        return
    for start in range(0, len(codes), LOOKUP_SLICE):
        part = codes[start : start + LOOKUP_SLICE]
        # fetchall: one call for the slice, not one fetch per row through the result.
        yield from connection.exec_driver_sql(
            f"{query} IN ({markers(connection, len(part))})", tuple(part)
        ).fetchall()
