"""The metro base fare: distance bands over the shortest path, and its exceptions.

Follows the Shenzhen Metro fare scale as the tariff states it (2 yuan to 4 km, then
+1 yuan per 4 km to 12 km, per 6 km to 24 km, per 8 km beyond; a boundary belongs
to the lower band) and its rules for a stay over the paid-area limit (the network's
maximum fare), an exit at the entry station within the grace period (the minimum
fare) and an incomplete journey (maximum fare, flagged). The distance fare of each
station pair is computed once per tariff version and then reused.
"""

from __future__ import annotations

import datetime as dt

from fare.errors import PricingError
from fare.network import Network
from fare.quote import BaseFare, QuoteLine, format_km, format_yuan
from fare.tariff import MetroRules, Tariff
from fare.trip import TripEnd

__all__ = ["price_metro"]

_ZERO = dt.timedelta()


def _station_name(network: Network, station: str | None, role: str) -> str:
    if station is None or station not in network.stations:
        raise PricingError(
            f"expected the {role} station to be a station of network {network.id}, got {station!r}"
        )
    return network.stations[station].name


def _bands_text(rules: MetroRules, distance_m: int) -> str:
    parts = [f"{format_yuan(rules.base_fare_fen)} to {format_km(rules.bands[0].from_m)} km"]
    for band in rules.bands:
        if distance_m <= band.from_m:
            break
        reach = distance_m if band.to_m is None else min(distance_m, band.to_m)
        steps = -(-(reach - band.from_m) // band.every_m)
        upper = "" if band.to_m is None else f"{format_km(band.to_m)} "
        parts.append(
            f"{steps} x {format_yuan(band.add_fen)} per {format_km(band.every_m)} km "
            f"({format_km(band.from_m)}-{upper}km)"
        )
    return " + ".join(parts)


def _distance_fare(tariff: Tariff, entry: str | None, exit: str | None) -> BaseFare:
    """The band fare of a station pair; its weights are empty when the path has no length."""
    key = (entry or "", exit or "")
    cached = tariff.metro_cache.get(key)
    if cached is not None:
        return cached
    network = tariff.network
    src = _station_name(network, entry, "entry")
    dst = _station_name(network, exit, "exit")
    path = network.path(key[0], key[1])
    via = ", ".join(network.stations[s].name for s in path.via)
    fare = tariff.metro.fare_for(path.distance_m)
    text = (
        f"Metro {src} to {dst}: {format_km(path.distance_m)} km by the shortest path"
        f"{f' (change at {via})' if via else ''}; "
        f"fare {_bands_text(tariff.metro, path.distance_m)}"
    )
    result = BaseFare(
        lines=(QuoteLine("metro.distance", text, fare),),
        fare_fen=fare,
        weights=path.by_operator,
        distance_m=path.distance_m,
    )
    tariff.metro_cache[key] = result
    return result


def _incomplete(tariff: Tariff, trip: TripEnd) -> BaseFare:
    if trip.started_at is None:
        name = _station_name(tariff.network, trip.exit_station, "exit")
        why = f"Exit at {name} with no recorded entry"
    else:
        name = _station_name(tariff.network, trip.entry_station, "entry")
        why = f"Entry at {name} never closed"
    fare = tariff.max_fare_fen
    text = f"{why}: incomplete journey, charged the network's maximum fare"
    return BaseFare(
        lines=(QuoteLine("metro.incomplete", text, fare),),
        fare_fen=fare,
        weights=((trip.operator, 1),),
        distance_m=None,
        incomplete=True,
    )


def price_metro(tariff: Tariff, trip: TripEnd) -> BaseFare:
    started, ended = trip.started_at, trip.ended_at
    if started is None or ended is None:
        return _incomplete(tariff, trip)
    entry, exit = trip.entry_station, trip.exit_station
    distance = _distance_fare(tariff, entry, exit)
    if not distance.weights:  # a zero-length path: the operator that ended the trip
        distance = distance._replace(weights=((trip.operator, 1),))
    stay = ended - started
    rules = tariff.metro
    if stay > rules.paid_area_limit:
        minutes = stay // dt.timedelta(minutes=1)
        text = (
            f"{minutes} min in the paid area, over the {rules.paid_area_limit_min}-min "
            f"limit: the network's maximum fare"
        )
        fare = tariff.max_fare_fen
        line = QuoteLine("metro.overtime", text, fare)
        return BaseFare((line,), fare, distance.weights, distance.distance_m)
    if stay < _ZERO:
        raise PricingError(f"expected the exit after the entry, got {ended} before {started}")
    if entry == exit and stay <= rules.same_station_grace:
        text = (
            f"Entry and exit at {tariff.network.stations[entry or ''].name} within "
            f"{rules.same_station_grace_min} min: the minimum fare"
        )
        fare = rules.same_station_fare_fen
        return BaseFare(
            (QuoteLine("metro.same-station", text, fare),), fare, ((trip.operator, 1),), 0
        )
    return distance
