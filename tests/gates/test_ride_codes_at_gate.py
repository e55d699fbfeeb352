"""Every refusal of a ride code at the gate, through the API, against a real Redis:
a 4xx problem naming why, and no journey opened."""

from __future__ import annotations

import time
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
from gates.registry import allow_rider, deny_rider
from ridecodes.issuer import IssuerSigner, issue_certificate
from ridecodes.keyfiles import rotate_issuer_key
from ridecodes.phone import Phone
from ridecodes.wire import Category, b64url, from_b64url
from tests.builders import (
    TEST_ISSUER_SEED,
    device,
    make_settings,
    make_world,
    ride_code,
    rider_headers,
    rider_phone,
    stream_events,
    tap,
)

GATE = "gate-szmc-luohu"
World = tuple[TestClient, dict[str, Any]]


@pytest.fixture(params=[True, False], ids=["edge", "fastapi"])
def world(
    request: pytest.FixtureRequest,
    engine: Engine,
    redis_client: redis.Redis,
    var_dir: Path,
    database_url: str,
    redis_url: str,
) -> Iterator[World]:
    settings = make_settings(var_dir, database_url, redis_url)
    credentials = make_world(engine, redis_client, settings)
    with TestClient(create_app(settings, device_edge=request.param)) as client:
        yield client, credentials


def _tap(world: World, code: str, kind: str = "entry", at: datetime | None = None) -> Any:
    client, creds = world
    body = {**tap("r0000001", kind, at=at), "ride_code": code}
    device_id, headers = device(creds, GATE)
    return client.post(f"/v1/devices/{device_id}/taps", json=body, headers=headers)


def _refused(answer: Any, status: int, reason: str, words: str, client: redis.Redis) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["status"], problem["reason"]) == (status, reason), problem
    assert words in problem["detail"], problem
    assert stream_events(client) == [] and client.zcard(keys.OPEN_JOURNEYS) == 0


def _certified(signer: IssuerSigner, *, start: int, until: int, rider: str = "r0000001") -> Phone:
    phone = Phone()
    phone.certificate = issue_certificate(
        signer,
        rider=rider,
        phone_key=phone.public_key,
        valid_from=start,
        valid_until=until,
        category=Category.ADULT,
    ).to_bytes()
    return phone


def _now() -> int:
    return int(time.time())


def test_a_fresh_code_opens_a_journey_and_each_new_code_is_welcome(
    world: World, redis_client: redis.Redis
) -> None:
    assert _tap(world, ride_code("r0000001")).status_code == 202
    assert _tap(world, ride_code("r0000001"), "exit").json()["status"] == "closed"
    [event] = stream_events(redis_client)
    assert event["rider"] == "r0000001"


def test_a_replayed_code_is_refused_and_opens_nothing(
    world: World, redis_client: redis.Redis
) -> None:
    code = ride_code("r0000001")
    assert _tap(world, code, "exit").json()["status"] == "incomplete"
    again = _tap(world, code, "entry")  # another event_id, the same code shown again
    assert again.status_code == 409 and again.json()["reason"] == "replayed"
    assert "used already" in again.json()["detail"]
    assert len(stream_events(redis_client)) == 1 and redis_client.zcard(keys.OPEN_JOURNEYS) == 0
    ttl = redis_client.ttl(keys.ride_nonce(*_serial_and_nonce(code)))
    assert 0 < ttl <= 121  # both sides of the 60 s window


def _serial_and_nonce(code: str) -> tuple[bytes, bytes]:
    raw = from_b64url(code)
    return raw[5:13], raw[-72:-64]


def test_forged_truncated_and_garbled_codes(world: World, redis_client: redis.Redis) -> None:
    raw = bytearray(from_b64url(ride_code("r0000001")))
    raw[-1] ^= 0x01
    _refused(_tap(world, b64url(bytes(raw))), 403, "forged", "phone's signature", redis_client)
    raw[-1] ^= 0x01
    raw[40] ^= 0x80  # inside the phone key: the issuer's signature no longer covers it
    _refused(_tap(world, b64url(bytes(raw))), 403, "forged", "issuer's signature", redis_client)
    short = ride_code("r0000001")[:200]
    _refused(_tap(world, short), 422, "malformed", "expected 203 bytes", redis_client)
    _refused(_tap(world, "not a code!"), 422, "malformed", "base64url", redis_client)


def test_another_riders_certificate_under_my_phone_signature_is_forged(
    world: World, redis_client: redis.Redis
) -> None:
    thief = Phone()
    thief.certificate = rider_phone("r0000002").certificate
    code = thief.code_text(_now())
    _refused(_tap(world, code), 403, "forged", "phone's signature", redis_client)


def test_an_expired_or_not_yet_valid_certificate(world: World, redis_client: redis.Redis) -> None:
    issuer = IssuerSigner.from_seed(TEST_ISSUER_SEED)
    old = _certified(issuer, start=_now() - 3 * 86_400, until=_now() - 60)
    _refused(_tap(world, old.code_text(_now())), 403, "certificate_expired", "valid", redis_client)
    later = _certified(issuer, start=_now() + 3_600, until=_now() + 86_400)
    _refused(_tap(world, later.code_text(_now())), 403, "certificate_expired", "", redis_client)


@pytest.mark.parametrize(("off_s", "words"), [(-61, "before the scan"), (61, "ahead of")])
def test_a_phone_clock_off_by_more_than_the_window(
    world: World, redis_client: redis.Redis, off_s: int, words: str
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    code = rider_phone("r0000001").code_text(int(at.timestamp()) + off_s)
    _refused(_tap(world, code, at=at), 403, "clock_off", words, redis_client)


def test_a_certificate_from_an_unknown_issuer(world: World, redis_client: redis.Redis) -> None:
    stranger = IssuerSigner.generate()
    code = _certified(stranger, start=_now() - 60, until=_now() + 600).code_text(_now())
    _refused(_tap(world, code), 403, "unknown_issuer_key", stranger.key_id.hex(), redis_client)


def test_rotation_keeps_old_certificates_and_refuses_new_ones_from_the_retired_key(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(var_dir, database_url, redis_url)
    creds = make_world(engine, redis_client, settings)
    old = IssuerSigner.from_seed(TEST_ISSUER_SEED)
    before = rider_phone("r0000001")  # certified before the rotation
    new = rotate_issuer_key(
        settings.ride_issuer_key_path, settings.ride_issuer_set_path, now=_now(), max_span_s=10**6
    )
    minted = _certified(old, start=_now() + 1, until=_now() + 600)
    fresh = _certified(new, start=_now() - 60, until=_now() + 600)
    with TestClient(create_app(settings)) as client:
        world = (client, creds)
        assert _tap(world, before.code_text(_now())).status_code == 202
        assert _tap(world, fresh.code_text(_now()), "exit").status_code == 202
        refused = _tap(world, minted.code_text(_now() + 1), at=datetime.now(UTC))
        keys_document = client.get("/v1/ride-codes/issuer-keys").json()
    assert refused.status_code == 403 and refused.json()["reason"] == "retired_issuer_key"
    assert [k["retired_at"] is None for k in keys_document["keys"]] == [False, True]
    assert len(stream_events(redis_client)) == 1  # the entry and exit made one trip


def test_a_revoked_phone_is_refused_at_once(world: World, redis_client: redis.Redis) -> None:
    client, creds = world
    headers = rider_headers(creds, "r0000001")
    phone = Phone()
    enrolled = client.post(
        "/v1/me/phones",
        json={"public_key": b64url(phone.public_key), "label": "old phone"},
        headers=headers,
    )
    assert enrolled.status_code == 201, enrolled.text
    phone.certificate = from_b64url(enrolled.json()["certificate"])
    assert _tap(world, phone.code_text(_now()), "exit").status_code == 202
    phone_id = enrolled.json()["phone_id"]
    assert client.delete(f"/v1/me/phones/{phone_id}", headers=headers).status_code == 204
    redis_client.delete(keys.STREAM)
    _refused(_tap(world, phone.code_text(_now())), 403, "revoked", "revoked", redis_client)
    # Other phones of the rider are not affected.
    assert _tap(world, ride_code("r0000001")).status_code == 202


def test_a_rider_on_the_deny_list_is_refused_with_the_amount_owed(
    world: World, redis_client: redis.Redis
) -> None:
    deny_rider(redis_client, "r0000001", reason="unpaid fares", owed_fen=1234)
    answer = _tap(world, ride_code("r0000001"))
    _refused(answer, 403, "blocked", "unpaid fares; owes 12.34 yuan", redis_client)
    assert answer.json()["owed_fen"] == 1234
    allow_rider(redis_client, "r0000001")
    assert _tap(world, ride_code("r0000001")).status_code == 202


def test_a_taxi_meter_scans_the_code_at_the_trips_end(
    world: World, redis_client: redis.Redis
) -> None:
    client, creds = world
    meter, headers = device(creds, "taxi-2")
    ended = datetime.now(UTC)
    trip = {
        "event_id": "taxi-2-0001",
        "ride_code": ride_code("r0000003", ended),
        "started_at": (ended - timedelta(minutes=20)).isoformat(),
        "ended_at": ended.isoformat(),
        "distance_m": 8_000,
        "waiting_s": 60,
    }
    assert client.post(f"/v1/devices/{meter}/trips", json=trip, headers=headers).status_code == 202
    again = {**trip, "event_id": "taxi-2-0002"}
    replay = client.post(f"/v1/devices/{meter}/trips", json=again, headers=headers)
    assert replay.status_code == 409 and replay.json()["reason"] == "replayed"
    assert [e["rider"] for e in stream_events(redis_client)] == ["r0000003"]
