"""Reading the log as stored: its verified head, its rows in seq order page by page, and the
accounting of rows that lie outside the chain.

Kept apart from the store's writing side so that a query or a verification does not load the
event models it never uses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection

from ledger.chain import EXPORT_COLUMNS, GENESIS_HASH
from ledger.errors import IntegrityError
from ledger.sql import keyset_pages, marker

# A stored row is read in the columns of an export (the export has the same ten).
LOG_COLUMNS = EXPORT_COLUMNS
# The types each column must hold as read (SQLite stores whatever a writer of the file gave it).
COLUMN_TYPES = (
    (int,),
    (str,),
    (str,),
    (str,),
    (str,),
    (str,),
    (str, type(None)),
    (str,),
    (str,),
    (str,),
)
_SQLITE_TYPE_NAMES = {int: "integer", str: "text", type(None): "null"}
SQLITE_TYPES_RIGHT = " AND ".join(
    f"typeof({name}) IN ({', '.join(repr(_SQLITE_TYPE_NAMES[kind]) for kind in kinds)})"
    for name, kinds in zip(LOG_COLUMNS, COLUMN_TYPES, strict=True)
)
# The largest seq whose successor is still a BIGINT.
LAST_SEQ = 2**63 - 2
# Three subqueries, not one SELECT of three aggregates: each alone is answered from the primary
# key (min, max) or SQLite's b-tree count, 0.4 ms at 200,000 events where the combined form
# scans the table (35 ms).
COUNT_MIN_MAX = (
    "SELECT (SELECT count(*) FROM events), (SELECT min(seq) FROM events), "
    "(SELECT max(seq) FROM events)"
)
# How many stray rows a failed accounting names.
STRAYS_NAMED = 3


def chain_head(connection: Connection) -> tuple[int, str, str]:
    """(seq, hash, recorded_at) at the end of the contiguous run of seqs from 1: the head the
    next append extends, whatever rows lie beyond it. (0, the genesis hash, "") for an empty log.
    The usual case costs one aggregate (min is 1 and max equals the count); only when that
    fails are the seqs searched for the first gap."""
    count, low, high = connection.exec_driver_sql(COUNT_MIN_MAX).one()
    if not count:
        return 0, GENESIS_HASH, ""
    end = high if (low == 1 and high == count) else _contiguous_end(connection)
    if not end:
        return 0, GENESIS_HASH, ""
    row = connection.exec_driver_sql(
        f"SELECT seq, hash, recorded_at FROM events WHERE seq = {marker(connection)}", (end,)
    ).first()
    if row is None or type(row[1]) is not str or type(row[2]) is not str:
        raise IntegrityError(
            f"seq {end}: the head row holds a value of the wrong type; run `ledger verify`"
        )
    return row[0], row[1], row[2]


def _contiguous_end(connection: Connection) -> int:
    """The last seq k such that every seq 1…k has a row (0 when seq 1 has none)."""
    mark = marker(connection)
    integer = " AND typeof(seq) = 'integer'" if connection.dialect.name == "sqlite" else ""
    if connection.exec_driver_sql(f"SELECT 1 FROM events WHERE seq = 1{integer}").first() is None:
        return 0
    return (
        connection.exec_driver_sql(
            f"SELECT min(seq) FROM events AS e WHERE seq BETWEEN 1 AND {mark}{integer} "
            "AND NOT EXISTS (SELECT 1 FROM events AS f WHERE f.seq = e.seq + 1)",
            (LAST_SEQ,),
        ).scalar()
        or LAST_SEQ + 1
    )


def head(connection: Connection) -> tuple[int, str]:
    """The verified head's seq and hash; (0, the genesis hash) for an empty log."""
    seq, digest, _ = chain_head(connection)
    return seq, digest


def stray_rows(connection: Connection, chain_length: int) -> list[tuple[object, str]]:
    """Rows that the chain 1…chain_length does not account for, as (seq, what is wrong), at most
    a few of each kind; [] when the table holds exactly that chain. One aggregate when it does."""
    count, low, high = connection.exec_driver_sql(COUNT_MIN_MAX).one()
    if count == chain_length and (count == 0 or (low == 1 and high == chain_length)):
        return []
    mark = marker(connection)
    found: list[tuple[object, str]] = []
    outside = (
        connection.exec_driver_sql(
            f"SELECT seq FROM events WHERE NOT (seq BETWEEN 1 AND {mark}) ORDER BY seq LIMIT {STRAYS_NAMED}",
            (chain_length,),
        )
        .scalars()
        .all()
    )
    found += [(seq, f"a row outside the chain 1…{chain_length}") for seq in outside]
    twice = (
        connection.exec_driver_sql(
            f"SELECT seq FROM events GROUP BY seq HAVING count(*) > 1 ORDER BY seq LIMIT {STRAYS_NAMED}"
        )
        .scalars()
        .all()
    )
    found += [(seq, "a second row claims this seq") for seq in twice]
    if not found:
        found.append((None, f"the table holds {count} rows, the chain {chain_length}"))
    return found


def log_rows(
    connection: Connection,
    *,
    upto_seq: int | None = None,
    batch: int = 5000,
    with_version: bool = False,
) -> Iterator[tuple]:
    """Every event as a plain tuple in LOG_COLUMNS order (effective as text, the payload as its
    stored text), in seq order, fetched in keyset pages so memory stays constant."""
    for page in log_pages(connection, upto_seq=upto_seq, batch=batch, with_version=with_version):
        yield from page


def log_pages(
    connection: Connection,
    *,
    upto_seq: int | None = None,
    batch: int = 5000,
    with_version: bool = False,
) -> Iterator[Sequence[Any]]:
    """log_rows, a page at a time: every row with seq ≥ 1 (up to upto_seq), however large its
    seq. On SQLite, which takes any value in any column, the rows are first checked for values
    of the wrong storage type (IntegrityError naming the first such row). With `with_version`,
    each row ends with the event's payload version (outside the hash, so not in LOG_COLUMNS)."""
    sqlite = connection.dialect.name == "sqlite"
    effective = "effective" if sqlite else "to_char(effective, 'YYYY-MM-DD')"
    columns = ", ".join(effective if name == "effective" else name for name in LOG_COLUMNS)
    bound, bounds = ("", ()) if upto_seq is None else (" AND seq <= ?", (upto_seq,))
    if sqlite:
        # One scan inside SQLite, a fraction of what checking each value in Python costs.
        wrong = connection.exec_driver_sql(
            f"SELECT {columns} FROM events WHERE seq > ?{bound} AND NOT ({SQLITE_TYPES_RIGHT}) "
            "ORDER BY seq LIMIT 1",
            (0, *bounds),
        ).fetchall()
        if wrong:
            check_types(wrong)
    if with_version:
        columns += ", version"
    if sqlite:
        sql = f"SELECT {columns} FROM events WHERE seq > ?{bound} ORDER BY seq LIMIT {int(batch)}"
        yield from keyset_pages(connection, sql, bounds)
        return
    # PostgreSQL: the limit is applied here, not in SQL. Without statistics on the log (one just
    # imported or restored, before autovacuum came by) the planner takes `seq > ? AND seq <= ?`
    # for a few rows and sorts all of them to return a page's first rows, so every page cost
    # more than the one before (a rebuild of 300k events spent 13 of its 27 s there); for
    # `seq > ?` with a LIMIT it walks the primary key. At most one page beyond the limit is read.
    sql = f"SELECT {columns} FROM events WHERE seq > ? ORDER BY seq LIMIT {int(batch)}"
    for page in keyset_pages(connection, sql, ()):
        if upto_seq is not None and page[-1][0] > upto_seq:
            kept = [row for row in page if row[0] <= upto_seq]
            if kept:
                yield kept
            return
        yield page


def check_types(rows: Sequence[Any]) -> None:
    """Raise IntegrityError naming the first row holding a value of the wrong type. A column at a
    time, so that rows whose values are all right cost a few set() calls."""
    columns = list(zip(*rows, strict=True))
    if all(
        set(map(type, column)).issubset(allowed)
        for column, allowed in zip(columns, COLUMN_TYPES, strict=True)
    ):
        return
    for row in rows:
        for name, value, allowed in zip(LOG_COLUMNS, row, COLUMN_TYPES, strict=True):
            if type(value) not in allowed:
                raise IntegrityError(
                    f"seq {row[0]!r}: {name} is stored as {_kind(value)}, not as "
                    f"{'an integer' if name == 'seq' else 'text'}"
                )


def _kind(value: object) -> str:
    return {
        int: "an integer",
        float: "a real number",
        bytes: "a blob",
        str: "text",
        type(None): "null",
    }.get(type(value), type(value).__name__)
