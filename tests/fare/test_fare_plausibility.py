"""Impossible and unusual trips: known answers and properties of fare.plausibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fare.plausibility import LIMITS, TripFacts, impossibility, oddities

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def _taxi(minutes: float, distance_m: int, waiting_s: int = 0) -> TripFacts:
    return TripFacts("taxi", T0, T0 + timedelta(minutes=minutes), distance_m, waiting_s)


def _metro(minutes: float, distance_m: int | None = 10_000) -> TripFacts:
    return TripFacts("metro", T0, T0 + timedelta(minutes=minutes), distance_m)


def test_the_audit_findings_are_impossible() -> None:
    # An exit 30 min before its entry; 86,400 s of waiting in 19 min; 900 km in 40 min.
    assert "before it starts" in (impossibility(_metro(-30)) or "")
    assert "waited 86400 s" in (impossibility(_taxi(19, 8_000, 86_400)) or "")
    assert "1350 km/h" in (impossibility(_taxi(40, 900_000)) or "")


def test_known_answers_at_the_limits() -> None:
    assert impossibility(_metro(-5)) is None  # within the gates' clock skew
    assert impossibility(_metro(-5.1)) is not None
    assert impossibility(_taxi(60, 150_000)) is None  # exactly 150 km/h
    assert impossibility(_taxi(60, 150_001)) is not None
    assert impossibility(_taxi(24 * 60, 1_000)) is None
    assert "at most 86400 s" in (impossibility(_taxi(24 * 60 + 1, 1_000)) or "")
    assert impossibility(_taxi(10, -1)) is not None
    assert impossibility(_taxi(10, 1, -1)) is not None
    assert impossibility(_taxi(10, 1_000, 600)) is None  # waited the whole trip
    # A metro trip may look 5 min shorter than it was: 12.5 km at an instant exit is
    # 150 km/h over the skew; one metre more is not.
    assert impossibility(_metro(0, 12_500)) is None
    assert impossibility(_metro(0, 12_501)) is not None
    # Incomplete journeys and bus boardings have no duration to judge.
    assert impossibility(TripFacts("metro", None, T0, None)) is None
    assert impossibility(TripFacts("bus", T0, T0, None)) is None


def test_unusual_but_possible_trips() -> None:
    assert oddities(_taxi(60, 100_000)) == ["average speed 100 km/h"]
    assert oddities(_taxi(60, 80_000)) == []
    assert oddities(_taxi(20, 5_000, 601)) == ["waited 601 s of a 1200 s trip"]
    assert oddities(_taxi(20, 5_000, 600)) == []
    assert oddities(_metro(4 * 60 + 30)) == ["4.5 h in the metro"]
    assert oddities(_metro(4 * 60)) == []
    assert oddities(_taxi(40, 900_000)) == []  # impossible, not unusual


_minutes = st.floats(min_value=-2 * 24 * 60, max_value=2 * 24 * 60, allow_nan=False)


@given(
    mode=st.sampled_from(["metro", "taxi"]),
    minutes=_minutes,
    distance_m=st.integers(0, 2_000_000),
    waiting_s=st.integers(0, 200_000),
)
def test_a_possible_trip_keeps_to_every_limit(
    mode: str, minutes: float, distance_m: int, waiting_s: int
) -> None:
    trip = TripFacts(mode, T0, T0 + timedelta(minutes=minutes), distance_m, waiting_s)
    if impossibility(trip) is not None:
        assert oddities(trip) == []
        return
    duration = minutes * 60
    assert -LIMITS.clock_skew_s <= duration <= LIMITS.max_duration_s
    assert waiting_s <= max(duration, 0)
    slack = LIMITS.clock_skew_s if mode == "metro" else 0
    assert distance_m * 3.6 <= LIMITS.max_speed_kmh * (max(duration, 0) + slack) + 1e-6


@given(minutes=st.floats(min_value=1, max_value=600), distance_m=st.integers(0, 1_000_000))
def test_a_longer_trip_over_the_same_distance_is_never_less_possible(
    minutes: float, distance_m: int
) -> None:
    if impossibility(_taxi(minutes, distance_m)) is None:
        assert impossibility(_taxi(minutes * 1.5, distance_m)) is None
