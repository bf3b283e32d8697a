"""Master data as of a date: a supplier's or region's name and country.

They are the fields of the latest of its `supplier.registered` / `region.opened` and its
`supplier.updated` / `region.updated` events with effective ≤ D, in (effective, seq) order,
field by field: an update changes only the fields it names. A wrong country is corrected by a
back-dated update, so `domestic`, the country columns, the lists and the domestic-share policy
all read the fold as of the query's date. A region's currency is never updated. Pure: the
readers pass the rows in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ledger.dates import as_date


@dataclass(frozen=True)
class Update:
    """A `supplier.updated` or `region.updated`: None for a field it does not name."""

    effective: date
    seq: int
    name: str | None
    country: str | None


def master_as_of(
    name: str, country: str, updates: Iterable[Update], as_of: date
) -> tuple[str, str]:
    """(name, country) as of `as_of`, from the registration's (or opening's) values and the
    code's updates (any order; those after as_of are left out)."""
    for update in sorted(updates, key=lambda u: (as_date(u.effective), u.seq)):
        if as_date(update.effective) > as_of:
            break
        if update.name is not None:
            name = update.name
        if update.country is not None:
            country = update.country
    return name, country
