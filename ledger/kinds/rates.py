"""Exchange rates: a rate set for a currency pair from its effective date on."""

from __future__ import annotations

from datetime import date

from ledger import schema
from ledger.events import FxRateSet
from ledger.kinds.base import Kind, Log, Subject, TableRows, never_held, no_checks
from ledger.semantics.periods import regions_of_rate


def rate_set_rows(
    seq: int, effective: date, actor: str, payload: FxRateSet, current: Log
) -> TableRows:
    row = {
        "base": payload.base,
        "quote": payload.quote,
        "rate": payload.rate,
        "effective": effective,
        "seq": seq,
    }
    return [(schema.fx_rates, row)]


KINDS = (
    Kind(
        model=FxRateSet,
        subject=Subject("{base}/{quote}", ids=()),
        touches=regions_of_rate,
        check=no_checks,
        block=never_held,
        rows=rate_set_rows,
        prefetch=(),
    ),
)
