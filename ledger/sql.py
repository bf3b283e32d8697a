"""Driver-level SQL shared by the store, the log and the lookups: placeholders and keyset pages.

Statements on the hot paths (appends, log scans, lookups by code) go straight through the
driver with `exec_driver_sql`, skipping SQLAlchemy's compiler. They are written here with `?`
markers; PostgreSQL's psycopg takes `%s` instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Connection


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


def keyset_pages(
    connection: Connection, sql: str, parameters: Sequence = (), start: object = 0
) -> Iterator[list]:
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
