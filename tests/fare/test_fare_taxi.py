"""Taxi known answers (Shenzhen 2017): day, night, across 23:00 and 06:00, waiting,
empty return, and the meter's rounding to 0.1 yuan then to the yuan."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fare import Quote, parse_tariffs
from tests.fare.builders import BOOK, line_network, local, tariff_2024, taxi


def _lines(quote: Quote) -> dict[str, int]:
    assert sum(line.amount_fen for line in quote.lines) == quote.amount_fen
    return {line.rule_id: line.amount_fen for line in quote.lines}


def test_daytime_10_km() -> None:
    quote = BOOK.price(taxi(local(2024, 5, 6, 12, 0), 25, 10))
    # 10 yuan for 2 km + 8 km x 2.6 = 30.80, rounded to 31 yuan.
    assert quote.amount_fen == 3100
    assert _lines(quote) == {"taxi.flag-fall": 1000, "taxi.distance": 2080, "taxi.rounding": 20}
    assert quote.shares == (("pengcheng-taxi", 3100),)
    assert quote.distance_m == 10_000


def test_night_10_km_adds_30_percent_to_flag_fall_and_distance() -> None:
    quote = BOOK.price(taxi(local(2024, 5, 6, 23, 30), 25, 10))
    # (10 + 20.80) x 1.3 = 40.04 -> 40.0 -> 40 yuan.
    assert quote.amount_fen == 4000
    assert _lines(quote)["taxi.night"] == 924


def test_before_six_in_the_morning_is_night() -> None:
    assert BOOK.price(taxi(local(2024, 5, 6, 5, 0), 25, 10)).amount_fen == 4000
    assert BOOK.price(taxi(local(2024, 5, 6, 6, 0), 25, 10)).amount_fen == 3100


def test_a_trip_across_23_00_is_priced_by_the_time_each_part_was_driven() -> None:
    # 22:50 to 23:10 at a constant speed: 5 km by day, 5 km by night.
    quote = BOOK.price(taxi(local(2024, 5, 6, 22, 50), 20, 10))
    lines = _lines(quote)
    assert lines["taxi.night"] == 390  # 5 km x 2.6 x 30%, not the flag fall
    assert quote.amount_fen == 3500  # 34.70 -> 35
    assert "5 km driven at night" in quote.lines[2].text


def test_a_trip_across_06_00_has_a_night_flag_fall() -> None:
    # 05:50 to 06:10: km 0-5 at night, of which km 2-5 are charged per km.
    quote = BOOK.price(taxi(local(2024, 5, 6, 5, 50), 20, 10))
    assert _lines(quote)["taxi.night"] == 300 + 234
    assert quote.amount_fen == 3600  # 36.14 -> 36.1 -> 36


def test_across_midnight_with_waiting_cli_example() -> None:
    # farechain fare taxi --km 27.4 --wait-min 6 --at 23:40, 40 minutes: all night.
    quote = BOOK.price(taxi(local(2024, 5, 6, 23, 40), 40, 27.4, wait_s=360))
    lines = _lines(quote)
    assert lines["taxi.waiting"] == 480
    assert lines["taxi.night"] == 300 + 1981  # 25.4 km x 2.6 x 30% = 19.812
    # 13 + 85.852 + 4.80 = 103.652 ... -> 103.7 -> 104 yuan; no empty return at night.
    assert "taxi.empty-return" not in lines
    assert quote.amount_fen == 10400


def test_waiting_is_charged_per_second_at_0_8_yuan_per_minute() -> None:
    quote = BOOK.price(taxi(local(2024, 5, 6, 10, 0), 20, 5, wait_s=450))
    assert _lines(quote)["taxi.waiting"] == 600
    assert quote.amount_fen == 2400  # 10 + 7.80 + 6.00 = 23.80 -> 24


def test_empty_return_30_percent_from_25_km() -> None:
    quote = BOOK.price(taxi(local(2024, 5, 6, 10, 0), 45, 30))
    assert _lines(quote)["taxi.empty-return"] == 390  # 5 km x 2.6 x 30%
    assert quote.amount_fen == 8700  # 10 + 72.80 + 3.90 = 86.70 -> 87


def test_empty_return_60_percent_beyond_50_km() -> None:
    quote = BOOK.price(taxi(local(2024, 5, 6, 13, 40), 100, 62.4, wait_s=390))
    lines = _lines(quote)
    # 25 km x 2.6 x 30% = 19.50; 12.4 km x 2.6 x 60% = 19.344.
    assert lines["taxi.empty-return"] == 3884
    assert quote.amount_fen == 21100  # 211.084 -> 211.1 -> 211


def test_no_empty_return_surcharge_at_night() -> None:
    quote = BOOK.price(taxi(local(2024, 5, 6, 1, 0), 40, 30))
    assert "taxi.empty-return" not in _lines(quote)
    assert quote.amount_fen == 10800  # (10 + 72.80) x 1.3 = 107.64 -> 107.6 -> 108


def test_empty_return_only_on_the_daytime_part_of_a_trip_into_the_night() -> None:
    # 22:30 to 23:30, 60 km: km 0-30 by day (5 km surcharged), km 30-60 at night.
    quote = BOOK.price(taxi(local(2024, 5, 6, 22, 30), 60, 60))
    lines = _lines(quote)
    assert lines["taxi.empty-return"] == 390
    assert lines["taxi.night"] == 2340  # 30 km x 2.6 x 30%
    assert quote.amount_fen == 18800  # 10 + 150.80 + 3.90 + 23.40 = 188.10 -> 188


def test_zero_km_costs_the_flag_fall() -> None:
    quote = BOOK.price(taxi(local(2024, 5, 6, 12, 0), 1, 0))
    assert quote.amount_fen == 1000
    assert quote.rule_ids == ("taxi.flag-fall",)


def test_rounding_steps_are_tariff_data() -> None:
    book = parse_tariffs(
        {
            "net.toml": line_network(["0", "5"]),
            "t.toml": tariff_2024(**{"round_to_fen = [10, 100]": "round_to_fen = [10]"}),
        }
    )
    assert book.price(taxi(local(2024, 5, 6, 12, 0), 25, 10)).amount_fen == 3080


@pytest.mark.parametrize("categ", ["student", "child", "senior"])
def test_rider_categories_do_not_apply_to_taxis(categ: str) -> None:
    trip = taxi(local(2024, 5, 6, 12, 0), 25, 10)
    assert BOOK.price(replace(trip, category=categ)).amount_fen == 3100
