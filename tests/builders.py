"""Typed builders for tests: settings, a seeded demo world, tap bodies with ride codes."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import fare
from farechain import ride_codes
from farechain.settings import Settings
from farechain.stream_key import stream_mac_key
from ledger import keyfiles
from ledger.store import LedgerWriter
from ridecodes.issuer import IssuerSigner, issue_certificate
from ridecodes.phone import Phone
from ridecodes.wire import Category
from trips.audit import audit
from trips.batcher import Batcher, BatcherLimits
from trips.sealer import Sealer
from trips.seed import seed


def make_settings(var_dir: Path, database_url: str, redis_url: str) -> Settings:
    return Settings(var_dir=var_dir, database_url=database_url, redis_url=redis_url)


def make_world(
    engine: Engine, client: redis.Redis, settings: Settings, *, riders: int = 5
) -> dict[str, Any]:
    """Seed the demo world, the log key and the ride-code issuer key (TEST_ISSUER_SEED,
    so `ride_code` makes codes its gates accept); returns the demo credentials."""
    keyfiles.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
    ride_codes.ensure_issuer_key(settings, seed=TEST_ISSUER_SEED)
    with Session(engine) as session:
        world = seed(
            session,
            client,
            fare.load_tariffs(),
            riders=riders,
            credentials_path=settings.var_dir / "demo-credentials.json",
        )
    return world.credentials


TEST_ISSUER_SEED = hashlib.sha256(b"farechain test ride-code issuer").digest()
_PHONES: dict[str, Phone] = {}


def rider_phone(rider: str, *, signer: IssuerSigner | None = None) -> Phone:
    """The rider's phone (one per rider and test session), certified for days either side."""
    phone = _PHONES.get(rider) if signer is None else None
    if phone is None:
        phone = Phone()
        now = int(datetime.now(UTC).timestamp())
        phone.certificate = issue_certificate(
            signer or IssuerSigner.from_seed(TEST_ISSUER_SEED),
            rider=rider,
            phone_key=phone.public_key,
            valid_from=now - 4 * 86_400,
            valid_until=now + 4 * 86_400,
            category=Category.ADULT,
        ).to_bytes()
        if signer is None:
            _PHONES[rider] = phone
    return phone


def ride_code(rider: str, at: datetime | None = None) -> str:
    """A fresh code from the rider's phone, made at `at` (the scan's time)."""
    return rider_phone(rider).code_text(int((at or datetime.now(UTC)).timestamp()))


def device(credentials: dict[str, Any], device_id: str) -> tuple[str, dict[str, str]]:
    """The device's id and the headers that authenticate it."""
    token = next(d["token"] for d in credentials["devices"] if d["id"] == device_id)
    return device_id, {"Authorization": f"Bearer {token}"}


def rider_headers(credentials: dict[str, Any], rider_id: str) -> dict[str, str]:
    token = next(r["token"] for r in credentials["riders"] if r["id"] == rider_id)
    return {"Authorization": f"Bearer {token}"}


def tap(
    rider: str,
    kind: str,
    *,
    at: datetime | None = None,
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    moment = at or datetime.now(UTC)
    return {
        "event_id": event_id or uuid.uuid4().hex,
        "ride_code": ride_code(rider, moment),
        "kind": kind,
        "at": moment.isoformat(),
        **extra,
    }


def gate_tap_on_stream(
    event_id: str, at: str, station: str, *, received_ms: int = 0
) -> dict[str, Any]:
    """A metro gate's tap as gates/taps.lua puts it in a trip-end event."""
    return {
        "event_id": event_id,
        "device": f"gate-szmc-{station}",
        "operator": "szmc",
        "at": at,
        "received_ms": received_ms,
        "station": station,
    }


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def stream_events(client: redis.Redis) -> list[dict[str, Any]]:
    from gates import keys

    entries: Any = client.xrange(keys.STREAM)
    return [json.loads(fields[b"e"]) for _, fields in entries]


def make_batcher(engine: Engine, client: redis.Redis, settings: Settings, **limits: int) -> Batcher:
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    sealer = Sealer(
        book=fare.load_tariffs(),
        writer=LedgerWriter(origin=settings.ledger.origin, signers=signers),
    )
    return Batcher(
        client=client,
        engine=engine,
        sealer=sealer,
        limits=BatcherLimits(
            block_max_events=limits.get("block_max_events", 100),
            block_max_wait_ms=limits.get("block_max_wait_ms", 20),
            reclaim_idle_ms=60_000,
        ),
        stream_key=stream_mac_key(settings),
    )


def run_audit(engine: Engine, settings: Settings) -> str | None:
    with Session(engine) as session:
        return run_audit_in(session, settings)


def run_audit_in(session: Session, settings: Settings) -> str | None:
    """The audit's first problem (None: all good), in the caller's session."""
    return audit(
        session,
        verifier_keys=keyfiles.load_verifier_keys(settings.ledger_public_keys_path),
        witness_keys=keyfiles.load_verifier_keys(settings.witness_keys_path),
        origin=settings.ledger.origin,
    ).problem


def gate_ids(creds: dict[str, Any]) -> list[str]:
    return [d["id"] for d in creds["devices"] if d["kind"] == "gate"]


def post_trips(client: TestClient, creds: dict[str, Any], count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    gates = gate_ids(creds)
    riders = [r["id"] for r in creds["riders"]]
    for n in range(count):
        entry_gate, exit_gate = rng.sample(gates, 2)
        ride(client, creds, riders[n % len(riders)], entry_gate, exit_gate)


def ride(client: TestClient, creds: dict[str, Any], rider: str, entry: str, exit_: str) -> None:
    """One metro trip: tap in at gate `entry`, out at gate `exit_`."""
    for gate, body in (
        (entry, tap(rider, "entry", at=minutes_ago(40))),
        (exit_, tap(rider, "exit", at=minutes_ago(10))),
    ):
        device_id, headers = device(creds, gate)
        answer = client.post(f"/v1/devices/{device_id}/taps", json=body, headers=headers)
        assert answer.status_code == 202, answer.text
