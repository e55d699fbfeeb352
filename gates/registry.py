"""The edge's view of devices and riders, kept in Redis so a tap needs no database.

The database is the source of truth; `farechain up` and the seed publish it here, so
a Redis that lost its data is refilled at the next start.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import redis

from gates import keys
from plumbing.tokens import token_matches


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    operator: str
    kind: str  # gate | validator | meter
    station: str | None
    route: str | None
    token_sha256: str  # hex

    def accepts(self, token: str) -> bool:
        return token_matches(token, bytes.fromhex(self.token_sha256))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> DeviceInfo:
        return cls(**json.loads(text))


def publish_devices(client: redis.Redis, devices: list[DeviceInfo]) -> None:
    if devices:
        client.hset(keys.DEVICES, mapping={d.id: d.to_json() for d in devices})


def publish_riders(client: redis.Redis, standing: dict[str, bool]) -> None:
    """`standing` maps rider id to whether the rider may travel."""
    items = list(standing.items())
    for start in range(0, len(items), 10_000):
        chunk = items[start : start + 10_000]
        client.hset(keys.RIDERS, mapping={r: "ok" if ok else "blocked" for r, ok in chunk})
