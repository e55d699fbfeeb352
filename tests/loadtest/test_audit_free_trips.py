"""The load test's audit expects no invoice for a trip that cost nothing, and one for each
paid trip."""

from __future__ import annotations

from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.settings import Settings
from loadtest.audit import audit_run
from loadtest.journal import Expectations
from tests.builders import gate_ids, make_batcher, ride
from trips.models import Trip

System = tuple[TestClient, dict[str, Any], Settings]


def _trips(system: System, engine: Engine, redis_client: redis.Redis) -> dict[str, int]:
    """An adult's and a senior's (free) metro trip: each trip's event id and fare."""
    client, creds, settings = system
    gates = gate_ids(creds)
    for category in ("adult", "senior"):
        rider = next(r["id"] for r in creds["riders"] if r["category"] == category)
        ride(client, creds, rider, gates[0], gates[2])
    assert make_batcher(engine, redis_client, settings).drain() == 2
    with Session(engine) as session:
        rows = session.execute(select(col(Trip.event_id), col(Trip.fare_fen)))
        return {event_id: fare for event_id, fare in rows}


def _audit(engine: Engine, expected: Expectations) -> list[str]:
    # Every block: the first one's height is 0.
    check = audit_run(engine, None, expected, id_prefix="", from_height=-1, block_seen_ms={})
    return check.problems


def test_a_free_trip_without_an_invoice_is_complete(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    fares = _trips(system, engine, redis_client)
    assert sorted(fares.values())[0] == 0 < sorted(fares.values())[1]
    assert _audit(engine, Expectations(exactly_once=set(fares))) == []
    assert _audit(engine, Expectations(at_most_once=set(fares))) == []


def test_a_paid_trip_without_its_invoice_row_is_incomplete(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    fares = _trips(system, engine, redis_client)
    paid = next(event_id for event_id, fare in fares.items() if fare > 0)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM invoices WHERE trip_event_id = :e"), {"e": paid})
    for expected in (Expectations(exactly_once=set(fares)), Expectations(at_most_once=set(fares))):
        assert _audit(engine, expected) == [
            f"1 trip-ends without their full set of records and rows: {paid}"
        ]
