"""The edge refuses impossible trips with a problem saying why, and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from farechain.app import create_app
from gates import keys
from tests.builders import device, make_settings, make_world, ride_code, stream_events, tap

GATE_A = "gate-szmc-luohu"
GATE_B = "gate-szmc-shenzhen-north"


@pytest.fixture(params=[True, False], ids=["edge", "fastapi"])
def world(
    request: pytest.FixtureRequest,
    engine: Engine,
    redis_client: redis.Redis,
    var_dir: Path,
    database_url: str,
    redis_url: str,
) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    settings = make_settings(var_dir, database_url, redis_url)
    credentials = make_world(engine, redis_client, settings)
    with TestClient(create_app(settings, device_edge=request.param)) as client:
        yield client, credentials


def _tap(client: TestClient, creds: dict[str, Any], gate: str, body: object) -> Any:
    gate, headers = device(creds, gate)
    return client.post(f"/v1/devices/{gate}/taps", json=body, headers=headers)


def _impossible(answer: Any, words: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["title"] == "Impossible trip" and words in body["detail"], body


def test_an_exit_stamped_30_min_before_its_entry_is_refused_and_the_journey_stays_open(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
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
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
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
    world: tuple[TestClient, dict[str, Any]],
    redis_client: redis.Redis,
    minutes: float,
    distance_m: int,
    waiting_s: int,
    words: str,
) -> None:
    client, creds = world
    meter, headers = device(creds, "taxi-1")
    trip = _taxi(minutes, distance_m, waiting_s)
    _impossible(client.post(f"/v1/devices/{meter}/trips", json=trip, headers=headers), words)
    assert stream_events(redis_client) == []
    assert redis_client.exists(keys.idempotency(trip["event_id"])) == 0
