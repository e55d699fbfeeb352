"""The edge refuses impossible trips with a problem saying why, and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from gates import keys
from tests.builders import device, ride_code, stream_events, tap

GATE_A = "gate-szmc-luohu"
GATE_B = "gate-szmc-shenzhen-north"


def _tap(client: TestClient, creds: dict[str, Any], gate: str, body: object) -> Any:
    gate, headers = device(creds, gate)
    return client.post(f"/v1/devices/{gate}/taps", json=body, headers=headers)


def _impossible(answer: Any, words: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["title"] == "Impossible trip" and words in body["detail"], body


def test_an_exit_stamped_30_min_before_its_entry_is_refused_and_the_journey_stays_open(
    both_doors: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = both_doors
    now = datetime.now(UTC)
    assert _tap(client, creds, GATE_A, tap("r0000001", "entry", at=now)).status_code == 202
    early = tap("r0000001", "exit", at=now - timedelta(minutes=30))
    _impossible(_tap(client, creds, GATE_B, early), "before the entry")
    assert stream_events(redis_client) == []
    assert redis_client.zcard(keys.OPEN_JOURNEYS) == 1
    # The refusal wrote nothing, so the same event_id may carry the right exit later.
    again = {**tap("r0000001", "exit", at=now), "event_id": early["event_id"]}
    assert _tap(client, creds, GATE_B, again).json()["status"] == "closed"


def test_an_exit_within_the_gates_clock_skew_closes_the_journey(
    both_doors: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = both_doors
    now = datetime.now(UTC)
    _tap(client, creds, GATE_A, tap("r0000001", "entry", at=now))
    exit_ = tap("r0000001", "exit", at=now - timedelta(minutes=4))
    assert _tap(client, creds, GATE_B, exit_).json()["status"] == "closed"
    assert len(stream_events(redis_client)) == 1


def _taxi(minutes: float, distance_m: int, waiting_s: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "event_id": f"taxi-{minutes}-{distance_m}-{waiting_s}",
        "ride_code": ride_code("r0000003", now),
        "started_at": (now - timedelta(minutes=minutes)).isoformat(),
        "ended_at": now.isoformat(),
        "distance_m": distance_m,
        "waiting_s": waiting_s,
    }


@pytest.mark.parametrize(
    ("minutes", "distance_m", "waiting_s", "words"),
    [(19, 8_000, 86_400, "waited 86400 s"), (40, 900_000, 0, "1350 km/h")],
)
def test_impossible_taxi_reports_are_refused(
    both_doors: tuple[TestClient, dict[str, Any]],
    redis_client: redis.Redis,
    minutes: float,
    distance_m: int,
    waiting_s: int,
    words: str,
) -> None:
    client, creds = both_doors
    meter, headers = device(creds, "taxi-1")
    trip = _taxi(minutes, distance_m, waiting_s)
    _impossible(client.post(f"/v1/devices/{meter}/trips", json=trip, headers=headers), words)
    assert stream_events(redis_client) == []
    assert redis_client.exists(keys.idempotency(trip["event_id"])) == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"{}"),
        ("application/x-www-form-urlencoded", b"event_id=x&kind=entry"),
        (None, b"{}"),
    ],
)
def test_the_edge_reads_json_only(
    both_doors: tuple[TestClient, dict[str, Any]],
    redis_client: redis.Redis,
    content_type: str | None,
    body: bytes,
) -> None:
    client, creds = both_doors
    gate, headers = device(creds, GATE_A)
    raw = tap("r0000001", "entry")
    sent = body if body != b"{}" else orjson.dumps(raw)
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = client.post(f"/v1/devices/{gate}/taps", content=sent, headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "application/json" in answer.json()["detail"]
    assert stream_events(redis_client) == [] and redis_client.zcard(keys.OPEN_JOURNEYS) == 0
    headers["Content-Type"] = "application/json; charset=utf-8"
    answer = client.post(f"/v1/devices/{gate}/taps", content=orjson.dumps(raw), headers=headers)
    assert answer.status_code == 202, answer.text


@pytest.mark.parametrize(
    ("field", "value"),
    [("distance_m", "5000"), ("distance_m", True), ("waiting_s", 1.5), ("waiting_s", "0")],
)
def test_the_edge_coerces_no_types(
    both_doors: tuple[TestClient, dict[str, Any]],
    redis_client: redis.Redis,
    field: str,
    value: object,
) -> None:
    client, creds = both_doors
    meter, headers = device(creds, "taxi-1")
    trip = {**_taxi(25, 12_000, 60), field: value}
    answer = client.post(f"/v1/devices/{meter}/trips", json=trip, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == f"body.{field}"
    assert stream_events(redis_client) == []
