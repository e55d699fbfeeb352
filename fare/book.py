"""All versions of a tariff, and the one entry point that prices a trip.

A trip is priced by the version in force when it started (an exit with no entry:
when it ended), so publishing a new version never reprices a trip taken before its
effective date. `price()` is pure: the same trip and history give the same quote.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence

from fare.adjust import finish_quote
from fare.bus import price_bus
from fare.errors import PricingError
from fare.localtime import require_aware
from fare.metro import price_metro
from fare.network import Network
from fare.quote import BaseFare, Quote
from fare.tariff import Tariff
from fare.taxi import price_taxi
from fare.trip import PricedTrip, TripEnd

__all__ = ["TariffBook"]

_BASE: dict[str, Callable[[Tariff, TripEnd], BaseFare]] = {
    "metro": price_metro,
    "bus": price_bus,
    "taxi": price_taxi,
}


class TariffBook:
    """Tariff versions ordered by effective date (validated by the loader)."""

    def __init__(self, versions: Sequence[Tariff]) -> None:
        if not versions:
            raise ValueError("expected at least one tariff version, got none")
        self.versions: tuple[Tariff, ...] = tuple(sorted(versions, key=lambda t: t.effective_from))
        # In UTC, like the trip times, so that comparing them needs no zone lookups.
        self._starts = [t.effective_from.astimezone(dt.UTC) for t in self.versions]
        self._ends = [
            None if t.effective_until is None else t.effective_until.astimezone(dt.UTC)
            for t in self.versions
        ]

    def version_at(self, at: dt.datetime) -> Tariff:
        """The tariff in force at `at` (PricingError before the first or after the last)."""
        require_aware(at, "the trip time")
        index = bisect.bisect_right(self._starts, at) - 1
        ends = self._ends[index] if index >= 0 else None
        if index < 0 or (ends is not None and at >= ends):
            raise PricingError(
                f"expected a time covered by a tariff version "
                f"({self.versions[0].effective_from.isoformat()} onwards), got {at.isoformat()}"
            )
        return self.versions[index]

    def network_at(self, at: dt.datetime) -> Network:
        return self.version_at(at).network

    def price(self, trip: TripEnd, history: Sequence[PricedTrip] = ()) -> Quote:
        at = trip.started_at if trip.started_at is not None else trip.ended_at
        if at is None:
            raise PricingError("expected a trip with started_at or ended_at, got neither")
        if trip.ended_at is not None and trip.ended_at.tzinfo is None:
            require_aware(trip.ended_at, "ended_at")
        tariff = self.version_at(at)
        base = _BASE.get(trip.mode)
        if base is None:
            raise PricingError(f"expected mode metro, bus or taxi, got {trip.mode!r}")
        return finish_quote(tariff, trip, base(tariff, trip), history)
