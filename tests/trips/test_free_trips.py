"""A trip that costs nothing is recorded with its zero charge and gets no invoice."""

from __future__ import annotations

import json
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.settings import Settings
from invoicing.anomalies import find_anomalies
from invoicing.models import Invoice
from ledger.models import LedgerRecord
from tests.builders import gate_ids, make_batcher, minutes_ago, ride, rider_headers, run_audit
from trips.audit import check_paid_trips_invoiced
from trips.models import Charge, Trip

System = tuple[TestClient, dict[str, Any], Settings]


def _rider(creds: dict[str, Any], category: str) -> str:
    return str(next(r["id"] for r in creds["riders"] if r["category"] == category))


def _ride_both(system: System, engine: Engine, redis_client: redis.Redis) -> tuple[str, str]:
    """An adult, a senior (free on the metro), then the adult again; the two riders."""
    client, creds, settings = system
    adult, senior = _rider(creds, "adult"), _rider(creds, "senior")
    gates = gate_ids(creds)
    for rider in (adult, senior, adult):
        ride(client, creds, rider, gates[0], gates[1])
    assert make_batcher(engine, redis_client, settings).drain() == 3
    return adult, senior


def test_a_free_trip_is_on_the_ledger_with_its_zero_charge_and_no_invoice(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    adult, senior = _ride_both(system, engine, redis_client)
    with Session(engine) as session:
        (free,) = session.scalars(select(Trip).where(col(Trip.rider_id) == senior)).all()
        assert free.fare_fen == 0
        charge = session.scalars(
            select(Charge).where(col(Charge.trip_event_id) == free.event_id)
        ).one()
        assert charge.amount_fen == 0
        kinds = [
            (kind, json.loads(body).get("trip_event_id"))
            for kind, body in session.execute(
                select(col(LedgerRecord.type), col(LedgerRecord.body)).order_by(
                    col(LedgerRecord.idx)
                )
            )
        ]
        assert ("charge", free.event_id) in kinds
        assert ("invoice", free.event_id) not in kinds
        assert session.scalar(select(func.count()).select_from(Invoice)) == 2
        paid = session.scalars(select(Invoice).order_by(col(Invoice.record_index))).all()
        assert {i.rider_id for i in paid} == {adult} and all(i.total_fen > 0 for i in paid)
        # No number was reserved for the free trip: the adult's two are consecutive.
        assert int(paid[1].number) == int(paid[0].number) + 1
        assert find_anomalies(session, now=minutes_ago(-1)) == []
    assert run_audit(engine, system[2]) is None


def test_my_trips_say_which_trips_have_an_invoice(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    adult, senior = _ride_both(system, engine, redis_client)
    (free,) = client.get("/v1/me/trips", headers=rider_headers(creds, senior)).json()
    assert (free["fare_fen"], free["invoiced"], free["invoice_number"]) == (0, False, None)
    mine = client.get("/v1/me/trips", headers=rider_headers(creds, adult)).json()
    invoices = client.get("/v1/me/invoices", headers=rider_headers(creds, adult)).json()
    by_trip = {i["trip_event_id"]: i["number"] for i in invoices}
    assert len(mine) == 2 and all(t["invoiced"] for t in mine)
    assert {t["event_id"]: t["invoice_number"] for t in mine} == by_trip


def test_a_paid_trip_without_an_invoice_is_named_and_a_free_one_is_not(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    adult, _ = _ride_both(system, engine, redis_client)
    with Session(engine) as session:
        assert check_paid_trips_invoiced(session) is None
        first = session.scalars(
            select(Trip).where(col(Trip.rider_id) == adult).order_by(col(Trip.record_index))
        ).first()
        assert first is not None
        session.execute(delete(Invoice).where(col(Invoice.trip_event_id) == first.event_id))
        problem = check_paid_trips_invoiced(session)
    assert problem == (
        f"record {first.record_index}: trip {first.event_id} was charged {first.fare_fen} fen "
        "and has no invoice"
    )
