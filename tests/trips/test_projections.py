"""Trip rows projected from what the batcher priced, and rebuilt from the ledger record."""

from __future__ import annotations

import json
from typing import Any

import fare
from gates.stream import parse_event
from ledger.records import decode_record, encode_record
from tests.builders import gate_tap_on_stream
from trips.projections import trip_record, trip_row, trip_row_from_record

BOOK = fare.load_tariffs()


def _priced(category: str = "student") -> dict[str, Any]:
    taps = {
        "start": gate_tap_on_stream("e1-in", "2026-05-06T01:00:00.250000+00:00", "luohu"),
        "end": gate_tap_on_stream("e1", "2026-05-06T01:20:00+00:00", "guomao"),
    }
    event = parse_event(json.dumps({"rider": "r1", "mode": "metro", **taps}))
    trip = event.to_fare_trip(category)
    quote = BOOK.price(trip)
    return {
        "event": event,
        "trip": trip,
        "quote": quote,
        "quote_record": quote.to_record(),
        "priced": fare.PricedTrip.from_quote(trip, quote),
    }


def test_the_json_columns_are_compact_sorted_utf8_of_the_records() -> None:
    p = _priced()
    row = trip_row(**p)
    quote, history = json.loads(row["quote_json"]), json.loads(row["history_json"])
    assert quote == p["quote_record"]
    assert fare.PricedTrip.from_record(history) == p["priced"]
    assert history["started_at"] == "2026-05-06T01:00:00.250000Z"
    for text, value in ((row["quote_json"], quote), (row["history_json"], history)):
        assert text == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_the_row_rebuilt_from_the_record_is_the_row_written() -> None:
    p = _priced()
    body = encode_record(trip_record(p["event"], p["quote_record"]))
    assert trip_row_from_record(decode_record(body)) == trip_row(**p)
