"""The figures of the report's Restatements section: per region, its budget figures as reported at
an earlier knowledge limit (a seq, or the region's last close) and as known at the report's
limit, the orders and leases whose status or total changed, and the events that explain it —
the answers of `ledger diff budget`, `diff commitments` and `diff events`, read the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from ledger.reads.budget import budget_rows
from ledger.reads.diff import commitment_diff, event_diff, last_close_seq
from ledger.report.figures import amount

# The budget figures set side by side, and those whose printed change makes a region restated.
FIGURES = ("budget", "committed", "remaining")
COMPARED = ("budget", "committed")


@dataclass(frozen=True)
class Restatement:
    """One region's restatement. `before` is the earlier limit (None: the region has no close
    to compare from), `from_close` whether that limit is its last close."""

    region: str
    before: int | None
    from_close: bool
    then: dict[str, Any] = field(default_factory=dict)  # the budget row at `before` ({}: none)
    now: dict[str, Any] = field(default_factory=dict)  # and at the report's limit
    documents: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def restated(self) -> bool:
        """Whether a document changed or a compared figure prints differently."""
        printed = [[amount(row.get(name)) for name in COMPARED] for row in (self.then, self.now)]
        return bool(self.documents) or printed[0] != printed[1]


def restatements(
    connection: Connection,
    regions: list[str],
    *,
    as_of: date,
    year: int,
    upto_seq: int | None,
    from_seq: int | None,
) -> list[Restatement]:
    """Per region: the figures at `from_seq` (else at the region's last close within the report's
    limit) against those at `upto_seq`, for `year` as of `as_of`."""
    found = []
    for code in regions:
        before = from_seq if from_seq is not None else last_close_seq(connection, code, upto_seq)
        if before is None:
            found.append(Restatement(code, None, from_close=True))
            continue
        then, now = (
            next(
                iter(budget_rows(connection, as_of=as_of, year=year, region=code, upto_seq=limit)),
                {},
            )
            for limit in (before, upto_seq)
        )
        documents = commitment_diff(
            connection, as_of=as_of, region=code, before=before, after=upto_seq
        )
        events = event_diff(connection, as_of=as_of, region=code, before=before, after=upto_seq)
        found.append(
            Restatement(
                code,
                before,
                from_close=from_seq is None,
                then=then,
                now=now,
                documents=documents,
                events=list(events),
            )
        )
    return found
