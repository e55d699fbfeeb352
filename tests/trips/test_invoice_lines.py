"""An invoice's line names the trip as a Chinese invoice does: stations and routes in Chinese."""

from __future__ import annotations

from typing import Any

from trips.documents import describe_trip
from trips.models import Trip


def _trip(mode: str, **fields: Any) -> Trip:
    return Trip(
        event_id="e1",
        rider_id="r1",
        mode=mode,
        operator_id="szmc",
        fare_fen=300,
        quote_json="{}",
        history_json="{}",
        record_index=1,
        block_height=1,
        **fields,
    )


def test_a_metro_line_names_both_stations_in_chinese() -> None:
    trip = _trip("metro", entry_station="luohu", exit_station="chegongmiao", distance_m=11_800)
    assert describe_trip(trip) == "*运输服务*城市轨道交通客运服务 罗湖 → 车公庙 11.8 km"


def test_a_bus_line_names_the_route_in_chinese() -> None:
    assert describe_trip(_trip("bus", route_id="M375")) == (
        "*运输服务*公共汽车客运服务 M375 深圳北站—福田"
    )


def test_an_incomplete_journey_and_an_untranslated_station() -> None:
    # A station added to a network file before its translation shows under its id.
    trip = _trip("metro", entry_station="new-station", exit_station=None)
    assert describe_trip(trip) == "*运输服务*城市轨道交通客运服务 new-station → ?"


def test_a_taxi_line_and_an_unknown_trip() -> None:
    assert describe_trip(_trip("taxi", distance_m=5_260)) == "*运输服务*出租汽车客运服务 5.3 km"
    assert describe_trip(None) == "*运输服务*客运服务"
