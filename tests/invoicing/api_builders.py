"""Typed helpers for the e-invoicing API tests: trips through the real path, headers, keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.settings import Settings
from invoicing.models import Invoice
from tests import builders
from tests.builders import ride, rider_headers
from trips.batcher import Batcher

RIDER_A = "r0000001"  # the demo's default title: company 0
RIDER_B = "r0000002"  # individual default; company 1 saved as a title


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
    """Ride once per entry of `riders`, seal, and return the new invoices' numbers in order."""
    gates = sorted(d["id"] for d in creds["devices"] if d["kind"] == "gate")
    with Session(engine) as session:
        before = set(session.scalars(select(col(Invoice.number))))
    for n, rider in enumerate(riders):
        ride(client, creds, rider, gates[n % len(gates)], gates[(n * 7 + 3) % len(gates)])
    make_batcher(engine, redis_client, settings).drain()
    with Session(engine) as session:
        rows = session.scalars(select(Invoice).order_by(col(Invoice.record_index))).all()
        numbers = [r.number for r in rows if r.number not in before]
    assert len(numbers) == len(riders)
    return numbers


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
