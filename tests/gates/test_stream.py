"""Trip-end events on the stream: what parses, what is malformed, what the edge sealed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates.stream import (
    FIELD,
    MAC,
    MalformedEvent,
    TripEndEvent,
    UnsealedEvent,
    encode_event,
    new_stream_key,
    open_event,
    parse_event,
    parse_stream_key,
)
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


KEY = parse_stream_key(new_stream_key())


def _taxi(distance_m: int = 900_000) -> dict[str, Any]:
    end = gate_tap_on_stream("t1", "2026-05-06T01:40:00+00:00", "x", received_ms=1)
    del end["station"]
    end |= {"started_at": "2026-05-06T01:00:00+00:00", "distance_m": distance_m, "waiting_s": 0}
    return {"rider": "r0000001", "mode": "taxi", "start": None, "end": end}


def test_a_sealed_entry_opens_to_the_event_without_its_macs() -> None:
    data = _metro()
    fields = encode_event(data, KEY)
    assert set(fields) == {FIELD}
    on_stream = json.loads(fields[FIELD])
    assert set(on_stream["start"]) == set(data["start"]) | {MAC}
    assert open_event(fields[FIELD], KEY) == parse_event(json.dumps(data))


_scalars = st.one_of(st.text(max_size=20), st.integers(-(2**63), 2**63 - 1), st.none())
_taps = st.dictionaries(st.text(max_size=10).filter(lambda k: k != MAC), _scalars, max_size=6)


@given(
    rider=st.text(max_size=20),
    start=st.one_of(st.none(), _taps),
    end=_taps,
    extra=st.dictionaries(st.sampled_from(["event_id", "operator"]), st.text(max_size=8)),
)
def test_any_sealed_tap_opens_and_any_change_to_it_is_refused(
    rider: str, start: dict[str, Any] | None, end: dict[str, Any], extra: dict[str, str]
) -> None:
    end = {"event_id": "e", "operator": "o", **end, **extra}
    event = {"rider": rider, "mode": "bus", "start": start, "end": end}
    raw = encode_event(event, KEY)[FIELD]
    assert open_event(raw, KEY).end == end
    changed = json.loads(raw)
    changed["end"]["event_id"] += "x"
    with pytest.raises(UnsealedEvent, match="end tap"):
        open_event(json.dumps(changed), KEY)
    changed = json.loads(raw)
    changed["rider"] += "x"
    with pytest.raises(UnsealedEvent):
        open_event(json.dumps(changed), KEY)


def test_a_forged_taxi_trip_is_refused_whether_unsealed_altered_or_sealed_elsewhere() -> None:
    forged = json.dumps(_taxi())
    with pytest.raises(UnsealedEvent, match=r"the end tap 't1' of rider 'r0000001' .* \(none\)"):
        open_event(forged, KEY)
    genuine = json.loads(encode_event(_taxi(distance_m=5_000), KEY)[FIELD])
    genuine["end"]["distance_m"] = 900_000
    with pytest.raises(UnsealedEvent, match="a wrong one"):
        open_event(json.dumps(genuine), KEY)
    other_key = parse_stream_key(new_stream_key())
    with pytest.raises(UnsealedEvent):
        open_event(encode_event(_taxi(), other_key)[FIELD], KEY)
    genuine["end"]["mac"] = 12  # not even text
    with pytest.raises(UnsealedEvent):
        open_event(json.dumps(genuine), KEY)


def test_an_entry_tap_cannot_be_passed_off_as_an_exit_or_as_another_mode() -> None:
    data = _metro()
    sealed = json.loads(encode_event(data, KEY)[FIELD])
    swapped = {**sealed, "start": None, "end": sealed["start"]}
    with pytest.raises(UnsealedEvent, match="end tap 'e1-in'"):
        open_event(json.dumps(swapped), KEY)
    with pytest.raises(UnsealedEvent):
        open_event(json.dumps({**sealed, "mode": "taxi"}), KEY)
    # Dropping a genuine exit leaves a genuine entry: that opens (the sweeper does it too).
    assert open_event(json.dumps({**sealed, "end": None}), KEY).event_id == "e1-in"


@pytest.mark.parametrize("raw", [b"", b"[]", b"{}", b'{"rider": 1, "mode": "bus"}', b"null"])
def test_what_is_not_an_event_stays_malformed_when_opened(raw: bytes) -> None:
    with pytest.raises(MalformedEvent, match="not a trip-end event"):
        open_event(raw, KEY)


def test_a_stream_key_is_base64url_of_32_bytes_or_more() -> None:
    assert len(parse_stream_key(new_stream_key())) == 32
    assert parse_stream_key("A" * 43 + "\n") == bytes(32)  # padding optional, newline ignored
    with pytest.raises(ValueError, match="at least 32 random bytes, got 16"):
        parse_stream_key("A" * 22)
    with pytest.raises(ValueError, match="base64url"):
        parse_stream_key("not a key!" * 5)
