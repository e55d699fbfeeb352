"""Trip-end events read from the stream: what parses, and what is dropped as malformed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gates.stream import MalformedEvent, TripEndEvent, parse_event
from tests.builders import gate_tap_on_stream


def _metro() -> dict[str, Any]:
    def tap(event_id: str, at: str, station: str) -> dict[str, Any]:
        return gate_tap_on_stream(event_id, at, station, received_ms=1_779_000_000_000)

    return {
        "rider": "r0000001",
        "mode": "metro",
        "start": tap("e1-in", "2026-05-06T01:00:00+00:00", "luohu"),
        "end": tap("e1", "2026-05-06T01:20:00+00:00", "guomao"),
    }


def test_an_entry_parses_from_bytes_and_from_text() -> None:
    data = _metro()
    expected = TripEndEvent("e1", "r0000001", "metro", "szmc", data["start"], data["end"])
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    assert parse_event(raw.encode()) == expected
    assert parse_event(raw) == expected
    assert parse_event(raw.encode()).received_ms == 1_779_000_000_000


def test_non_ascii_text_survives() -> None:
    data = _metro()
    data["end"]["station"] = "国贸"
    assert parse_event(json.dumps(data, ensure_ascii=False).encode()).end == data["end"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b"NaN",
        b"\xff\xfe",  # not UTF-8
        b'{"rider": "\\ud800"}',  # a lone surrogate has no UTF-8 form
        b"[1, 2]",  # JSON, but not an object
        b'"a string"',
        b"42",
        b"null",
        b"[" * 5000 + b"]" * 5000,
        b"{}",  # an object without the keys
        b'{"rider": "r1", "mode": "bus", "start": null, "end": null}',
        b'{"rider": "r1", "mode": "bus", "start": null, "end": "tap"}',
        b'{"rider": "r1", "mode": "bus", "start": null, "end": {"event_id": "e"}}',
    ],
)
def test_anything_else_is_malformed_not_a_crash(raw: bytes) -> None:
    with pytest.raises(MalformedEvent, match="not a trip-end event"):
        parse_event(raw)
