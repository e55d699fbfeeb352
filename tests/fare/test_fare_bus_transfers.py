"""Bus fares and transfer rules: the shipped metro-to-bus discount, inside and outside
its window, and rules added as data only (bus to bus free within 60 minutes)."""

from __future__ import annotations

import datetime as dt

import pytest

from fare import PricedTrip, PricingError, parse_tariffs
from tests.fare.builders import BOOK, bus, line_network, local, metro, ride, tariff_2024

BUS_TO_BUS = """
[[transfers]]
id = "bus-bus"
from_mode = "bus"
to_mode = "bus"
window_min = 60
discount_pct = 100
"""


def _with_rule(rule: str) -> str:
    return tariff_2024() + rule


def test_bus_flat_fare() -> None:
    quote = BOOK.price(bus(local(2024, 5, 6, 8, 0), route="B796"))
    assert quote.amount_fen == 200
    assert quote.shares == (("szbus", 200),)
    assert quote.lines[0].rule_id == "bus.fare"


def test_unknown_route_is_a_pricing_error() -> None:
    with pytest.raises(PricingError, match="got 'X1'"):
        BOOK.price(bus(local(2024, 5, 6), route="X1"))


@pytest.mark.parametrize(("gap_min", "fare"), [(1, 160), (89, 160), (90, 160), (91, 200)])
def test_metro_to_bus_discount_within_90_minutes_of_the_exit(gap_min: int, fare: int) -> None:
    entry = local(2024, 5, 6, 9, 0)
    exit_at = entry + dt.timedelta(minutes=30)
    trips = [metro("luohu", "guomao", at=entry), bus(exit_at + dt.timedelta(minutes=gap_min))]
    quote = ride(BOOK, trips)[1]
    assert quote.amount_fen == fare
    if fare == 160:
        assert quote.lines[-1].rule_id == "transfer.metro-bus"
        assert quote.lines[-1].amount_fen == -40


def test_no_discount_from_bus_to_metro_or_bus_to_bus_in_the_shipped_tariff() -> None:
    at = local(2024, 5, 6, 9, 0)
    quotes = ride(BOOK, [bus(at), bus(at + dt.timedelta(minutes=10))])
    assert quotes[1].amount_fen == 200
    quotes = ride(BOOK, [bus(at), metro("luohu", "guomao", at=at + dt.timedelta(minutes=10))])
    assert quotes[1].amount_fen == 200


def test_the_transfer_applies_after_the_category_discount() -> None:
    at = local(2024, 5, 6, 9, 0)
    trips = [
        metro("luohu", "guomao", at=at, category="student"),
        bus(at + dt.timedelta(minutes=40), category="student"),
    ]
    assert [q.amount_fen for q in ride(BOOK, trips)] == [100, 60]


def test_an_incomplete_journey_gives_no_transfer() -> None:
    at = local(2024, 5, 6, 9, 0)
    trips = [metro(None, "luohu", at=at, no_entry=True), bus(at + dt.timedelta(minutes=40))]
    assert ride(BOOK, trips)[1].amount_fen == 200


def test_only_the_most_recent_trip_can_be_the_transfer_source() -> None:
    at = local(2024, 5, 6, 9, 0)
    trips = [
        metro("luohu", "guomao", at=at),
        bus(at + dt.timedelta(minutes=40)),
        bus(at + dt.timedelta(minutes=50)),
    ]
    assert [q.amount_fen for q in ride(BOOK, trips)] == [200, 160, 200]


def test_bus_to_bus_free_within_60_minutes_is_data_only() -> None:
    book = parse_tariffs({"net.toml": line_network(["0", "5"]), "t.toml": _with_rule(BUS_TO_BUS)})
    at = local(2024, 5, 6, 9, 0)
    quotes = ride(
        book,
        [
            bus(at),
            bus(at + dt.timedelta(minutes=30)),  # free
            bus(at + dt.timedelta(minutes=50)),  # its source was itself a transfer
            bus(at + dt.timedelta(minutes=200)),  # outside the window
        ],
    )
    assert [q.amount_fen for q in quotes] == [200, 0, 200, 200]
    assert quotes[1].rule_ids == ("bus.fare", "transfer.bus-bus")


def test_a_chaining_rule_passes_the_discount_on() -> None:
    rule = BUS_TO_BUS.replace("discount_pct = 100", "discount_pct = 100\nchain = true")
    book = parse_tariffs({"net.toml": line_network(["0", "5"]), "t.toml": _with_rule(rule)})
    at = local(2024, 5, 6, 9, 0)
    trips = [bus(at), bus(at + dt.timedelta(minutes=30)), bus(at + dt.timedelta(minutes=50))]
    assert [q.amount_fen for q in ride(book, trips)] == [200, 0, 0]


def test_history_order_and_later_trips_do_not_matter() -> None:
    at = local(2024, 5, 6, 9, 0)
    first = metro("luohu", "guomao", at=at)
    later = bus(at + dt.timedelta(hours=5))
    history = [
        PricedTrip.from_quote(later, BOOK.price(later)),
        PricedTrip.from_quote(first, BOOK.price(first)),
    ]
    trip = bus(at + dt.timedelta(minutes=45))
    assert BOOK.price(trip, history) == BOOK.price(trip, history[::-1])
    assert BOOK.price(trip, history).amount_fen == 160
