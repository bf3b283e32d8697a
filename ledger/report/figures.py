"""How the report prints a figure, in its tables, captions and charts alike: amounts rounded half
up to cents with thousands separators, percentages, rates, and the short labels of an axis."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from ledger.money import round_half_up


def amount(value: Decimal | Fraction | int | None) -> str:
    """1234.5 → 1,234.50; None → empty."""
    return "" if value is None else f"{round_half_up(value):,}"


def percent(value: Decimal | Fraction | None, places: int = 2) -> str:
    """A fraction as a percentage, rounded half up: 0.98995 → 99.00%."""
    if value is None:
        return ""
    return f"{round_half_up(Fraction(value) * 100, Decimal(1).scaleb(-places))}%"


def rate(value: Fraction | None) -> str:
    """An exchange rate to six places."""
    return "" if value is None else str(round_half_up(value, Decimal("0.000001")))


def scale(values: Iterable[float]) -> tuple[float, str]:
    """The factor and suffix (bn, m, k) an axis of these values is labelled in."""
    top = max((abs(v) for v in values), default=0.0)
    for factor, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if top >= factor:
            return factor, suffix
    return 1.0, ""


def short(value: float, factor: float, suffix: str) -> str:
    """A value in the units of its axis: 41,600,000,000 with (1e9, bn) → 41.6 bn."""
    scaled = value / factor
    text = f"{scaled:,.1f}".removesuffix(".0") if factor > 1 else f"{scaled:,.0f}"
    return f"{text} {suffix}".strip()


def lease_note(leases: Fraction, committed: Fraction, currency: str) -> str:
    """How much of a region's committed is leases, which the supplier shares leave out."""
    text = f"leases: {amount(leases)} {currency}"
    if committed > 0:
        share = leases / committed
        whole = percent(share, 0)
        if 0 < share < Fraction(1, 200):
            whole = "<1%"
        elif Fraction(199, 200) <= share < 1:
            whole = ">99%"
        text += f" ({whole} of committed)"
    return text + " — not in shares"
