"""Typed helpers for the e-invoicing API tests: trips through the real path, headers, keys."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

import fare
from farechain.settings import Settings
from invoicing.models import Invoice
from tests import builders
from tests.builders import device, minutes_ago, rider_headers, tap
from trips.batcher import Batcher

RIDER_A = "r0000001"  # the demo's default title: company 0
RIDER_B = "r0000002"  # individual default; company 1 saved as a title
_HOPS_PER_DAY = 10  # base fares (2 yuan) a day: under the daily cap of 25 yuan


def make_batcher(engine: Engine, client: redis.Redis, settings: Settings) -> Batcher:
    return builders.make_batcher(engine, client, settings, block_max_events=500)


def invoice_trips(
    client: TestClient,
    creds: dict[str, Any],
    engine: Engine,
    redis_client: redis.Redis,
    settings: Settings,
    riders: Sequence[str],
) -> list[str]:
    """Ride once per entry of `riders`, seal, and return the new invoices' numbers in order.

    Every trip must be invoiced, and a trip under a fare cap costs nothing and is not: so
    each is one short hop at the base fare, and a rider's trips go back a day every
    `_HOPS_PER_DAY` trips, which keeps each day's fares under the daily cap. A senior rides
    free: pass none."""
    with Session(engine) as session:
        before = set(session.scalars(select(col(Invoice.number))))
    hops = short_hops(creds)
    made: Counter[str] = Counter()
    for n, rider_id in enumerate(riders):
        days_back = made[rider_id] // _HOPS_PER_DAY
        made[rider_id] += 1
        entry, exit_ = hops[n % len(hops)]
        ride(client, creds, rider_id, entry, exit_, days_back=days_back)
    make_batcher(engine, redis_client, settings).drain()
    with Session(engine) as session:
        rows = session.scalars(select(Invoice).order_by(col(Invoice.record_index))).all()
        numbers = [r.number for r in rows if r.number not in before]
    assert len(numbers) == len(riders)
    return numbers


def short_hops(creds: dict[str, Any]) -> list[tuple[str, str]]:
    """Gate pairs of neighbouring stations on one line, at most 4 km apart: base fare."""
    gates = {d["id"] for d in creds["devices"] if d["kind"] == "gate"}
    network = fare.load_tariffs().network_at(datetime.now(UTC))
    hops = []
    for line in sorted(network.lines.values(), key=lambda line: line.id):
        for (a, km_a), (b, km_b) in itertools.pairwise(line.stops):
            pair = (f"gate-{line.operator}-{a}", f"gate-{line.operator}-{b}")
            if abs(km_b - km_a) <= 4_000 and set(pair) <= gates:
                hops.append(pair)
    assert hops
    return hops


def ride(
    client: TestClient,
    creds: dict[str, Any],
    rider_id: str,
    entry: str,
    exit_: str,
    *,
    days_back: int,
) -> None:
    """One metro trip, `days_back` days ago (the device API takes taps up to 72 h old)."""
    back = timedelta(days=days_back)
    for gate, body in (
        (entry, tap(rider_id, "entry", at=minutes_ago(40) - back)),
        (exit_, tap(rider_id, "exit", at=minutes_ago(10) - back)),
    ):
        device_id, headers = device(creds, gate)
        answer = client.post(f"/v1/devices/{device_id}/taps", json=body, headers=headers)
        assert answer.status_code == 202, answer.text


def company(creds: dict[str, Any], index: int = 0) -> tuple[str, dict[str, str]]:
    """A demo company's tax ID and the headers that sign in as it."""
    entry = creds["companies"][index]
    return entry["tax_id"], {"Authorization": f"Bearer {entry['token']}"}


def tax_headers(creds: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {creds['tax_bureau']['token']}"}


def rider(creds: dict[str, Any], rider_id: str) -> dict[str, str]:
    return rider_headers(creds, rider_id)


def log_keys(client: TestClient) -> list[str]:
    return [line for line in client.get("/v1/ledger/key").text.splitlines() if line]


def tree_size(client: TestClient) -> int:
    return int(client.get("/v1/ledger/blocks?limit=1").json()[0]["tree_size"])
