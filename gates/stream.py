"""The stream contract: trip-end events as the gates put them on the stream.

The one definition of the stream's shape. Each entry of `keys.STREAM` has one field,
`FIELD`, holding the event's JSON (the Lua scripts, gates/taps.lua and gates/sweep.lua,
receive the field's name and build this JSON): `{"rider", "mode", "start", "end"}`.
`start` is the entry tap (metro only), `end` the exit tap, bus boarding or taxi meter
report; either may be null for an incomplete journey. The event's id is the id of the
tap that ended the trip, or of the entry when the journey was never closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

import fare

FIELD = "e"  # the stream entry's one field: the event's JSON


def encode_event(event: Mapping[str, Any]) -> dict[str, bytes]:
    """A stream entry's fields for an event (for tools that fill the stream directly)."""
    return {FIELD: orjson.dumps(event)}


class MalformedEvent(ValueError):
    """A stream entry that is not a trip-end event; it is logged and dropped."""


@dataclass(frozen=True, slots=True)
class TripEndEvent:
    event_id: str
    rider: str
    mode: str
    operator: str
    start: dict[str, Any] | None
    end: dict[str, Any] | None

    @property
    def received_ms(self) -> int:
        tap = self.end or self.start
        assert tap is not None
        return int(tap["received_ms"])

    def to_fare_trip(self, category: str) -> fare.TripEnd:
        start, end = self.start, self.end
        if self.mode == "metro":
            entered = _time(start["at"]) if start else None
            exited = _time(end["at"]) if end else None
            if entered and exited and exited < entered:
                # Gate clocks may disagree by the allowed skew: an exit stamped before
                # its entry is a ride of no time, not an unpriceable trip.
                entered = exited
            return fare.TripEnd(
                mode="metro",
                category=category,
                operator=self.operator,
                started_at=entered,
                ended_at=exited,
                entry_station=start["station"] if start else None,
                exit_station=end["station"] if end else None,
            )
        assert end is not None
        if self.mode == "bus":
            at = _time(end["at"])
            return fare.TripEnd(
                mode="bus",
                category=category,
                operator=self.operator,
                started_at=at,
                ended_at=at,
                route=end["route"],
            )
        return fare.TripEnd(
            mode="taxi",
            category=category,
            operator=self.operator,
            started_at=_time(end["started_at"]),
            ended_at=_time(end["at"]),
            distance_m=int(end["distance_m"]),
            waiting_s=int(end["waiting_s"]),
        )


def parse_event(raw: bytes | str) -> TripEndEvent:
    try:
        # orjson parses an entry ~4x faster than json; its JSONDecodeError is a ValueError,
        # and input that is JSON but not an object fails in event_from_record (TypeError).
        return event_from_record(orjson.loads(raw))
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedEvent(f"not a trip-end event: {raw!r:.200}") from error


def event_from_record(data: Mapping[str, Any]) -> TripEndEvent:
    """The event from a stream entry's JSON, or from the trip record made of it."""
    start, end = data["start"], data["end"]
    tap = end or start
    return TripEndEvent(
        event_id=str(tap["event_id"]),
        rider=str(data["rider"]),
        mode=str(data["mode"]),
        operator=str(tap["operator"]),
        start=start,
        end=end,
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
