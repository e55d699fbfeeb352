"""The stream contract: trip-end events as the gates put them on the stream.

The one definition of the stream's shape. Each entry of `keys.STREAM` has one field,
`FIELD`, holding the event's JSON (the Lua scripts, gates/taps.lua and gates/sweep.lua,
receive the field's name and build this JSON): `{"rider", "mode", "start", "end"}`.
`start` is the entry tap (metro only), `end` the exit tap, bus boarding or taxi meter
report; either may be null for an incomplete journey. The event's id is the id of the
tap that ended the trip, or of the entry when the journey was never closed.

Only the edge writes the stream. Each tap carries `"mac"`: HMAC-SHA256 (RFC 2104),
base64url, under the stream key, of the rider, the mode, the tap's place in the event
(start or end) and the tap's other fields (`tap_mac`). The MAC is per tap, not per
entry, because an entry is put together inside Redis (taps.lua pairs an exit with the
entry stored at the rider's entry tap) and Lua has no HMAC: the edge seals each tap in
Python when it takes it and the script carries the sealed JSON through untouched, so a
tap stays one round trip. `open_event` is the batcher's side: an entry with a tap that
is unsealed or changed is `UnsealedEvent`, dead-lettered and never priced. What the
per-tap MAC does not bind: which of one rider's genuine taps are paired; a writer who
has the Redis password but not the key can only re-pair or repeat genuine taps (and
a repeated event id is dropped at sealing), never invent a trip or change one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

import fare

FIELD = "e"  # the stream entry's one field: the event's JSON
MAC = "mac"  # in each tap: the edge's seal of it
Slot = Literal["start", "end"]
SLOTS: tuple[Slot, ...] = ("start", "end")
STREAM_KEY_MIN_BYTES = 32
# Domain separation: a MAC made for a tap is no MAC for anything else under the key.
_MAC_CONTEXT = b"farechain/stream-tap/v1\n"


class MalformedEvent(ValueError):
    """A stream entry that is not a trip-end event; it is logged and dropped."""


class UnsealedEvent(MalformedEvent):
    """A stream entry with a tap the edge did not seal (or that changed since)."""


def new_stream_key() -> str:
    """A fresh stream key, as the key file and FARECHAIN_GATES__STREAM_MAC_KEY hold it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(STREAM_KEY_MIN_BYTES)).decode()


def parse_stream_key(text: str) -> bytes:
    """The key's bytes from its base64url text; at least 32 of them."""
    text = text.strip()
    try:
        key = base64.b64decode(
            text.translate(str.maketrans("-_", "+/")) + "=" * (-len(text) % 4), validate=True
        )
    except (binascii.Error, ValueError) as error:
        raise ValueError("a stream key is base64url text, and this is not") from error
    if len(key) < STREAM_KEY_MIN_BYTES:
        raise ValueError(
            f"a stream key has at least {STREAM_KEY_MIN_BYTES} random bytes, got {len(key)}"
        )
    return key


def tap_mac(key: bytes, *, rider: str, mode: str, slot: Slot, tap: Mapping[str, Any]) -> str:
    """The seal of one tap: over sorted-key JSON, so any JSON writer's form checks alike."""
    message = orjson.dumps([rider, mode, slot, tap], option=orjson.OPT_SORT_KEYS)
    digest = hmac.new(key, _MAC_CONTEXT + message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def seal_tap(tap: Mapping[str, Any], *, rider: str, mode: str, slot: Slot, key: bytes) -> bytes:
    """The tap's JSON with its MAC, as the edge hands it to taps.lua."""
    return orjson.dumps({**tap, MAC: tap_mac(key, rider=rider, mode=mode, slot=slot, tap=tap)})


def encode_event(event: Mapping[str, Any], key: bytes) -> dict[str, bytes]:
    """A stream entry's fields for an event, its taps sealed (for tools and tests that
    fill the stream directly, as the edge would)."""
    sealed = dict(event)
    for slot in SLOTS:
        tap = event[slot]
        if tap is not None:
            mac = tap_mac(key, rider=event["rider"], mode=event["mode"], slot=slot, tap=tap)
            sealed[slot] = {**tap, MAC: mac}
    return {FIELD: orjson.dumps(sealed)}


def open_event(raw: bytes | str, key: bytes) -> TripEndEvent:
    """The event of a stream entry whose every tap carries the edge's MAC (removed here).

    Raises UnsealedEvent for a missing or wrong MAC, MalformedEvent for anything that
    is not an event at all.
    """
    try:
        data = orjson.loads(raw)
    except ValueError as error:
        raise MalformedEvent(f"not a trip-end event: {raw!r:.200}") from error
    if not isinstance(data, dict):
        raise MalformedEvent(f"not a trip-end event: {raw!r:.200}")
    rider, mode = data.get("rider"), data.get("mode")
    if not isinstance(rider, str) or not isinstance(mode, str):
        raise MalformedEvent(f"not a trip-end event: {raw!r:.200}")
    for slot in SLOTS:
        tap = data.get(slot)
        if not isinstance(tap, dict):
            continue  # none, or not a tap: event_from_record says which
        mac = tap.pop(MAC, None)
        wanted = tap_mac(key, rider=rider, mode=mode, slot=slot, tap=tap)
        if not isinstance(mac, str) or not hmac.compare_digest(mac, wanted):
            raise UnsealedEvent(
                f"the {slot} tap {str(tap.get('event_id'))[:80]!r} of rider "
                f"{rider[:40]!r} does not carry the edge's MAC "
                f"({'none' if mac is None else 'a wrong one'}): not from the edge, or altered"
            )
    try:
        return event_from_record(data)
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedEvent(f"not a trip-end event: {raw!r:.200}") from error


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
