"""Only the edge's trip-ends are priced: one written to Redis by anyone else is not.

The attack of issue 20: with Redis reachable, `XADD fc:trip-ends` of a 900 km taxi trip
was sealed and charged 3,738 yuan with no device token. Now each tap on the stream
carries the edge's MAC (gates/stream.py) and the batcher dead-letters what lacks it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlalchemy.orm import Session
from sqlmodel import select

from farechain.settings import Settings
from gates import keys
from gates.stream import encode_event, new_stream_key, parse_stream_key
from ledger.models import LedgerRecord
from tests.builders import device, make_batcher, ride, ride_code, run_audit
from trips.models import Trip


def _dead_letters(client: redis.Redis) -> list[str]:
    entries: Any = client.xrange(keys.DEAD_LETTERS)
    return [fields[b"reason"].decode() for _, fields in entries]


def _ledger_text(engine: Engine) -> str:
    with Session(engine) as session:
        bodies = session.scalars(select(LedgerRecord.body))
        return "\n".join(body.decode("utf-8", "replace") for body in bodies)


def test_a_forged_900_km_taxi_trip_never_reaches_the_ledger(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    rider = creds["riders"][0]["id"]
    gates = [d["id"] for d in creds["devices"] if d["kind"] == "gate"]
    ride(client, creds, rider, gates[0], gates[1])  # one genuine trip in the same block
    meter, headers = device(creds, "taxi-1")
    now = datetime.now(UTC)
    genuine_taxi = {
        "event_id": "taxi-genuine",
        "ride_code": ride_code(rider, now),
        "started_at": (now - timedelta(minutes=30)).isoformat(),
        "ended_at": now.isoformat(),
        "distance_m": 9_000,
        "waiting_s": 60,
    }
    answer = client.post(f"/v1/devices/{meter}/trips", json=genuine_taxi, headers=headers)
    assert answer.status_code == 202, answer.text
    entries: Any = redis_client.xrange(keys.STREAM)
    genuine = json.loads(entries[-1][1][b"e"])
    assert genuine["end"]["event_id"] == "taxi-genuine"

    def copy(event_id: str, *, keep_mac: bool) -> dict[str, Any]:
        """The genuine taxi trip-end as another trip of 900 km, valid in all but its seal."""
        end = {**genuine["end"], "event_id": event_id, "distance_m": 900_000}
        if not keep_mac:
            del end["mac"]
        return {**genuine, "end": end}

    # What redis-cli XADD puts there: no MAC at all.
    redis_client.xadd(keys.STREAM, {"e": json.dumps(copy("forged-900km", keep_mac=False))})
    # A genuine entry with its distance raised: its MAC no longer fits.
    redis_client.xadd(keys.STREAM, {"e": json.dumps(copy("altered-900km", keep_mac=True))})
    # Sealed well, but under a key that is not this system's.
    stranger = parse_stream_key(new_stream_key())
    other = copy("other-key-900km", keep_mac=False)
    redis_client.xadd(keys.STREAM, encode_event(other, stranger))  # type: ignore[arg-type]

    assert make_batcher(engine, redis_client, settings).drain() == 2

    with Session(engine) as session:
        sealed = set(session.scalars(select(Trip.event_id)))
        longest = session.scalar(select(func.max(Trip.distance_m)))
    assert "taxi-genuine" in sealed and len(sealed) == 2
    assert longest is not None and longest < 100_000
    ledger = _ledger_text(engine)
    for event_id in ("forged-900km", "altered-900km", "other-key-900km"):
        assert event_id not in ledger
    letters = _dead_letters(redis_client)
    assert len(letters) == 3
    assert all("does not carry the edge's MAC" in reason for reason in letters)
    assert "'forged-900km'" in letters[0] and "(none)" in letters[0]
    assert "'altered-900km'" in letters[1] and "(a wrong one)" in letters[1]
    assert redis_client.xlen(keys.STREAM) == 0  # handled once, not retried forever
    assert run_audit(engine, settings) is None
