"""Approvals (SPEC §4.9): every known `approval.granted`, whatever the as-of date (an approval is
a permission, not a dated figure), under the knowledge limit, with the seq of the event it let
through when the log holds that event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, select

from ledger import schema


def approval_list(connection: Connection, *, upto_seq: int | None) -> list[dict[str, Any]]:
    """approval, event_id, digest, approved_by, recorded_at, reason, used_seq, in seq order."""
    approvals, events = schema.approvals, schema.events
    recorded = events.alias("recorded")
    used = events.alias("used")
    used_on = used.c.event_id == approvals.c.event_id
    if upto_seq is not None:
        used_on = and_(used_on, used.c.seq <= upto_seq)
    query = (
        select(
            approvals.c.approval,
            approvals.c.event_id,
            approvals.c.digest,
            approvals.c.actor,
            recorded.c.recorded_at,
            recorded.c.reason,
            used.c.seq.label("used_seq"),
        )
        .join_from(approvals, recorded, recorded.c.seq == approvals.c.seq)
        .outerjoin(used, used_on)
        .order_by(approvals.c.seq)
    )
    if upto_seq is not None:
        query = query.where(approvals.c.seq <= upto_seq)
    return [
        {
            "approval": row.approval,
            "event_id": row.event_id,
            "digest": row.digest,
            "approved_by": row.actor,
            "recorded_at": row.recorded_at,
            "reason": row.reason,
            "used_seq": row.used_seq,
        }
        for row in connection.execute(query)
    ]
