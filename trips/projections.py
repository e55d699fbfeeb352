"""Ledger records of trips and charges, and the table rows projected from them.

The batcher and the audit build rows with the same functions: the batcher from what it
just priced, the audit from the stored record. So a row that differs from what its
record implies, in any column, is caught.

The records are version 2: `ledger.commitment.commit_record` moves their personal
fields (rider, taps, the quote's lines and distance, the charge's time and balance) into
a private opening before they reach the log. The builders here make the whole record,
the same fields version 1 wrote in clear, so a row is rebuilt alike from either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

import fare
from gates.stream import TripEndEvent, event_from_record


def _to_json(value: Mapping[str, object]) -> str:
    # The text of the quote_json and history_json columns (compact, sorted keys, UTF-8).
    # Not ledger bytes: the audit also accepts the json module's text of the same value,
    # which rows written before this encoder hold. orjson because the batcher makes two
    # per trip: ~8x faster than the json module.
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def trip_record(event: TripEndEvent, quote_record: Mapping[str, object]) -> dict[str, object]:
    return {
        "type": "trip",
        "v": 2,
        "event_id": event.event_id,
        "rider": event.rider,
        "mode": event.mode,
        "operator": event.operator,
        "start": event.start,
        "end": event.end,
        "quote": quote_record,
    }


def trip_row(
    event: TripEndEvent,
    trip: fare.TripEnd,
    quote: fare.Quote,
    quote_record: Mapping[str, object],
    priced: fare.PricedTrip,
) -> dict[str, Any]:
    """The `trips` row (without its record index and block height)."""
    return {
        "event_id": event.event_id,
        "rider_id": event.rider,
        "mode": trip.mode,
        "operator_id": event.operator,
        "entry_station": trip.entry_station,
        "exit_station": trip.exit_station,
        "route_id": trip.route,
        "started_at": trip.started_at,
        "ended_at": trip.ended_at,
        "distance_m": quote.distance_m,
        "fare_fen": quote.amount_fen,
        "incomplete": quote.incomplete,
        "quote_json": _to_json(quote_record),
        "history_json": _to_json(priced.to_record()),
    }


def trip_row_from_record(record: Mapping[str, Any]) -> dict[str, Any]:
    event = event_from_record(record)
    quote = fare.Quote.from_record(record["quote"])
    trip = event.to_fare_trip(quote.category)
    return trip_row(event, trip, quote, record["quote"], fare.PricedTrip.from_quote(trip, quote))


def charge_record(
    event: TripEndEvent, amount_fen: int, balance_after_fen: int, at: datetime
) -> dict[str, object]:
    return {
        "type": "charge",
        "v": 2,
        "trip_event_id": event.event_id,
        "rider": event.rider,
        "amount_fen": amount_fen,
        "balance_after_fen": balance_after_fen,
        "at": at.isoformat(),
    }


def charge_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The `charges` row (without its record index)."""
    return {
        "trip_event_id": record["trip_event_id"],
        "rider_id": record["rider"],
        "amount_fen": record["amount_fen"],
        "balance_after_fen": record["balance_after_fen"],
        "charged_at": datetime.fromisoformat(record["at"]),
    }
