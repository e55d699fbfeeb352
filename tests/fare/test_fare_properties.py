"""Properties of the fare engine, checked with hypothesis over random trips and histories."""

from __future__ import annotations

import datetime as dt
import functools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from fare import PricedTrip, TariffBook, TripEnd, apportion, parse_tariffs
from tests.fare.builders import BOOK, shipped_files

OLD, NEW = BOOK.versions
STATIONS = sorted(set(OLD.network.stations) & set(NEW.network.stations))
MODES = ("metro", "bus", "taxi")
CATEGORIES = ("adult", "student", "child", "senior")

times = st.datetimes(
    min_value=dt.datetime(2017, 1, 2),
    max_value=dt.datetime(2027, 12, 31),
    timezones=st.just(dt.UTC),
)
stations = st.sampled_from(STATIONS)
categories = st.sampled_from(CATEGORIES)


@st.composite
def metro_trips(draw: st.DrawFn) -> TripEnd:
    start = draw(times)
    end = start + dt.timedelta(seconds=draw(st.integers(0, 5 * 3600)))
    kind = draw(st.sampled_from(["complete", "complete", "complete", "no-entry", "no-exit"]))
    return TripEnd(
        "metro",
        draw(categories),
        draw(st.sampled_from(["szmc", "mtr-sz"])),
        None if kind == "no-entry" else start,
        None if kind == "no-exit" else end,
        None if kind == "no-entry" else draw(stations),
        None if kind == "no-exit" else draw(stations),
    )


@st.composite
def bus_trips(draw: st.DrawFn) -> TripEnd:
    at = draw(times)
    route = draw(st.sampled_from(["M375", "B796"]))
    return TripEnd("bus", draw(categories), "szbus", at, at, route=route)


@st.composite
def taxi_trips(draw: st.DrawFn) -> TripEnd:
    start = draw(times)
    end = start + dt.timedelta(seconds=draw(st.integers(0, 4 * 3600)))
    return TripEnd(
        "taxi",
        draw(categories),
        "pengcheng-taxi",
        start,
        end,
        distance_m=draw(st.integers(0, 150_000)),
        waiting_s=draw(st.integers(0, 3600)),
    )


trips = st.one_of(metro_trips(), bus_trips(), taxi_trips())


@st.composite
def histories(draw: st.DrawFn, around: dt.datetime | None = None) -> list[PricedTrip]:
    """Earlier trips, some near `around` so that caps and transfers come into play."""
    items = []
    for _ in range(draw(st.integers(0, 12))):
        if around is not None and draw(st.booleans()):
            at = around - dt.timedelta(seconds=draw(st.integers(1, 8 * 86400)))
        else:
            at = draw(times)
        end = at + dt.timedelta(seconds=draw(st.integers(0, 3 * 3600)))
        items.append(
            PricedTrip(
                mode=draw(st.sampled_from(MODES)),
                category=draw(categories),
                started_at=at,
                ended_at=end,
                amount_fen=draw(st.integers(0, 3000)),
                incomplete=draw(st.booleans()),
                rule_ids=tuple(draw(st.lists(st.sampled_from(["transfer.metro-bus", "bus.fare"])))),
            )
        )
    return items


@st.composite
def trip_with_history(draw: st.DrawFn) -> tuple[TripEnd, list[PricedTrip]]:
    trip = draw(trips)
    assert trip.at is not None
    return trip, draw(histories(trip.at))


# No deadlines: a shared CI box can stall any single example; these check logic, not speed.
@settings(max_examples=300, deadline=None)
@given(st.integers(0, 200_000), st.integers(0, 200_000))
def test_metro_fares_never_decrease_with_distance(a: int, b: int) -> None:
    near, far = sorted((a, b))
    for tariff in BOOK.versions:
        assert tariff.metro.fare_for(near) <= tariff.metro.fare_for(far)


@settings(deadline=None)
@given(stations, stations, stations, stations)
def test_on_the_network_a_longer_path_never_costs_less(a: str, b: str, c: str, d: str) -> None:
    one = BOOK.price(TripEnd("metro", "adult", "szmc", *_times(), a, b))
    two = BOOK.price(TripEnd("metro", "adult", "szmc", *_times(), c, d))
    assert one.distance_m is not None and two.distance_m is not None
    if one.distance_m <= two.distance_m:
        assert one.amount_fen <= two.amount_fen


def _times() -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(2024, 6, 3, 2, 0, tzinfo=dt.UTC)
    return start, start + dt.timedelta(minutes=50)


@settings(max_examples=400, deadline=None)
@given(trip_with_history())
def test_a_quote_is_never_negative_and_adds_up(case: tuple[TripEnd, list[PricedTrip]]) -> None:
    trip, history = case
    quote = BOOK.price(trip, history)
    assert quote.amount_fen >= 0
    assert quote.cap_saved_fen >= 0
    assert sum(line.amount_fen for line in quote.lines) == quote.amount_fen
    assert sum(fen for _, fen in quote.shares) == quote.amount_fen
    assert all(fen >= 0 for _, fen in quote.shares)


@settings(deadline=None)
@given(
    st.integers(0, 10**7),
    st.lists(st.tuples(st.text(min_size=1, max_size=4), st.integers(0, 10**6)), min_size=1),
)
def test_apportioned_shares_always_sum_to_the_fare(
    amount: int, weights: list[tuple[str, int]]
) -> None:
    merged: dict[str, int] = {}
    for operator, weight in weights:
        merged[operator] = merged.get(operator, 0) + weight
    if sum(merged.values()) == 0:
        merged[next(iter(merged))] = 1
    shares = apportion(amount, tuple(sorted(merged.items())))
    assert sum(fen for _, fen in shares) == amount
    total = sum(merged.values())
    for operator, fen in shares:
        # Largest remainder: each share is its exact quota rounded down or up.
        assert abs(fen - amount * merged[operator] / total) < 1


@settings(deadline=None)
@given(trip_with_history(), st.randoms(use_true_random=False))
def test_pricing_the_same_history_twice_gives_the_same_quote(
    case: tuple[TripEnd, list[PricedTrip]], rng: random.Random
) -> None:
    trip, history = case
    shuffled = list(history)
    rng.shuffle(shuffled)
    first = BOOK.price(trip, history)
    assert BOOK.price(trip, history) == first
    assert BOOK.price(trip, shuffled) == first
    assert first.to_record() == BOOK.price(trip, list(history)).to_record()


@functools.cache
def _book_with_version_from(day: dt.date) -> TariffBook:
    files = shipped_files()
    newer = (
        files["tariff-2024.toml"]
        .replace('version = "sz-2024"', 'version = "sz-next"')
        .replace("effective_from = 2024-01-01", f"effective_from = {day.isoformat()}")
        .replace("base_fare_fen = 200", "base_fare_fen = 300")
        .replace("per_km_fen = 260", "per_km_fen = 310")
        .replace("amount_fen = 2500", "amount_fen = 1500")
        .replace("discount_fen = 40", "discount_fen = 100")
        .replace("fare_fen = 200", "fare_fen = 250")
    )
    files["tariff-next.toml"] = newer
    return parse_tariffs(files)


# A few effective dates (each builds a book); trips are drawn all around them.
NEXT_DATES = [dt.date(2024, 1, 2), dt.date(2024, 6, 3), dt.date(2025, 3, 1), dt.date(2027, 1, 1)]


@settings(deadline=None)
@given(trip_with_history(), st.sampled_from(NEXT_DATES))
def test_a_later_version_never_reprices_a_trip_taken_before_it(
    case: tuple[TripEnd, list[PricedTrip]], day: dt.date
) -> None:
    trip, history = case
    book = _book_with_version_from(day)
    new_version = book.versions[-1]
    assert new_version.version == "sz-next"
    assert trip.at is not None
    if trip.at < new_version.effective_from:
        assert book.price(trip, history) == BOOK.price(trip, history)
    else:
        assert book.price(trip, history).tariff_version == "sz-next"
