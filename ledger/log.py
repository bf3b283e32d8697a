"""Reading the log as stored: its head, and its rows in seq order, page by page.

Kept apart from the store's writing side so that a query or a verification does not load the
event models it never uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, select

from ledger import schema
from ledger.chain import GENESIS_HASH

LOG_COLUMNS = ("seq", "event_id", "type", "effective", "recorded_at", "actor", "reason", "payload",
               "prev_hash", "hash")


def head(connection: Connection) -> tuple[int, str]:
    """The last seq and its hash; (0, the genesis hash) for an empty log."""
    row = connection.execute(
        select(schema.events.c.seq, schema.events.c.hash).order_by(schema.events.c.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


def log_rows(connection: Connection, *, upto_seq: int | None = None, batch: int = 5000) -> Iterator[tuple]:
    """Every event as a plain tuple in LOG_COLUMNS order (effective as text, the payload as its
    stored text), in seq order, fetched in keyset pages so memory stays constant."""
    for page in log_pages(connection, upto_seq=upto_seq, batch=batch):
        yield from page


def log_pages(connection: Connection, *, upto_seq: int | None = None, batch: int = 5000) -> Iterator[list]:
    """log_rows, a page at a time."""
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    effective = "effective" if connection.dialect.name == "sqlite" else "to_char(effective, 'YYYY-MM-DD')"
    columns = ", ".join(effective if name == "effective" else name for name in LOG_COLUMNS)
    limit = upto_seq if upto_seq is not None else 2**62
    sql = (f"SELECT {columns} FROM events WHERE seq > {marker} AND seq <= {marker} "
           f"ORDER BY seq LIMIT {int(batch)}")
    last = 0
    while True:
        rows = connection.exec_driver_sql(sql, (last, limit)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]
