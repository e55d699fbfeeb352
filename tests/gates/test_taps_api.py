"""The device API against a real Redis: pairing, idempotency and every input error."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
import redis
import redis.asyncio as aioredis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import fare
from farechain.app import create_app, make_tap_desk
from gates import keys
from gates.edge import MAX_BODY_BYTES, DeviceEdge
from gates.sweeper import Sweeper
from tests.builders import (
    device,
    make_settings,
    make_world,
    minutes_ago,
    ride_code,
    stream_events,
    tap,
)
from trips.models import Rider
from trips.seed import publish_registry

GATE_A = "gate-szmc-luohu"
GATE_B = "gate-szmc-shenzhen-north"
GATE_MTR_ONLY = "gate-mtr-sz-minle"


# Every test runs through both doors to the device routes: the DeviceEdge middleware
# and FastAPI's own routing. They must give the same answers.
# (conftest's `both_doors`, under the name these tests use)
@pytest.fixture
def world(both_doors: tuple[TestClient, dict[str, Any]]) -> tuple[TestClient, dict[str, Any]]:
    return both_doors


def _post(client: TestClient, creds: dict[str, Any], device_id: str, body: object) -> Any:
    device_id, headers = device(creds, device_id)
    return client.post(f"/v1/devices/{device_id}/taps", json=body, headers=headers)


def test_entry_then_exit_makes_one_trip_end_with_both_taps(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
    entry = _post(client, creds, GATE_A, tap("r0000001", "entry", at=minutes_ago(20)))
    assert entry.status_code == 202 and entry.json()["status"] == "opened"
    assert stream_events(redis_client) == []
    exit_ = _post(client, creds, GATE_B, tap("r0000001", "exit"))
    assert exit_.json()["status"] == "closed"
    [event] = stream_events(redis_client)
    assert event["start"]["station"] == "luohu"
    assert event["end"]["station"] == "shenzhen-north"
    assert redis_client.zcard(keys.OPEN_JOURNEYS) == 0


def test_the_same_tap_three_times_is_one_tap(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
    body = tap("r0000002", "exit")
    answers = [_post(client, creds, GATE_A, body) for _ in range(3)]
    assert [a.json() for a in answers] == [answers[0].json()] * 3
    assert [a.headers["Idempotent-Replayed"] for a in answers] == ["false", "true", "true"]
    assert len(stream_events(redis_client)) == 1


def test_exit_without_entry_is_an_incomplete_trip_end(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
    answer = _post(client, creds, GATE_A, tap("r0000001", "exit"))
    assert answer.json()["status"] == "incomplete"
    [event] = stream_events(redis_client)
    assert event["start"] is None and event["end"]["station"] == "luohu"


def test_a_second_entry_closes_the_first_as_incomplete(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
    first = tap("r0000001", "entry", at=minutes_ago(30))
    _post(client, creds, GATE_A, first)
    _post(client, creds, GATE_B, tap("r0000001", "entry"))
    [event] = stream_events(redis_client)
    assert event["start"]["event_id"] == first["event_id"] and event["end"] is None


def test_the_sweeper_closes_entries_left_open_past_the_timeout(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
    _post(client, creds, GATE_A, tap("r0000001", "entry"))
    _post(client, creds, GATE_A, tap("r0000002", "entry"))
    sweeper = Sweeper(redis_client, journey_timeout_min=240)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    assert sweeper.sweep_once(now_ms) == 0
    assert sweeper.sweep_once(now_ms + 241 * 60_000) == 2
    assert {e["rider"] for e in stream_events(redis_client)} == {"r0000001", "r0000002"}
    # The riders' late exits now find no entry: incomplete, not paired with a swept one.
    assert _post(client, creds, GATE_B, tap("r0000001", "exit")).json()["status"] == "incomplete"


def test_bus_boarding_and_taxi_report_are_trip_ends_at_once(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
    bus = next(d["id"] for d in creds["devices"] if d["kind"] == "validator")
    assert _post(client, creds, bus, tap("r0000003", "board")).json()["status"] == "recorded"
    meter, headers = device(creds, "taxi-1")
    now = datetime.now(UTC)
    trip = {
        "event_id": "taxi-1-0001",
        "ride_code": ride_code("r0000003", now),
        "started_at": (now - timedelta(minutes=25)).isoformat(),
        "ended_at": now.isoformat(),
        "distance_m": 12_400,
        "waiting_s": 180,
    }
    answer = client.post(f"/v1/devices/{meter}/trips", json=trip, headers=headers)
    assert answer.status_code == 202, answer.text
    modes = [e["mode"] for e in stream_events(redis_client)]
    assert modes == ["bus", "taxi"]


def _assert_problem(answer: Any, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == status and words in body["detail"], body


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        (lambda b: {**b, "kind": "teleport"}, 422, "kind"),
        (lambda b: {k: v for k, v in b.items() if k != "ride_code"}, 422, "ride_code"),
        (lambda b: {**b, "at": "yesterday"}, 422, "at"),
        (lambda b: {**b, "at": "2026-01-01T08:00:00"}, 422, "timezone"),
        (lambda b: {**b, "ride_code": "r'; DROP"}, 422, "ride code"),
        (lambda b: {**b, "surprise": 1}, 422, "surprise"),
        (lambda b: {**b, "ride_code": ride_code("r9999999")}, 422, "no rider"),
        (
            lambda b: {**b, "at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
            422,
            "future",
        ),
        (lambda b: {**b, "at": (datetime.now(UTC) - timedelta(days=30)).isoformat()}, 422, "older"),
        (lambda b: {**b, "kind": "board"}, 422, "cannot record"),
        (lambda b: {**b, "station": "atlantis"}, 422, "no station"),
        (lambda b: {**b, "station": "minle"}, 403, "operated by mtr-sz"),
    ],
)
def test_bad_taps_get_a_problem_and_leave_no_trace(
    world: tuple[TestClient, dict[str, Any]],
    redis_client: redis.Redis,
    change: Any,
    status: int,
    words: str,
) -> None:
    client, creds = world
    answer = _post(client, creds, GATE_A, change(tap("r0000001", "entry")))
    _assert_problem(answer, status, words)
    assert stream_events(redis_client) == []
    assert redis_client.zcard(keys.OPEN_JOURNEYS) == 0


def test_device_errors(world: tuple[TestClient, dict[str, Any]]) -> None:
    client, creds = world
    body = tap("r0000001", "entry")
    _assert_problem(client.post(f"/v1/devices/{GATE_A}/taps", json=body), 401, "Bearer")
    wrong = {"Authorization": "Bearer not-the-token"}
    _assert_problem(
        client.post(f"/v1/devices/{GATE_A}/taps", json=body, headers=wrong), 401, "wrong token"
    )
    _, headers = device(creds, GATE_A)
    _assert_problem(
        client.post("/v1/devices/gate-nowhere/taps", json=body, headers=headers), 404, "no device"
    )
    raw = client.post(
        f"/v1/devices/{GATE_A}/taps",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    _assert_problem(raw, 422, "JSON")


def test_a_reused_event_id_with_another_body_is_a_conflict(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
    body = tap("r0000001", "exit")
    _post(client, creds, GATE_A, body)
    other = {**body, "ride_code": ride_code("r0000002")}
    _assert_problem(_post(client, creds, GATE_A, other), 409, "already")
    assert len(stream_events(redis_client)) == 1


def test_a_blocked_rider_is_refused(
    world: tuple[TestClient, dict[str, Any]], engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds = world
    with Session(engine) as session:
        session.execute(update(Rider).where(Rider.id == "r0000004").values(blocked=True))  # type: ignore[arg-type]
        session.commit()
        publish_registry(session, redis_client)
    _assert_problem(_post(client, creds, GATE_A, tap("r0000004", "entry")), 403, "blocked")


def test_taxi_trip_that_ends_before_it_starts_is_rejected(
    world: tuple[TestClient, dict[str, Any]],
) -> None:
    client, creds = world
    meter, headers = device(creds, "taxi-1")
    now = datetime.now(UTC)
    trip = {
        "event_id": "t-1",
        "ride_code": ride_code("r0000001", now - timedelta(minutes=5)),
        "started_at": now.isoformat(),
        "ended_at": (now - timedelta(minutes=5)).isoformat(),
        "distance_m": 100,
        "waiting_s": 0,
    }
    _assert_problem(
        client.post(f"/v1/devices/{meter}/trips", json=trip, headers=headers),
        422,
        "before started_at",
    )


def test_the_edge_serves_device_posts_and_passes_the_rest_on(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(var_dir, database_url, redis_url)
    creds = make_world(engine, redis_client, settings)
    gate, headers = device(creds, GATE_A)
    headers["Content-Type"] = "application/json"

    async def teapot(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def scenario() -> tuple[int | None, ...]:
        client = aioredis.Redis.from_url(redis_url)
        desk = make_tap_desk(settings, client, fare.load_tariffs().network_at(datetime.now(UTC)))
        edge = DeviceEdge(teapot)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope["app"] = SimpleNamespace(state=SimpleNamespace(tap_desk=desk))
            await edge(scope, receive, send)

        path = f"/v1/devices/{gate}/taps"
        body = orjson.dumps(tap("r0000001", "exit"))
        in_three = [body[:10], body[10:20], body[20:]]
        tapped = await _call(app, "POST", path, headers, _chunks(*in_three))
        gone = await _call(
            app, "POST", path, headers, [*_chunks(body[:10], more=True), _DISCONNECT]
        )
        listed = await _call(app, "GET", path, headers, _chunks(b""))
        other = await _call(app, "POST", "/v1/ledger/key", headers, _chunks(b""))
        await desk.aclose()
        await client.aclose()
        return tapped, gone, listed, other

    # A body in three parts is one tap; a client that leaves mid-body gets no answer
    # and records nothing; everything else goes on to the app behind.
    assert asyncio.run(scenario()) == (202, None, 418, 418)
    assert len(stream_events(redis_client)) == 1


_DISCONNECT: Message = {"type": "http.disconnect"}


def _chunks(*parts: bytes, more: bool = False) -> list[Message]:
    last = len(parts) - 1
    return [
        {"type": "http.request", "body": part, "more_body": more or i < last}
        for i, part in enumerate(parts)
    ]


async def _call(
    app: ASGIApp, method: str, path: str, headers: dict[str, str], messages: list[Message]
) -> int | None:
    """One request through an ASGI app, as a server would make it: its status, if any."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    pending = list(messages)
    statuses: list[int] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else _DISCONNECT

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))

    await app(scope, receive, send)
    return statuses[0] if statuses else None


def test_a_body_past_the_limit_is_refused_unread(
    world: tuple[TestClient, dict[str, Any]], redis_client: redis.Redis
) -> None:
    client, creds = world
    body = {**tap("r0000001", "entry"), "station": "x" * MAX_BODY_BYTES}
    _assert_problem(_post(client, creds, GATE_A, body), 413, str(MAX_BODY_BYTES))
    assert stream_events(redis_client) == []


@pytest.mark.parametrize("edge", [True, False], ids=["edge", "fastapi"])
def test_redis_down_is_a_503_to_resend_later(
    edge: bool,
    engine: Engine,
    redis_client: redis.Redis,
    var_dir: Path,
    database_url: str,
    redis_url: str,
) -> None:
    settings = make_settings(var_dir, database_url, redis_url)
    creds = make_world(engine, redis_client, settings)
    with socket.socket() as probe:  # a port nobody listens on: a real refused connection
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    with TestClient(create_app(down, device_edge=edge)) as client:
        answer = _post(client, creds, GATE_A, tap("r0000001", "entry"))
    _assert_problem(answer, 503, "same event_id")
    assert answer.headers["Retry-After"] == "1"


@pytest.mark.parametrize("edge", [True, False], ids=["edge", "fastapi"])
def test_an_unreadable_script_reply_is_a_500_problem(
    edge: bool,
    engine: Engine,
    redis_client: redis.Redis,
    var_dir: Path,
    database_url: str,
    redis_url: str,
) -> None:
    settings = make_settings(var_dir, database_url, redis_url)
    creds = make_world(engine, redis_client, settings)
    app = create_app(settings, device_edge=edge)
    with TestClient(app, raise_server_exceptions=False) as client:
        # A script that answers what no version of taps.lua answers: a bug, not bad input.
        network = fare.load_tariffs().network_at(datetime.now(UTC))
        app.state.tap_desk = make_tap_desk(settings, app.state.redis, network, script="return 42")
        answer = _post(client, creds, GATE_A, tap("r0000001", "entry"))
    _assert_problem(answer, 500, "failed")


def test_openapi_describes_the_device_request_bodies(
    world: tuple[TestClient, dict[str, Any]],
) -> None:
    client, _ = world
    paths = client.get("/openapi.json").json()["paths"]
    for path, fields in (("taps", {"kind", "at"}), ("trips", {"started_at", "distance_m"})):
        post = paths[f"/v1/devices/{{device_id}}/{path}"]["post"]
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        assert fields <= set(schema["properties"])
        assert "202" in post["responses"]
