"""Four eyes: an approval lets one exact version of one event through the block-mode
policies that refuse it. Where an approval lifts a refusal is ledger.rules.lift_or_refuse."""

from __future__ import annotations

from datetime import date

from ledger import schema
from ledger.errors import ValidationError
from ledger.events import ApprovalGranted
from ledger.kinds.base import Kind, Log, Subject, TableRows, never_held
from ledger.semantics.periods import no_region


def check_approval(current: Log, payload: ApprovalGranted, on: date, reason: str | None) -> None:
    """An approval is new, has a reason, and comes before the event it approves: that event is
    not in the log yet, and no other approval names it."""
    if reason is None or not reason.strip():
        raise ValidationError("an approval needs a reason (--reason TEXT)", "reason")
    if current.approval(payload.approval) is not None:
        raise ValidationError(f"approval {payload.approval!r} is already recorded", "approval")
    other = current.approval_for(payload.event_id)
    if other is not None:
        raise ValidationError(
            f"event {payload.event_id} is already approved by approval {other['approval']} "
            f"(seq {other['seq']}); an event has at most one approval",
            "event_id",
        )
    seq = current.event_seq(payload.event_id)
    if seq is not None:
        raise ValidationError(
            f"event {payload.event_id} is already recorded (seq {seq}); an approval comes "
            "before the event it approves",
            "event_id",
        )


def approval_rows(
    seq: int, effective: date, actor: str, payload: ApprovalGranted, current: Log
) -> TableRows:
    row = {
        "approval": payload.approval,
        "event_id": payload.event_id,
        "digest": payload.digest,
        "actor": actor,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.approvals, row)]


KINDS = (
    Kind(
        model=ApprovalGranted,
        subject=Subject("{approval}", ids=()),
        touches=no_region,
        check=check_approval,
        block=never_held,
        rows=approval_rows,
        prefetch=(),
    ),
)
