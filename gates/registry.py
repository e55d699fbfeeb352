"""The edge's view of devices and riders, kept in Redis so a tap needs no database.

The database is the source of truth; `farechain up` and the seed publish it here, so
a Redis that lost its data is refilled at the next start.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import redis
import redis.asyncio as aioredis

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


def deny_rider(client: redis.Redis, rider_id: str, *, reason: str, owed_fen: int = 0) -> None:
    """Put a rider on the deny list with the reason the gate will show."""
    with client.pipeline() as pipe:
        pipe.hset(keys.DENY, rider_id, json.dumps({"reason": reason, "owed_fen": owed_fen}))
        pipe.hset(keys.RIDERS, rider_id, "blocked")
        pipe.execute()


def allow_rider(client: redis.Redis, rider_id: str) -> None:
    with client.pipeline() as pipe:
        pipe.hdel(keys.DENY, rider_id)
        pipe.hset(keys.RIDERS, rider_id, "ok")
        pipe.execute()


Revoked = Sequence[tuple[str, int]]  # (certificate serial hex, valid_until unix s)


def publish_revoked(client: redis.Redis, revoked: Revoked) -> None:
    """Every revoked certificate still valid (at start-up, from the database)."""
    with client.pipeline() as pipe:
        pipe.zremrangebyscore(keys.REVOKED_CERTIFICATES, "-inf", int(time.time()))
        if revoked:
            pipe.zadd(keys.REVOKED_CERTIFICATES, dict(revoked))
        pipe.execute()


async def revoke_serials(client: aioredis.Redis, revoked: Revoked) -> None:
    """Refuse these certificates at every gate from now on (a lost phone)."""
    async with client.pipeline() as pipe:
        pipe.zremrangebyscore(keys.REVOKED_CERTIFICATES, "-inf", int(time.time()))
        if revoked:
            pipe.zadd(keys.REVOKED_CERTIFICATES, dict(revoked))
        await pipe.execute()
