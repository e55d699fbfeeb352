"""Is a trip physically possible, and is it merely unusual?

A device can report a trip no rider could have made: an exit stamped long before its
entry, a taxi meter's waiting time longer than the whole trip, 900 km in 40 minutes.
Pricing such a trip charges the rider for a fault. `impossibility` names why a trip is
impossible (the edge refuses it, the batcher dead-letters one that got through);
`oddities` names why a possible trip is unusual enough for the tax bureau to look at
(its anomaly report). Both are pure: times and distances in, reasons out.

Distances are the taxi meter's, or the metro network's shortest path between the two
stations (the distance the fare is priced on); a bus boarding has neither a duration nor
a distance, so only its sign checks apply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["LIMITS", "PlausibilityLimits", "TripFacts", "impossibility", "oddities"]


@dataclass(frozen=True, slots=True)
class PlausibilityLimits:
    # Two devices' clocks (a gate at entry, another at exit) may disagree by this much.
    clock_skew_s: int = 300
    max_speed_kmh: int = 150  # faster than any metro train or any taxi on city roads
    max_duration_s: int = 24 * 3600
    unusual_taxi_speed_kmh: int = 80
    unusual_metro_duration_s: int = 4 * 3600


LIMITS = PlausibilityLimits()


@dataclass(frozen=True, slots=True)
class TripFacts:
    """What a trip report claims, as the device stamped it (no clamping)."""

    mode: str  # metro | bus | taxi
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    distance_m: int | None = None
    waiting_s: int = 0

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


def _speed_kmh(distance_m: int, duration_s: float) -> float:
    # A trip of no time over a positive distance is infinitely fast.
    return float("inf") if duration_s <= 0 else distance_m * 3.6 / duration_s


def impossibility(trip: TripFacts, limits: PlausibilityLimits = LIMITS) -> str | None:
    """Why the trip cannot have happened, or None when it can."""
    if trip.distance_m is not None and trip.distance_m < 0:
        return f"expected a distance >= 0 m, got {trip.distance_m} m"
    if trip.waiting_s < 0:
        return f"expected a waiting time >= 0 s, got {trip.waiting_s} s"
    duration = trip.duration_s
    if duration is None:
        return None  # an incomplete journey: nothing to compare
    if duration < -limits.clock_skew_s:
        return (
            f"the trip ends {-duration:.0f} s before it starts "
            f"(at most {limits.clock_skew_s} s of clock skew is allowed)"
        )
    if duration > limits.max_duration_s:
        return f"expected a trip of at most {limits.max_duration_s} s, got {duration:.0f} s"
    if trip.waiting_s > max(duration, 0):
        return f"the meter waited {trip.waiting_s} s during a trip of {max(duration, 0):.0f} s"
    if trip.distance_m and trip.mode in ("taxi", "metro"):
        # A metro trip's two times come from two gates whose clocks may disagree by the
        # skew, so it may have lasted that much longer; a meter times a taxi trip alone.
        effective = max(duration, 0.0)
        if trip.mode == "metro":
            effective += limits.clock_skew_s
        speed = _speed_kmh(trip.distance_m, effective)
        if speed > limits.max_speed_kmh:
            return (
                f"{trip.distance_m} m in {max(duration, 0):.0f} s is {speed:.0f} km/h "
                f"(at most {limits.max_speed_kmh} km/h is possible)"
            )
    return None


def oddities(trip: TripFacts, limits: PlausibilityLimits = LIMITS) -> list[str]:
    """Why a possible trip is unusual (empty for an ordinary or an impossible one)."""
    duration = trip.duration_s
    if duration is None or impossibility(trip, limits) is not None:
        return []
    found = []
    if trip.mode == "taxi" and trip.distance_m and duration > 0:
        speed = _speed_kmh(trip.distance_m, duration)
        if speed > limits.unusual_taxi_speed_kmh:
            found.append(f"average speed {speed:.0f} km/h")
    if trip.mode == "taxi" and duration > 0 and trip.waiting_s * 2 > duration:
        found.append(f"waited {trip.waiting_s} s of a {duration:.0f} s trip")
    if trip.mode == "metro" and duration > limits.unusual_metro_duration_s:
        found.append(f"{duration / 3600:.1f} h in the metro")
    return found
