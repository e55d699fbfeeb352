"""Metro known answers: band edges, shortest paths, overtime, same station, incomplete."""

from __future__ import annotations

import datetime as dt

import pytest

from fare import PricingError, TripEnd, parse_tariffs
from tests.fare.builders import BOOK, line_network, local, metro, tariff_2024

EDGES_KM = [
    "0",
    "4",
    "4.001",
    "8",
    "8.001",
    "12",
    "12.001",
    "18",
    "18.001",
    "24",
    "24.001",
    "32",
    "32.001",
    "40",
    "40.001",
    "48",
    "48.001",
]
LINE = parse_tariffs({"net.toml": line_network(EDGES_KM), "t.toml": tariff_2024()})


@pytest.mark.parametrize(
    ("km", "yuan"),
    [("4", 2), ("8", 3), ("12", 4), ("18", 5), ("24", 6), ("32", 7), ("40", 8), ("48", 9)],
)
def test_band_edges_belong_to_the_lower_band(km: str, yuan: int) -> None:
    station = f"s{EDGES_KM.index(km)}"
    quote = LINE.price(metro("s0", station, at=local(2024, 3, 1, 9)))
    assert quote.amount_fen == yuan * 100
    assert quote.distance_m == round(float(km) * 1000)
    # One metre past the edge is already the next band.
    beyond = LINE.price(metro("s0", f"s{EDGES_KM.index(km) + 1}", at=local(2024, 3, 1, 9)))
    assert beyond.amount_fen == (yuan + 1) * 100


def test_a_trip_below_4_km_costs_the_base_fare() -> None:
    assert BOOK.price(metro("luohu", "guomao")).amount_fen == 200


def test_distance_is_the_shortest_path_over_both_operators() -> None:
    quote = BOOK.price(metro("luohu", "shenzhen-north"))
    # Line 1 to Grand Theater 3.4 km, Line 2 to Civic Center 4.0, Line 4 (MTR) 8.8 km.
    assert quote.distance_m == 16_200
    assert quote.amount_fen == 500
    assert dict(quote.shares) == {"mtr-sz": 272, "szmc": 228}
    assert "change at Grand Theater, Civic Center" in quote.lines[0].text
    assert quote.lines[0].rule_id == "metro.distance"


def test_the_path_is_symmetric() -> None:
    there = BOOK.price(metro("airport-east", "niuhu"))
    back = BOOK.price(metro("niuhu", "airport-east"))
    assert there.distance_m == back.distance_m
    assert there.amount_fen == back.amount_fen


def test_the_maximum_fare_is_the_fare_of_the_longest_path() -> None:
    assert BOOK.version_at(local(2024, 5, 1)).max_fare_fen == 1000
    assert BOOK.version_at(local(2020, 5, 1)).max_fare_fen == 900


def test_more_than_180_minutes_in_the_paid_area_costs_the_maximum_fare() -> None:
    on_time = BOOK.price(metro("luohu", "guomao", minutes=180))
    late = BOOK.price(metro("luohu", "guomao", minutes=180.5))
    assert on_time.amount_fen == 200
    assert late.amount_fen == 1000
    assert late.lines[0].rule_id == "metro.overtime"
    assert "180 min in the paid area" in late.lines[0].text


def test_same_station_within_the_grace_period_costs_the_minimum_fare() -> None:
    quote = BOOK.price(metro("futian", "futian", minutes=20))
    assert quote.amount_fen == 200
    assert quote.lines[0].rule_id == "metro.same-station"
    assert quote.shares == (("szmc", 200),)


def test_same_station_grace_and_fare_are_tariff_data() -> None:
    book = parse_tariffs(
        {
            "net.toml": line_network(["0", "5"]),
            "t.toml": tariff_2024(**{"minimum fare\nfare_fen = 200": "minimum fare\nfare_fen = 0"}),
        }
    )
    inside = book.price(metro("s1", "s1", at=local(2024, 3, 1), minutes=19))
    after = book.price(metro("s1", "s1", at=local(2024, 3, 1), minutes=21))
    assert inside.amount_fen == 0
    assert after.amount_fen == 200
    assert after.lines[0].rule_id == "metro.distance"


def test_exit_with_no_entry_is_incomplete_at_the_maximum_fare() -> None:
    quote = BOOK.price(metro(None, "luohu", no_entry=True, operator="szmc"))
    assert quote.incomplete
    assert quote.amount_fen == 1000
    assert quote.distance_m is None
    assert quote.lines[0].rule_id == "metro.incomplete"
    assert "no recorded entry" in quote.lines[0].text
    assert quote.shares == (("szmc", 1000),)


def test_entry_never_closed_is_incomplete_at_the_maximum_fare() -> None:
    quote = BOOK.price(metro("childrens-palace", None, no_exit=True, operator="mtr-sz"))
    assert quote.incomplete
    assert quote.amount_fen == 1000
    assert "never closed" in quote.lines[0].text
    assert quote.shares == (("mtr-sz", 1000),)


def test_a_station_of_a_later_network_is_unknown_to_an_earlier_tariff() -> None:
    assert BOOK.price(metro("luohu", "niuhu", at=local(2024, 1, 2))).amount_fen == 800
    with pytest.raises(PricingError, match="expected the exit station to be a station"):
        BOOK.price(metro("luohu", "niuhu", at=local(2023, 12, 31)))


def test_unknown_station_and_exit_before_entry_are_pricing_errors() -> None:
    with pytest.raises(PricingError, match="got 'nowhere'"):
        BOOK.price(metro("luohu", "nowhere"))
    with pytest.raises(PricingError, match="expected the exit after the entry"):
        BOOK.price(metro("luohu", "guomao", minutes=-1))


def test_a_naive_time_is_refused() -> None:
    naive = dt.datetime(2024, 5, 1, 9)
    trip = TripEnd("metro", "adult", "szmc", naive, naive, "luohu", "guomao")
    with pytest.raises(PricingError, match="timezone-aware"):
        BOOK.price(trip)


def test_shares_follow_the_kilometres_of_each_operator() -> None:
    book = parse_tariffs(
        {
            "net.toml": line_network(["0", "2.4", "8"], operators=["mtr-sz", "szmc"]),
            "t.toml": tariff_2024(),
        }
    )
    quote = book.price(metro("s0", "s2", at=local(2024, 3, 1)))
    assert quote.amount_fen == 300
    # 2.4 km of 8 for MTR: 90 fen exactly, 210 for Shenzhen Metro.
    assert quote.shares == (("mtr-sz", 90), ("szmc", 210))
