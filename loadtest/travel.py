"""Riders and devices as the load generator plays them; pure, no HTTP and no Locust.

A `Traveller` owns a disjoint slice of the demo riders and decides, one request at a
time, what its devices send next: a metro entry at one station and, a realistic ride
later, the exit at another; a bus boarding, sometimes as a transfer a few minutes after
a metro exit; a taxi meter's trip report. A few metro trips lose a tap (an entry never
closed, an exit with no entry) and a few answered requests are sent again with the same
event_id, as a device does when it misses an answer. Owning its riders alone, a
traveller never sends two taps of one rider at once, so each rider's journal is in the
order the API saw the taps.

Each tap and meter report carries the rider's ride code, made by `codes(rider, at)`: in
the Locust suite, the rider's phone signing a fresh code at the scan's time.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    token: str
    station: str | None = None


@dataclass(frozen=True, slots=True)
class World:
    """What the generator knows of the demo world: devices with tokens, rider ids."""

    gates: tuple[Device, ...]
    validators: tuple[Device, ...]
    meters: tuple[Device, ...]
    riders: tuple[str, ...]
    # Metres by metro between two stations, when known: a ride is then given at least the
    # time a train needs (`Traveller._shortest_ride_s`), as the batcher refuses faster ones.
    metro_distance_m: Callable[[str, str], int] | None = None

    @classmethod
    def from_credentials(
        cls,
        credentials: Mapping[str, Any],
        metro_distance_m: Callable[[str, str], int] | None = None,
    ) -> World:
        by_kind: dict[str, list[Device]] = {"gate": [], "validator": [], "meter": []}
        for d in credentials["devices"]:
            by_kind.setdefault(d["kind"], []).append(Device(d["id"], d["token"], d["station"]))
        world = cls(
            tuple(by_kind["gate"]),
            tuple(by_kind["validator"]),
            tuple(by_kind["meter"]),
            tuple(r["id"] for r in credentials["riders"]),
            metro_distance_m,
        )
        if len({g.station for g in world.gates}) < 2 or not world.riders:
            raise ValueError(
                f"expected gates at two stations or more and some riders, got "
                f"{len(world.gates)} gates and {len(world.riders)} riders"
            )
        return world


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of new journeys by mode, and how often taps go missing or are resent."""

    metro: float = 0.62
    bus: float = 0.28
    taxi: float = 0.10
    transfer: float = 0.25  # after a metro exit, the rider boards a bus minutes later
    missing_exit: float = 0.01
    missing_entry: float = 0.01
    retry: float = 0.005
    overstay: float = 0.002  # rides past the 180-minute paid-area limit


@dataclass(frozen=True, slots=True)
class Request:
    device: Device
    path: str  # URL path under the API root
    body: dict[str, Any]
    kind: str  # entry | exit | board | taxi
    rider: str
    event_id: str
    retry: bool = False  # a deliberate resend of a request that was answered
    expect_status: str | None = None  # for a resend: the status the first answer gave

    @property
    def name(self) -> str:
        """The name Locust groups this request's figures under."""
        if self.retry:
            return "retry (same event_id)"
        return {
            "entry": "metro entry",
            "exit": "metro exit",
            "board": "bus board",
            "taxi": "taxi trip",
        }[self.kind]


@dataclass(order=True, slots=True)
class _FollowUp:
    due_s: float
    seq: int
    rider: str = field(compare=False)
    kind: str = field(compare=False)  # exit | board
    exit_gate: Device | None = field(compare=False, default=None)


class Traveller:
    """The riders of one simulated user and the journeys they are in the middle of."""

    def __init__(
        self,
        world: World,
        riders: Sequence[str],
        *,
        id_prefix: str,
        compression: float,
        rng: random.Random,
        codes: Callable[[str, datetime], str],
        mix: Mix | None = None,
    ) -> None:
        if not riders:
            raise ValueError("expected at least one rider for a traveller, got none")
        self.world = world
        self.mix = mix or Mix()
        self.compression = compression
        self._rng = rng
        self._codes = codes
        self._prefix = id_prefix
        self._seq = 0
        self._idle: deque[str] = deque(riders)
        # Riders whose last entry had no exit: their journey is still open at the gates.
        self._open: set[str] = set()
        self._follow_ups: list[_FollowUp] = []
        self._resend: deque[Request] = deque()
        self.retired: set[str] = set()

    @property
    def busy_riders(self) -> int:
        return len(self._follow_ups)

    def next_request(self, now_s: float, sim_now: datetime) -> Request | None:
        """The request to send now, or None when every rider is waiting for a due time."""
        if self._resend:
            return self._resend.popleft()
        if self._follow_ups and self._follow_ups[0].due_s <= now_s:
            follow = heapq.heappop(self._follow_ups)
            if follow.kind == "exit":
                assert follow.exit_gate is not None
                return self._tap(follow.exit_gate, follow.rider, "exit", sim_now)
            return self._board(follow.rider, sim_now)
        if not self._idle:
            return None
        rider = self._idle.popleft()
        roll = self._rng.random() * (self.mix.metro + self.mix.bus + self.mix.taxi)
        if roll < self.mix.metro:
            # An exit with no entry before it; not for a rider whose journey is still
            # open, whose exit would close that entry seconds later, far away.
            if rider not in self._open and self._rng.random() < self.mix.missing_entry:
                return self._exit(rider, sim_now, avoid=None)
            return self._entry(rider, sim_now)
        if roll < self.mix.metro + self.mix.bus:
            return self._board(rider, sim_now)
        return self._taxi(rider, sim_now)

    def answered(self, request: Request, status: str, now_s: float) -> None:
        """The API accepted `request` (202) with `status`."""
        if request.retry:
            return
        if self._rng.random() < self.mix.retry:
            self._resend.append(replace(request, retry=True, expect_status=status))
        rider = request.rider
        if request.kind == "entry" and status == "opened":
            if self._rng.random() < self.mix.missing_exit:
                self._open.add(rider)  # the journey stays open until a later entry
                self._idle.append(rider)
                return
            self._open.discard(rider)
            gate = self._exit_gate(avoid=request.device.station)
            ride_s = max(self._ride_s(), self._shortest_ride_s(request.device.station, gate))
            self._schedule(rider, "exit", now_s, ride_s, gate)
        elif request.kind == "exit" and self._rng.random() < self.mix.transfer:
            self._schedule(rider, "board", now_s, self._rng.uniform(120, 900), None)
        else:
            self._idle.append(rider)

    def refused(self, request: Request) -> None:
        """The API refused `request` (4xx): nothing happened, the rider carries on."""
        if not request.retry:
            self._idle.append(request.rider)

    def lost(self, request: Request) -> None:
        """No answer after every attempt: the rider's state is unknown; retire the rider."""
        if not request.retry:
            self.retired.add(request.rider)

    def _schedule(
        self, rider: str, kind: str, now_s: float, sim_delay_s: float, exit_gate: Device | None
    ) -> None:
        self._seq += 1
        due = now_s + sim_delay_s / self.compression
        heapq.heappush(self._follow_ups, _FollowUp(due, self._seq, rider, kind, exit_gate))

    def _shortest_ride_s(self, entry: str | None, exit_gate: Device) -> float:
        """The least time a ride between the stations takes: 45 km/h (brisk for a metro
        with its stops) and two minutes on platforms."""
        if self.world.metro_distance_m is None or entry is None or exit_gate.station is None:
            return 0.0
        return self.world.metro_distance_m(entry, exit_gate.station) / 12.5 + 120

    def _ride_s(self) -> float:
        if self._rng.random() < self.mix.overstay:
            return self._rng.uniform(185, 240) * 60
        minutes = math.exp(self._rng.gauss(math.log(28.0), 0.45))
        return min(150.0, max(4.0, minutes)) * 60

    def _event_id(self) -> str:
        self._seq += 1
        return f"{self._prefix}{self._seq:x}"

    def _tap(self, device: Device, rider: str, kind: str, at: datetime) -> Request:
        event_id = self._event_id()
        body = {
            "event_id": event_id,
            "ride_code": self._codes(rider, at),
            "kind": kind,
            "at": at.isoformat(),
        }
        return Request(device, f"/v1/devices/{device.id}/taps", body, kind, rider, event_id)

    def _entry(self, rider: str, sim_now: datetime) -> Request:
        return self._tap(self._rng.choice(self.world.gates), rider, "entry", sim_now)

    def _exit_gate(self, *, avoid: str | None) -> Device:
        gate = self._rng.choice(self.world.gates)
        while gate.station == avoid:
            gate = self._rng.choice(self.world.gates)
        return gate

    def _exit(self, rider: str, sim_now: datetime, *, avoid: str | None) -> Request:
        return self._tap(self._exit_gate(avoid=avoid), rider, "exit", sim_now)

    def _board(self, rider: str, sim_now: datetime) -> Request:
        return self._tap(self._rng.choice(self.world.validators), rider, "board", sim_now)

    def _taxi(self, rider: str, sim_now: datetime) -> Request:
        meter = self._rng.choice(self.world.meters)
        ride_s = self._rng.uniform(6, 60) * 60
        # Shenzhen's taxis average about 25 km/h door to door.
        distance_m = int(ride_s / 3600 * 25_000 * self._rng.uniform(0.6, 1.3))
        event_id = self._event_id()
        body = {
            "event_id": event_id,
            "ride_code": self._codes(rider, sim_now),  # the meter scans it at the end
            "started_at": (sim_now - timedelta(seconds=ride_s)).isoformat(),
            "ended_at": sim_now.isoformat(),
            "distance_m": distance_m,
            # Stopped in traffic for at most a third of the ride (up to 10 minutes): a
            # meter that waited longer than it ran is refused at the edge as impossible.
            "waiting_s": self._rng.randrange(0, min(600, int(ride_s / 3))),
        }
        return Request(meter, f"/v1/devices/{meter.id}/trips", body, "taxi", rider, event_id)
