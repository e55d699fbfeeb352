"""The quote's record form (JSON-able, no floats), history records, the TOML locator."""

from __future__ import annotations

import datetime as dt
import json

from fare import PricedTrip, Quote, apportion
from fare.tomlines import locate_lines
from tests.fare.builders import BOOK, bus, local, metro, ride, taxi


def _only_plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_plain(v) for v in value)
    return isinstance(value, int | str | bool)


def test_to_record_holds_ints_strings_bools_lists_and_dicts_only() -> None:
    at = local(2024, 5, 6, 9, 0)
    quotes = ride(
        BOOK,
        [
            metro("luohu", "shenzhen-north", at=at, category="student"),
            bus(at + dt.timedelta(minutes=50), category="student"),
            taxi(at + dt.timedelta(hours=2), 30, 12.3, wait_s=100),
            metro(None, "luohu", at=at + dt.timedelta(hours=3), no_entry=True),
        ],
    )
    for quote in quotes:
        record = quote.to_record()
        assert _only_plain(record), record
        assert json.loads(json.dumps(record)) == record
        assert Quote.from_record(record) == quote
    assert "distance_m" not in quotes[3].to_record()
    assert quotes[0].to_record()["shares"] == [["mtr-sz", 136], ["szmc", 114]]


def test_explain_lists_each_rule_and_the_total() -> None:
    text = BOOK.price(taxi(local(2024, 5, 6, 23, 40), 40, 27.4, wait_s=360)).explain()
    assert text.splitlines()[-1].strip() == "104.00  total (tariff sz-2024)"
    assert "[taxi.night]" in text


def test_priced_trip_round_trips_through_its_record() -> None:
    trip = metro("luohu", "guomao")
    priced = PricedTrip.from_quote(trip, BOOK.price(trip))
    record = priced.to_record()
    assert json.loads(json.dumps(record)) == record
    assert record["started_at"] == "2024-05-06T01:00:00Z"
    assert PricedTrip.from_record(record) == priced


def test_largest_remainder_known_answers() -> None:
    # Exact quotas 333.33 each: the leftover fen goes to the smallest id on a tie.
    assert apportion(1000, (("a", 1), ("b", 1), ("c", 1))) == (("a", 334), ("b", 333), ("c", 333))
    # Quotas 71.4 / 28.6: floors 71 + 28 = 99, the larger remainder (.6) gets the fen.
    assert apportion(100, (("x", 5), ("y", 2))) == (("x", 71), ("y", 29))
    assert apportion(0, (("x", 5), ("y", 2))) == (("x", 0), ("y", 0))


def test_the_locator_finds_tables_keys_and_array_elements() -> None:
    text = "\n".join(
        [
            "# a [comment] with = signs",  # 1
            "[a]",  # 2
            'x = "value # not a comment ]"',  # 3
            "[[a.items]]",  # 4
            "n = 1",  # 5
            "[[a.items]]",  # 6
            "n = 2",  # 7
            "list = [",  # 8
            "  { k = 1 },",  # 9
            "  { k = 2 },",  # 10
            "]",  # 11
            's = """one',  # 12
            'two"""',  # 13
            "t = 3",  # 14
        ]
    )
    lines = locate_lines(text)
    assert lines[("a",)] == 2
    assert lines[("a", "x")] == 3
    assert lines[("a", "items", 0)] == 4
    assert lines[("a", "items", 1, "n")] == 7
    assert lines[("a", "items", 1, "list", 1, "k")] == 10
    assert lines[("a", "items", 1, "t")] == 14
