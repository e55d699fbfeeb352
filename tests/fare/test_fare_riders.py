"""Rider categories and caps: each category's discount, daily and weekly caps reached
in the middle of a trip, the 04:30 service day, incomplete journeys left out."""

from __future__ import annotations

import datetime as dt

import pytest

from fare import PricingError, TripEnd
from tests.fare.builders import BOOK, bus, local, metro, ride

LONG = ("luohu", "airport-east")  # 40 km: 8 yuan


def _long(at: dt.datetime, category: str = "adult") -> TripEnd:
    return metro(*LONG, at=at, category=category)


@pytest.mark.parametrize(
    ("category", "metro_fen", "bus_fen"),
    [("adult", 500, 200), ("student", 250, 100), ("child", 250, 100), ("senior", 0, 0)],
)
def test_each_rider_category(category: str, metro_fen: int, bus_fen: int) -> None:
    quote = BOOK.price(metro("luohu", "shenzhen-north", category=category))
    assert quote.amount_fen == metro_fen
    assert sum(fen for _, fen in quote.shares) == metro_fen
    if category != "adult":
        assert quote.lines[-1].rule_id == f"category.{category}"
        assert quote.lines[-1].amount_fen == metro_fen - 500
    assert BOOK.price(bus(local(2024, 5, 6), category=category)).amount_fen == bus_fen


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(PricingError, match="got 'vip'"):
        BOOK.price(metro("luohu", "guomao", category="vip"))


def test_daily_cap_reached_in_the_middle_of_a_trip() -> None:
    day = [_long(local(2024, 5, 6, h)) for h in (8, 10, 12, 14, 16)]
    quotes = ride(BOOK, day)
    assert [q.amount_fen for q in quotes] == [800, 800, 800, 100, 0]
    assert [q.cap_saved_fen for q in quotes] == [0, 0, 0, 700, 800]
    capped = quotes[3].lines[-1]
    assert capped.rule_id == "cap.daily"
    assert capped.amount_fen == -700
    assert "24.00 already paid" in capped.text
    assert sum(fen for _, fen in quotes[3].shares) == 100


def test_the_service_day_runs_from_04_30_to_04_29() -> None:
    day = [_long(local(2024, 5, 6, h)) for h in (8, 10, 12)]
    night_owl = _long(local(2024, 5, 7, 4, 29))
    assert ride(BOOK, [*day, night_owl])[-1].amount_fen == 100  # still 6 May's service day
    early_bird = _long(local(2024, 5, 7, 4, 30))
    assert ride(BOOK, [*day, early_bird])[-1].amount_fen == 800


def test_bus_and_metro_count_toward_the_same_cap() -> None:
    at = local(2024, 5, 6, 7, 0)
    trips = [_long(local(2024, 5, 6, h)) for h in (8, 10, 12)] + [bus(at + dt.timedelta(hours=9))]
    assert ride(BOOK, trips)[-1].amount_fen == 100


def test_student_cap_is_lower() -> None:
    trips = [_long(local(2024, 5, 6, h), "student") for h in (8, 10, 12, 14)]
    assert [q.amount_fen for q in ride(BOOK, trips)] == [400, 400, 400, 50]


def test_weekly_cap_monday_to_sunday() -> None:
    # 2024-05-06 is a Monday. Three long trips a day: 24 yuan, under the daily cap.
    week = [_long(local(2024, 5, d, h)) for d in range(6, 10) for h in (8, 10, 12)]
    friday = _long(local(2024, 5, 10, 8))
    quotes = ride(BOOK, [*week, friday])
    assert quotes[-1].amount_fen == 400  # 96 paid, 100 a week
    assert quotes[-1].lines[-1].rule_id == "cap.weekly"
    next_monday = _long(local(2024, 5, 13, 8))
    assert ride(BOOK, [*week, friday, next_monday])[-1].amount_fen == 800


def test_incomplete_journeys_are_not_capped_and_do_not_count() -> None:
    at = local(2024, 5, 6, 7, 0)
    incomplete = [
        metro(None, "luohu", at=at + dt.timedelta(hours=i), no_entry=True) for i in range(3)
    ]
    full = [_long(local(2024, 5, 6, h)) for h in (12, 14, 16)]
    quotes = ride(
        BOOK, [*incomplete, *full, metro(None, "luohu", at=local(2024, 5, 6, 20), no_entry=True)]
    )
    assert [q.amount_fen for q in quotes] == [1000, 1000, 1000, 800, 800, 800, 1000]
    assert quotes[-1].incomplete and quotes[-1].cap_saved_fen == 0


def test_the_2017_tariff_has_no_caps() -> None:
    trips = [_long(local(2023, 5, 8, h)) for h in (8, 10, 12, 14)]
    assert [q.amount_fen for q in ride(BOOK, trips)] == [800, 800, 800, 800]
