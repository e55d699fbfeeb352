"""Defence in depth: the batcher dead-letters an impossible trip that reached the stream,
and the tax bureau's anomaly report names the possible-but-unusual ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import select

from farechain.settings import Settings
from farechain.stream_key import stream_mac_key
from gates import keys
from gates.stream import encode_event
from tests.builders import device, gate_tap_on_stream, make_batcher, ride_code, run_audit, tap
from trips.models import Trip


def _taxi_end(event_id: str, minutes: float, distance_m: int, waiting_s: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "event_id": event_id,
        "device": "taxi-1",
        "operator": "sz-taxi",
        "started_at": (now - timedelta(minutes=minutes)).isoformat(),
        "at": now.isoformat(),
        "distance_m": distance_m,
        "waiting_s": waiting_s,
        "received_ms": 0,
    }


def test_impossible_trips_on_the_stream_are_dead_lettered_not_charged(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    _, creds, settings = system
    operator = next(d for d in creds["devices"] if d["id"] == "taxi-1")["operator"]
    now = datetime.now(UTC)
    # What the audit wrote with redis-cli, here sealed with the stream key (an insider
    # holding it): the batcher's own plausibility check still refuses them.
    events = [
        {
            "rider": "r0000001",
            "mode": "taxi",
            "start": None,
            "end": {**_taxi_end("far", 40, 900_000, 0), "operator": operator},
        },
        {
            "rider": "r0000001",
            "mode": "metro",
            "start": gate_tap_on_stream("in", now.isoformat(), "luohu"),
            "end": gate_tap_on_stream(
                "out", (now - timedelta(minutes=30)).isoformat(), "shenzhen-north"
            ),
        },
        {
            "rider": "r0000001",
            "mode": "taxi",
            "start": None,
            "end": {**_taxi_end("fine", 25, 12_000, 60), "operator": operator},
        },
    ]
    for event in events:
        redis_client.xadd(keys.STREAM, encode_event(event, stream_mac_key(settings)))  # type: ignore[arg-type]
    assert make_batcher(engine, redis_client, settings).drain() == 1
    with Session(engine) as session:
        assert list(session.scalars(select(Trip.event_id))) == ["fine"]
    dead: Any = redis_client.xrange(keys.DEAD_LETTERS)
    reasons = {f[b"event_id"].decode(): f[b"reason"].decode() for _, f in dead}
    assert set(reasons) == {"far", "out"}
    assert "km/h" in reasons["far"] and "before it starts" in reasons["out"]
    assert run_audit(engine, settings) is None


def test_the_anomaly_report_names_unusual_trips(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    meter, headers = device(creds, "taxi-1")
    now = datetime.now(UTC)

    def report(event_id: str, minutes: float, distance_m: int, waiting_s: int) -> None:
        trip = {
            "event_id": event_id,
            "ride_code": ride_code("r0000002", now),
            "started_at": (now - timedelta(minutes=minutes)).isoformat(),
            "ended_at": now.isoformat(),
            "distance_m": distance_m,
            "waiting_s": waiting_s,
        }
        answer = client.post(f"/v1/devices/{meter}/trips", json=trip, headers=headers)
        assert answer.status_code == 202, answer.text

    report("fast", 30, 50_000, 0)  # 100 km/h
    report("waits", 20, 3_000, 900)  # 15 of 20 minutes waiting
    report("ordinary", 25, 12_000, 120)
    gate, gate_headers = device(creds, "gate-szmc-luohu")
    entry = tap("r0000003", "entry", at=now - timedelta(hours=5))
    exit_ = tap("r0000003", "exit", at=now)
    client.post(f"/v1/devices/{gate}/taps", json=entry, headers=gate_headers)
    client.post(f"/v1/devices/{gate}/taps", json=exit_, headers=gate_headers)
    assert make_batcher(engine, redis_client, settings).drain() == 4
    tax = {"Authorization": f"Bearer {creds['tax_bureau']['token']}"}
    found = client.get("/v1/tax/anomalies", headers=tax).json()
    by_kind = {a["kind"]: a for a in found}
    assert sorted(by_kind) == ["long_metro_trip", "long_taxi_wait", "unusual_taxi_speed"]
    assert by_kind["unusual_taxi_speed"]["detail"].startswith("trip fast: ")
    assert "100 km/h" in by_kind["unusual_taxi_speed"]["detail"]
    assert "got 900 s of 1200 s" in by_kind["long_taxi_wait"]["detail"]
    assert by_kind["long_metro_trip"]["detail"].startswith(f"trip {exit_['event_id']}")
    assert all(len(a["numbers"]) == 1 for a in found)
