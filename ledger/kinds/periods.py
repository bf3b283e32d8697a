"""Closed books: a region's period closed through a date, and reopened back to an earlier one.
Period events have no read model: the log is read by type for them (ledger.semantics.periods),
and CurrentLog follows them as they are appended."""

from __future__ import annotations

from datetime import date

from ledger.errors import ValidationError
from ledger.events import PeriodClosed, PeriodReopened
from ledger.kinds.base import Kind, Log, Subject, never_held, no_rows, region_as_of
from ledger.semantics.periods import no_region


def check_close(current: Log, payload: PeriodClosed, on: date, reason: str | None) -> None:
    """A close of an opened region, through a day already reached, further than the last one."""
    region_as_of(current, payload.region, on)
    if payload.through > on:
        raise ValidationError(
            f"{payload.through.isoformat()} is after the close's own effective date "
            f"{on.isoformat()}; books can be closed only through a day already reached",
            "through",
        )
    state = current.periods.get(payload.region)
    if (
        state is not None
        and state.closed_through is not None
        and payload.through <= state.closed_through
    ):
        raise ValidationError(
            f"region {payload.region} is already closed through {state.closed_through.isoformat()} "
            f"(seq {state.seq}); a new close must go further",
            "through",
        )


def check_reopen(current: Log, payload: PeriodReopened, on: date, reason: str | None) -> None:
    """A reopening has a reason, and keeps closed less than is closed now."""
    if reason is None or not reason.strip():
        raise ValidationError("a reopening needs a reason (--reason TEXT)", "reason")
    if payload.region not in current.regions:
        raise ValidationError(f"region {payload.region!r} is not opened", "region")
    state = current.periods.get(payload.region)
    if state is None or state.closed_through is None:
        raise ValidationError(f"the books of region {payload.region} are not closed", "region")
    if payload.through is not None and payload.through >= state.closed_through:
        raise ValidationError(
            f"{payload.through.isoformat()} is not before the current closed-through date "
            f"{state.closed_through.isoformat()} of region {payload.region}",
            "through",
        )


KINDS = (
    Kind(
        model=PeriodClosed,
        subject=Subject("{region}", ids=()),
        touches=no_region,
        check=check_close,
        block=never_held,
        rows=no_rows,
        prefetch=(),
    ),
    Kind(
        model=PeriodReopened,
        subject=Subject("{region}", ids=()),
        touches=no_region,
        check=check_reopen,
        block=never_held,
        rows=no_rows,
        prefetch=(),
    ),
)
