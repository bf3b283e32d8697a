"""The booked rate (SPEC §4.1): which rate converts a document's currency to its region's, exactly.

Converting X to Y on day d takes, among the known `fx.rate_set` events of (X, Y) and (Y, X) with
effective ≤ d, the one with the latest (effective, seq), inverted for the (Y, X) direction.
A `RateBook` answers that for every document of one query: each currency pair's rates are read
once (through a function the reader passes in, so this module holds no SQL) and then looked up
by date. Which date books a document is decided in one place, `RateBook.booked(document)`: its
own placement or signing date, whatever the as-of date of the query. Every path that converts a
document's amount (reports, compliance, the series, block mode at entry) asks it, and every
"no rate" message is `no_rate_in_force`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from operator import itemgetter
from typing import NamedTuple, Protocol

from ledger.dates import as_date
from ledger.errors import LedgerError

# (rate, effective, seq) of the known rates of one direction (base, quote) of a pair.
RateRows = Callable[[str, str], Iterable[tuple[Decimal | str, date | str, int]]]
# Which rate converts a currency on a day: (currency, region currency, index into the pair's
# history; 0 for the same currency). Small and hashable, so that sums can be grouped by it
# (hashing Fractions is slow) and turned into a rate once per group.
Booking = tuple[str, str, int]


class Document(Protocol):
    """What books a document (an order or a lease, or a sum of documents sharing these): its
    currency, its region's currency and the day it was placed or signed."""

    @property
    def currency(self) -> str: ...

    @property
    def region_currency(self) -> str: ...

    @property
    def effective(self) -> date | str: ...


class Placement(NamedTuple):
    """A Document made of loose values (a row read through the driver, a sum per day)."""

    currency: str
    region_currency: str
    effective: date | str


def no_rate_in_force(currency: str, region_currency: str, on: date) -> str:
    """The one message for a conversion that has no rate (the entry check adds how to fix it)."""
    return f"no {currency}/{region_currency} rate is in force on {on.isoformat()}"


class RateBook:
    """Booked rates from the known rates of each pair, read once per pair by `rows(base, quote)`."""

    def __init__(self, rows: RateRows):
        self._rows = rows
        self._histories: dict[tuple[str, str], tuple[list, list]] = {}
        self._bookings: dict[tuple[str, str, date], Booking] = {}
        self._booked: dict[tuple[str, str, date | str], Booking] = {}

    def _history(self, currency: str, region_currency: str) -> tuple[list, list]:
        """The pair's known rates, oldest first: keys (effective, seq) and rates as read
        ((value, inverse) pairs, made Fractions by rate() only when used)."""
        pair = (currency, region_currency)
        if pair not in self._histories:
            found = []
            for base, quote, inverse in (
                (currency, region_currency, False),
                (region_currency, currency, True),
            ):
                for rate, effective, seq in self._rows(base, quote):
                    found.append(((as_date(effective), seq), (rate, inverse)))
            found.sort(key=itemgetter(0))
            self._histories[pair] = ([key for key, _ in found], [rate for _, rate in found])
        return self._histories[pair]

    def booked(self, document: Document) -> Booking:
        """The booking of a document's amounts: the rate in force on its own
        placement or signing date, which stays its rate at every later as-of date. LedgerError
        when none is in force. Looked up once per (currency, day) per book, however many of the
        document's amounts use it."""
        currency, region_currency = document.currency, document.region_currency
        if currency == region_currency:
            return (currency, region_currency, 0)
        # Keyed by the day as the document gives it (a date, or SQLite's ISO text).
        asked = (currency, region_currency, document.effective)
        booking = self._booked.get(asked)
        if booking is None:
            booking = self._booked[asked] = self.booking(
                currency, region_currency, as_date(document.effective)
            )
        return booking

    def booked_rate(self, document: Document) -> Fraction:
        """The exact rate of booked(document)."""
        return self.rate(self.booked(document))

    def __call__(self, currency: str, region_currency: str, on: date) -> Fraction:
        """The rate converting `currency` to `region_currency` on `on`; LedgerError when none
        is in force."""
        return self.rate(self.booking(currency, region_currency, on))

    def find(self, currency: str, region_currency: str, on: date) -> Fraction | None:
        """The rate in force on `on`, or None when there is none."""
        try:
            return self(currency, region_currency, on)
        except LedgerError:
            return None

    def booking(self, currency: str, region_currency: str, on: date) -> Booking:
        """Which rate converts `currency` on `on` (see Booking); LedgerError when none is in
        force."""
        if currency == region_currency:
            return (currency, region_currency, 0)
        asked = (currency, region_currency, on)
        booking = self._bookings.get(asked)
        if booking is None:
            keys, _ = self._history(currency, region_currency)
            index = bisect_right(keys, on, key=itemgetter(0))
            if index == 0:
                raise LedgerError(no_rate_in_force(currency, region_currency, on))
            booking = self._bookings[asked] = (currency, region_currency, index)
        return booking

    def rate(self, booking: Booking) -> Fraction:
        """The exact rate of a booking: the rate as recorded, or 1 / it for the reverse pair."""
        currency, region_currency, index = booking
        if currency == region_currency:
            return Fraction(1)
        rates = self._history(currency, region_currency)[1]
        rate = rates[index - 1]
        if isinstance(rate, tuple):
            value, inverse = rate
            rate = rates[index - 1] = 1 / Fraction(value) if inverse else Fraction(value)
        return rate
