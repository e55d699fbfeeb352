"""The riders' behaviour: realistic journeys, unique ids, one request per rider at a time."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest import Device, Mix, Request, Traveller, World

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
WORLD = World(
    gates=tuple(Device(f"gate-szmc-s{n}", f"t{n}", f"s{n}") for n in range(6)),
    validators=(Device("bus-M375", "tb"), Device("bus-B796", "tc")),
    meters=(Device("taxi-1", "tt"),),
    riders=tuple(f"r{n:07d}" for n in range(1, 41)),
)


def _code(rider: str, at: datetime) -> str:
    return f"{rider}@{at.isoformat()}"  # the suite's phones sign real ones


STATUS = {"entry": "opened", "exit": "closed", "board": "recorded", "taxi": "recorded"}


def simulate(
    seed: int, *, seconds: float = 600, rate: float = 5, mix: Mix | None = None
) -> list[tuple[float, Request]]:
    """Drive one traveller at `rate` requests/s, answering every request at once."""
    compression = 30.0
    traveller = Traveller(
        WORLD,
        WORLD.riders,
        id_prefix="lt-x-",
        compression=compression,
        rng=random.Random(seed),
        codes=_code,
        mix=mix,
    )
    sent = []
    for step in range(int(seconds * rate)):
        now = step / rate
        request = traveller.next_request(now, START + timedelta(seconds=now * compression))
        if request is None:
            continue
        sent.append((now, request))
        traveller.answered(request, request.expect_status or STATUS[request.kind], now)
    return sent


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_event_ids_are_unique_and_resends_repeat_an_answered_request(seed: int) -> None:
    sent = simulate(seed, mix=Mix(retry=0.05))
    first: dict[str, Request] = {}
    for _, request in sent:
        if request.retry:
            original = first[request.event_id]
            assert request.body == original.body and request.device == original.device
            assert request.expect_status == STATUS[original.kind]
        else:
            assert request.event_id not in first
            first[request.event_id] = request
    assert any(r.retry for _, r in sent)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_a_rider_exits_at_another_station_after_a_realistic_ride(seed: int) -> None:
    sent = simulate(seed, mix=Mix(missing_exit=0, missing_entry=0))
    open_entry: dict[str, Request] = {}
    rides = []
    for _, request in sent:
        if request.retry:
            continue
        rider = request.rider
        entry = open_entry.pop(rider, None)
        if request.kind == "exit" and entry is not None:
            assert request.device.station != entry.device.station
            at = datetime.fromisoformat(request.body["at"])
            ride = at - datetime.fromisoformat(entry.body["at"])
            assert timedelta(minutes=4) <= ride <= timedelta(minutes=245)
            rides.append(ride.total_seconds() / 60)
        else:
            assert entry is None  # between an entry and its exit the rider sends nothing
        if request.kind == "entry":
            open_entry[rider] = request
    assert 15 < sorted(rides)[len(rides) // 2] < 45  # the median ride is about half an hour


def test_the_mix_of_journeys_follows_the_shares() -> None:
    kinds = Counter(r.kind for _, r in simulate(3, seconds=3000, rate=4) if not r.retry)
    journeys = kinds["entry"] + kinds["board"] + kinds["taxi"]
    assert kinds["entry"] / journeys == pytest.approx(0.62 * 0.99 / 1.0, abs=0.08)
    assert kinds["taxi"] / journeys == pytest.approx(0.10, abs=0.04)
    # Exits: nearly one per entry (1 % go missing) plus 1 % of metro trips without entry.
    assert kinds["exit"] == pytest.approx(kinds["entry"], rel=0.06)


def test_taxi_reports_carry_a_plausible_trip() -> None:
    taxis = [r for _, r in simulate(5, mix=Mix(metro=0, bus=0, taxi=1)) if r.kind == "taxi"]
    assert taxis
    for request in taxis:
        body = request.body
        took = datetime.fromisoformat(body["ended_at"]) - datetime.fromisoformat(body["started_at"])
        assert timedelta(minutes=6) <= took <= timedelta(minutes=60)
        km_per_h = body["distance_m"] / 1000 / (took.total_seconds() / 3600)
        assert 10 < km_per_h < 40
        assert request.path == "/v1/devices/taxi-1/trips"


def test_a_rider_whose_request_went_unanswered_is_retired() -> None:
    traveller = Traveller(
        WORLD,
        WORLD.riders[:1],
        id_prefix="p-",
        compression=30,
        rng=random.Random(1),
        codes=_code,
    )
    request = traveller.next_request(0, START)
    assert request is not None
    traveller.lost(request)
    assert traveller.retired == {request.rider}
    assert traveller.next_request(1, START) is None


def test_the_world_comes_from_the_demo_credentials() -> None:
    devices: list[dict[str, str | None]] = [
        {"id": "gate-a", "kind": "gate", "token": "x", "station": "a"},
        {"id": "gate-b", "kind": "gate", "token": "y", "station": "b"},
        {"id": "taxi-1", "kind": "meter", "token": "z", "station": None},
    ]
    riders = [{"id": "r1", "token": "t", "category": "adult"}]
    credentials: dict[str, object] = {"devices": devices, "riders": riders}
    world = World.from_credentials(credentials)
    assert [g.station for g in world.gates] == ["a", "b"]
    assert world.meters[0].id == "taxi-1" and world.riders == ("r1",)
    credentials["devices"] = devices[:1]
    with pytest.raises(ValueError, match="expected gates at two stations"):
        World.from_credentials(credentials)


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_a_metro_ride_takes_at_least_a_trains_time_between_its_stations(seed: int) -> None:
    # Every pair of stations 40 km apart: no exit may come sooner after the rider's open
    # entry than 40 km at 45 km/h plus two minutes, else the batcher would refuse the trip
    # as impossibly fast; that holds too for an exit without an entry of its own when an
    # earlier entry had no exit (the gates would pair the two).
    world = World(WORLD.gates, WORLD.validators, WORLD.meters, WORLD.riders, lambda a, b: 40_000)
    compression = 30.0
    traveller = Traveller(
        world,
        world.riders,
        id_prefix="lt-x-",
        compression=compression,
        rng=random.Random(seed),
        codes=_code,
        mix=Mix(missing_entry=0.3, missing_exit=0.3, overstay=0, retry=0),
    )
    entered: dict[str, datetime] = {}
    rides = []
    for step in range(6000):
        now = step / 5
        at = START + timedelta(seconds=now * compression)
        request = traveller.next_request(now, at)
        if request is None:
            continue
        if request.kind == "entry":
            entered[request.rider] = at
        elif request.kind == "exit" and request.rider in entered:
            rides.append((at - entered.pop(request.rider)).total_seconds())
        traveller.answered(request, STATUS[request.kind], now)
    assert rides and min(rides) >= 40_000 / 12.5 + 120 - compression
