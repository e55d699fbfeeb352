"""The sweeper: entries left open past the journey timeout become incomplete trip-ends."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import redis

from gates import keys, stream

_BATCH = 500


class Sweeper:
    def __init__(self, client: redis.Redis, *, journey_timeout_min: int) -> None:
        self._redis = client
        self._timeout_ms = journey_timeout_min * 60_000
        self._script = client.register_script((Path(__file__).parent / "sweep.lua").read_text())

    def sweep_once(self, now_ms: int | None = None) -> int:
        """Close every journey opened before the cutoff; returns how many were closed."""
        cutoff = (now_ms if now_ms is not None else int(time.time() * 1000)) - self._timeout_ms
        closed = 0
        while True:
            found: Any = self._redis.zrangebyscore(keys.OPEN_JOURNEYS, "-inf", cutoff, 0, _BATCH)
            riders: list[bytes] = found
            for raw in riders:
                rider = raw.decode()
                closed += int(
                    self._script(
                        keys=[keys.journey(rider), keys.OPEN_JOURNEYS, keys.STREAM],
                        args=[rider, cutoff, stream.FIELD],
                    )
                )
            if len(riders) < _BATCH:
                return closed
