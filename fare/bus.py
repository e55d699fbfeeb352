"""The bus base fare: the flat fare of the route, from the tariff in force."""

from __future__ import annotations

from fare.errors import PricingError
from fare.quote import BaseFare, QuoteLine
from fare.tariff import Tariff
from fare.trip import TripEnd

__all__ = ["price_bus"]


def price_bus(tariff: Tariff, trip: TripEnd) -> BaseFare:
    route = tariff.network.routes.get(trip.route or "")
    if route is None:
        known = ", ".join(sorted(tariff.network.routes))
        raise PricingError(
            f"expected a bus route of tariff {tariff.version} ({known}), got {trip.route!r}"
        )
    text = f"Bus {route.name}: flat fare"
    return BaseFare(
        lines=(QuoteLine("bus.fare", text, route.fare_fen),),
        fare_fen=route.fare_fen,
        weights=((route.operator, 1),),
        distance_m=None,
    )
