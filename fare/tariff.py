"""One tariff version as plain data: the rules the pricing modules apply.

Everything a rider can be charged is here, loaded from a TOML file (see loader.py
and fare/data/shenzhen/): the metro distance bands (Shenzhen Metro's published
scale), the taxi meter rules (Shenzhen 2017), flat bus fares, rider categories,
transfer rules and caps. Money is integer fen, distance integer metres, clock times
seconds after local midnight, percentages integers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fare.network import Network
from fare.quote import BaseFare

__all__ = [
    "Band",
    "CapRule",
    "CategoryRule",
    "MetroRules",
    "SurchargeTier",
    "Tariff",
    "TaxiRules",
    "TransferRule",
]

MODES = frozenset({"metro", "bus", "taxi"})
CATEGORIES = frozenset({"adult", "student", "child", "senior"})


@dataclass(frozen=True, slots=True)
class Band:
    """Above `from_m` and up to `to_m` (None: no end), `add_fen` per started `every_m`."""

    from_m: int
    to_m: int | None
    every_m: int
    add_fen: int


@dataclass(frozen=True, slots=True)
class MetroRules:
    base_fare_fen: int  # up to the first band's start
    bands: tuple[Band, ...]
    paid_area_limit_min: int
    same_station_grace_min: int
    same_station_fare_fen: int
    max_fare_fen: int | None  # None: the fare of the network's longest shortest path
    paid_area_limit: dt.timedelta = field(init=False, repr=False, compare=False)
    same_station_grace: dt.timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        limit = dt.timedelta(minutes=self.paid_area_limit_min)
        object.__setattr__(self, "paid_area_limit", limit)
        grace = dt.timedelta(minutes=self.same_station_grace_min)
        object.__setattr__(self, "same_station_grace", grace)

    def fare_for(self, distance_m: int) -> int:
        """The band fare; a distance on a band boundary belongs to the lower band."""
        fare = self.base_fare_fen
        for band in self.bands:
            if distance_m <= band.from_m:
                break
            reach = distance_m if band.to_m is None else min(distance_m, band.to_m)
            fare += -(-(reach - band.from_m) // band.every_m) * band.add_fen
        return fare


@dataclass(frozen=True, slots=True)
class SurchargeTier:
    from_m: int
    to_m: int | None
    pct: int


@dataclass(frozen=True, slots=True)
class TaxiRules:
    flag_fall_fen: int
    flag_fall_m: int
    per_km_fen: int
    waiting_fen_per_min: int
    night_from_s: int  # local clock, seconds after midnight
    night_until_s: int
    night_pct: int
    empty_return: tuple[SurchargeTier, ...]
    empty_return_at_night: bool
    round_to_fen: tuple[int, ...]  # successive half-up roundings, as the meter does

    def is_night(self, clock_s: int) -> bool:
        start, end = self.night_from_s, self.night_until_s
        if start <= end:
            return start <= clock_s < end
        return clock_s >= start or clock_s < end


@dataclass(frozen=True, slots=True)
class CategoryRule:
    id: str
    name: str
    discount_pct: int
    modes: frozenset[str]


@dataclass(frozen=True, slots=True)
class TransferRule:
    id: str
    from_mode: str
    to_mode: str
    window_s: int
    discount_fen: int | None  # exactly one of discount_fen and discount_pct is set
    discount_pct: int | None
    chain: bool  # may a trip that got this discount pass it on to the next one?


@dataclass(frozen=True, slots=True)
class CapRule:
    id: str
    period: str  # "day" (service day) or "week" (Monday to Sunday service days)
    amount_fen: int
    by_category_fen: tuple[tuple[str, int], ...]
    modes: frozenset[str]

    def amount_for(self, category: str) -> int:
        for name, amount in self.by_category_fen:
            if name == category:
                return amount
        return self.amount_fen


@dataclass(frozen=True)
class Tariff:
    version: str
    title: str
    file: str
    effective_from: dt.datetime
    effective_until: dt.datetime | None
    network: Network
    metro: MetroRules
    taxi: TaxiRules
    categories: dict[str, CategoryRule]
    transfers: tuple[TransferRule, ...]
    caps: tuple[CapRule, ...]
    service_day_starts_s: int  # the local clock time a service day (and a cap) starts
    _max_fare: list[int] = field(default_factory=list, init=False, repr=False, compare=False)
    # The distance fare per (entry, exit), filled by metro.py as pairs are priced;
    # bounded by the number of station pairs.
    metro_cache: dict[tuple[str, str], BaseFare] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # The rules that can apply to a trip of each mode, looked up once per quote.
    caps_by_mode: dict[str, tuple[CapRule, ...]] = field(init=False, repr=False, compare=False)
    transfers_to: dict[str, tuple[TransferRule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        caps = {mode: tuple(c for c in self.caps if mode in c.modes) for mode in MODES}
        object.__setattr__(self, "caps_by_mode", caps)
        into = {mode: tuple(r for r in self.transfers if r.to_mode == mode) for mode in MODES}
        object.__setattr__(self, "transfers_to", into)

    @property
    def max_fare_fen(self) -> int:
        """The network's maximum fare: stated in the file, or the fare of its diameter."""
        if not self._max_fare:
            stated = self.metro.max_fare_fen
            diameter = 0 if stated is not None else self.network.diameter_m()
            self._max_fare.append(stated if stated is not None else self.metro.fare_for(diameter))
        return self._max_fare[0]
