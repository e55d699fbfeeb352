"""Taps in, trip-end events out: the device edge's one service.

Each tap is checked (device, token, kind, time, station), its ride code verified
offline (the signatures, validity and time window: no database, no network), then
handed to one Lua script that does the idempotency, revocation, deny-list and replay
checks, the pairing and the XADD atomically (gates/taps.lua), run over the process's
pipelined connection (gates/script_runner.py). Nothing here touches the database.

The verifier is passed in (`RideCodeCheck`: ridecodes.verify.RideCodeVerifier in
farechain), so the gates know no ride-code package and the issuer's keys can change
under a running process.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from gates import keys, stream
from gates.errors import (
    CertificateRevoked,
    DeviceUnauthorized,
    EventIdConflict,
    RideCodeReplayed,
    RiderRefused,
    TapForbidden,
    TapRejected,
    UnknownDevice,
    UnknownRider,
)
from gates.registry import DeviceInfo
from gates.schemas import TapAccepted, TapCreate, TaxiTripCreate
from gates.script_runner import ScriptRunner

TAPS_SCRIPT = (Path(__file__).parent / "taps.lua").read_text()

_KINDS_BY_DEVICE = {"gate": ("entry", "exit"), "validator": ("board",), "meter": ()}
_DEVICE_CACHE_S = 30.0


class VerifiedRideCode(Protocol):
    @property
    def rider(self) -> str: ...
    @property
    def serial(self) -> bytes: ...
    @property
    def nonce(self) -> bytes: ...


class RideCodeCheck(Protocol):
    """The offline check; raises a DomainError naming why a code is refused."""

    @property
    def window_s(self) -> int: ...

    def verify_text(self, text: str, *, at: int) -> VerifiedRideCode: ...


@dataclass(frozen=True, slots=True)
class TapLimits:
    max_clock_skew_s: int
    max_event_age_h: int
    idempotency_ttl_h: int


class TapDesk:
    """Accepts taps and meter reports for one Redis; one instance per API process."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        taps_script: ScriptRunner,
        limits: TapLimits,
        station_operators: Mapping[str, frozenset[str]],
        ride_codes: Callable[[], RideCodeCheck],
        stream_key: bytes,
    ) -> None:
        """`ride_codes` gives the verifier of the issuer keys in force (cheap to call);
        `stream_key` seals each tap for the batcher (gates/stream.py)."""
        self._redis = client
        self._stream_key = stream_key
        self._ride_codes = ride_codes
        self._script = taps_script
        self._limits = limits
        self._station_operators = station_operators
        self._devices: dict[str, tuple[float, DeviceInfo]] = {}

    async def aclose(self) -> None:
        await self._script.aclose()

    async def record_tap(
        self, device_id: str, token: str, tap: TapCreate
    ) -> tuple[TapAccepted, bool]:
        device = await self._authenticate(device_id, token)
        if tap.kind not in _KINDS_BY_DEVICE[device.kind]:
            raise TapRejected(f"a {device.kind} cannot record a {tap.kind!r} tap")
        self._check_time("at", tap.at)
        station = self._station_for(device, tap.station)
        at = tap.at.astimezone(UTC)
        body: dict[str, Any] = {
            "event_id": tap.event_id,
            "device": device.id,
            "operator": device.operator,
            "at": at.isoformat(),
        }
        mode, kind = "metro", str(tap.kind)
        if device.kind == "gate":
            body["station"] = station
        else:
            body["route"] = device.route
            mode, kind = "bus", "end"
        code = self._verified(tap.ride_code, at)
        fingerprint = f"{device.id}|{tap.kind}|{code.rider}|{at.isoformat()}|{station}"
        return await self._submit(tap.event_id, code, kind, mode, body, fingerprint)

    async def record_taxi_trip(
        self, device_id: str, token: str, trip: TaxiTripCreate
    ) -> tuple[TapAccepted, bool]:
        device = await self._authenticate(device_id, token)
        if device.kind != "meter":
            raise TapRejected(f"a {device.kind} cannot report taxi trips")
        self._check_time("started_at", trip.started_at)
        self._check_time("ended_at", trip.ended_at)
        started, ended = trip.started_at.astimezone(UTC), trip.ended_at.astimezone(UTC)
        body = {
            "event_id": trip.event_id,
            "device": device.id,
            "operator": device.operator,
            "started_at": started.isoformat(),
            "at": ended.isoformat(),
            "distance_m": trip.distance_m,
            "waiting_s": trip.waiting_s,
        }
        code = self._verified(trip.ride_code, ended)
        fingerprint = (
            f"{device.id}|taxi|{code.rider}|{started.isoformat()}|{ended.isoformat()}"
            f"|{trip.distance_m}|{trip.waiting_s}"
        )
        return await self._submit(trip.event_id, code, "end", "taxi", body, fingerprint)

    def _verified(self, text: str, scanned: datetime) -> VerifiedRideCode:
        # The window is checked against the scan's own time, so a gate that was offline
        # and posts its taps late (and a retry with the same event_id) is judged as at
        # the scan.
        return self._ride_codes().verify_text(text, at=int(scanned.timestamp()))

    async def _submit(
        self,
        event_id: str,
        code: VerifiedRideCode,
        kind: str,
        mode: str,
        body: dict[str, Any],
        fingerprint: str,
    ) -> tuple[TapAccepted, bool]:
        rider = code.rider
        now_ms = int(time.time() * 1000)
        body["received_ms"] = now_ms
        # Sealed here, not around the XADD: the script builds the entry from this tap
        # and, for an exit, the entry tap it stored, and Lua has no HMAC. Each tap
        # carries its own MAC through the script, so the tap stays one round trip.
        slot: stream.Slot = "start" if kind == "entry" else "end"
        sealed = stream.seal_tap(body, rider=rider, mode=mode, slot=slot, key=self._stream_key)
        digest = hashlib.sha256(fingerprint.encode()).hexdigest()
        reply = await self._script(
            [
                keys.idempotency(event_id),
                keys.journey(rider),
                keys.OPEN_JOURNEYS,
                keys.STREAM,
                keys.RIDERS,
                keys.REVOKED_CERTIFICATES,
                keys.ride_nonce(code.serial, code.nonce),
                keys.DENY,
            ],
            [
                digest,
                kind,
                rider,
                sealed,
                now_ms,
                self._limits.idempotency_ttl_h * 3600,
                mode,
                stream.FIELD,
                code.serial.hex(),
                # A code is accepted for scans up to window_s either side of its
                # timestamp, so two scans of one code are at most 2 x window_s apart.
                2 * self._ride_codes().window_s + 1,
            ],
        )
        outcome, value, *more = (part.decode() for part in reply)
        if outcome == "error":
            _refuse(value, rider, code.serial, more)
        if outcome == "replay":
            seen_digest, status = value.split("|", 1)
            if seen_digest != digest:
                raise EventIdConflict(
                    f"event_id {event_id!r} was already used for a different request"
                )
            return TapAccepted(event_id=event_id, status=status), True
        return TapAccepted(event_id=event_id, status=value), False

    async def _authenticate(self, device_id: str, token: str) -> DeviceInfo:
        cached = self._devices.get(device_id)
        if cached is None or cached[0] < time.monotonic():
            raw = await self._redis.hget(keys.DEVICES, device_id)
            if raw is None:
                raise UnknownDevice(f"no device {device_id!r}")
            cached = (time.monotonic() + _DEVICE_CACHE_S, DeviceInfo.from_json(raw))
            self._devices[device_id] = cached
        device = cached[1]
        if not device.accepts(token):
            raise DeviceUnauthorized(f"wrong token for device {device_id!r}")
        return device

    def _check_time(self, field: str, at: datetime) -> None:
        now = datetime.now(UTC)
        if at > now + timedelta(seconds=self._limits.max_clock_skew_s):
            raise TapRejected(
                f"{field} {at.isoformat()} is in the future "
                f"(more than {self._limits.max_clock_skew_s} s ahead of {now.isoformat()})"
            )
        if at < now - timedelta(hours=self._limits.max_event_age_h):
            raise TapRejected(
                f"{field} {at.isoformat()} is older than {self._limits.max_event_age_h} h"
            )

    def _station_for(self, device: DeviceInfo, named: str | None) -> str | None:
        if device.kind != "gate":
            if named is not None:
                raise TapRejected(f"a {device.kind} does not tap at a station")
            return None
        station = named or device.station
        if station is None:
            raise TapRejected(f"device {device.id!r} has no station; name one")
        operators = self._station_operators.get(station)
        if operators is None:
            raise TapRejected(f"no station {station!r}")
        if device.operator not in operators:
            raise TapForbidden(
                f"device {device.id!r} of operator {device.operator!r} cannot tap at "
                f"{station!r}, operated by {', '.join(sorted(operators))}"
            )
        return station


def _refuse(why: str, rider: str, serial: bytes, more: list[str]) -> None:
    if why == "unknown_rider":
        raise UnknownRider(f"no rider {rider!r}")
    if why == "revoked":
        raise CertificateRevoked(
            f"the ride code's certificate {serial.hex()} was revoked (a lost phone?);"
            " the rider must renew the code on an enrolled phone",
            reason="revoked",
        )
    if why == "replayed":
        raise RideCodeReplayed(
            "this ride code was used already; the phone shows a fresh one every few seconds",
            reason="replayed",
        )
    deny = orjson.loads(more[0]) if more and more[0] else {}
    if not deny:
        raise RiderRefused(f"rider {rider!r} is blocked", reason="blocked")
    owed = int(deny.get("owed_fen", 0))
    raise RiderRefused(
        f"rider {rider!r} is blocked: {deny.get('reason', 'on the deny list')}"
        + (f"; owes {owed // 100}.{owed % 100:02d} yuan ({owed} fen)" if owed else ""),
        reason="blocked",
        deny_reason=deny.get("reason"),
        owed_fen=owed,
    )
