"""The whole path: device API → Redis stream → batcher → signed blocks, and the audit."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, text, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.settings import Settings
from invoicing.models import Invoice
from ledger.models import Block, LedgerRecord
from tests.builders import (
    device,
    gate_ids,
    make_batcher,
    minutes_ago,
    post_trips,
    rider_headers,
    run_audit,
    tap,
)
from trips.models import Charge, Rider, Trip


def test_the_same_tap_three_times_is_one_trip_one_invoice_one_charge(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    gate, headers = device(creds, gate_ids(creds)[0])
    body = tap("r0000001", "exit")
    for _ in range(3):
        client.post(f"/v1/devices/{gate}/taps", json=body, headers=headers)
    make_batcher(engine, redis_client, settings).drain()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Trip)) == 1
        assert session.scalar(select(func.count()).select_from(Charge)) == 1
        assert session.scalar(select(func.count()).select_from(Invoice)) == 1
        trip = session.scalars(select(Trip)).one()
        assert trip.event_id == body["event_id"] and trip.incomplete


def test_trips_are_priced_charged_invoiced_and_sealed_in_signed_blocks(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 120)
    assert make_batcher(engine, redis_client, settings, block_max_events=50).drain() == 120
    with Session(engine) as session:
        trips = session.scalars(select(Trip)).all()
        adults = {r["id"] for r in creds["riders"] if r["category"] == "adult"}
        assert len(trips) == 120
        assert all(t.fare_fen >= 200 for t in trips if t.rider_id in adults)
        invoices = session.scalars(select(Invoice)).all()
        # Seniors ride the metro free: their trips are charged 0 fen and not invoiced.
        paid = sorted(t.event_id for t in trips if t.fare_fen > 0)
        assert 0 < len(paid) < 120
        assert sorted(i.trip_event_id for i in invoices) == paid
        assert all(i.base_fen + i.tax_fen == i.total_fen > 0 for i in invoices)
        assert len({i.number for i in invoices}) == len(paid)
        assert all(len(i.number) == 20 and i.number.isdigit() for i in invoices)
        blocks = session.scalars(select(Block).order_by(col(Block.height))).all()
        # A trip and a charge record for each trip, an invoice record for each paid one.
        assert len(blocks) >= 3 and blocks[-1].tree_size == 240 + len(paid)
        assert [b.prev_hash for b in blocks[1:]] == [b.block_hash for b in blocks[:-1]]
        charged = session.scalar(select(func.sum(Charge.amount_fen))) or 0
        balances = session.scalar(select(func.sum(Rider.balance_fen)))
        assert charged > 0 and balances == -charged
    assert run_audit(engine, settings) is None
    # The rider sees the trips, with the quote that explains each fare.
    mine = client.get("/v1/me/trips", headers=rider_headers(creds, "r0000001")).json()
    assert len(mine) == 3 and all(t["quote"]["amount_fen"] == t["fare_fen"] for t in mine)
    blocks_api = client.get("/v1/ledger/blocks").json()
    assert blocks_api[0]["tree_size"] == 240 + len(paid)


def test_a_rider_cannot_read_another_riders_invoice(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 2)
    make_batcher(engine, redis_client, settings).drain()
    with Session(engine) as session:
        invoice = session.scalars(
            select(Invoice).where(col(Invoice.rider_id) == "r0000001")
        ).first()
    assert invoice is not None
    own = client.get(f"/v1/me/invoices/{invoice.number}", headers=rider_headers(creds, "r0000001"))
    assert own.status_code == 200 and own.json()["total_fen"] == invoice.total_fen
    other = client.get(
        f"/v1/me/invoices/{invoice.number}", headers=rider_headers(creds, "r0000002")
    )
    assert other.status_code == 404
    assert client.get("/v1/me/invoices").status_code == 401


@pytest.mark.parametrize(
    ("statement", "names"),
    [
        ("UPDATE trips SET fare_fen = fare_fen + 100 WHERE record_index = 3", "record 3: fare_fen"),
        ("UPDATE trips SET exit_station = 'atlantis' WHERE record_index = 3", "exit_station"),
        ("UPDATE trips SET history_json = '{}' WHERE record_index = 3", "history_json"),
        (  # the same JSON to a lax reader, not the same row
            "UPDATE trips SET history_json = replace(history_json, 'false', '0')"
            " WHERE record_index = 3",
            "history_json",
        ),
        ("UPDATE trips SET record_index = 4 WHERE record_index = 3", "no trip record there"),
        ("DELETE FROM trips WHERE record_index = 3", "5 trip records on the ledger but 4"),
        ("UPDATE charges SET amount_fen = 1 WHERE record_index = 4", "record 4: amount_fen"),
        ("UPDATE invoices SET total_fen = 1 WHERE record_index = 5", "record 5"),
        ("UPDATE riders SET balance_fen = 0 WHERE id = 'r0000002'", "rider r0000002"),
    ],
)
def test_a_changed_amount_is_caught_and_named(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
    statement: str,
    names: str,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 5)
    make_batcher(engine, redis_client, settings).drain()
    assert run_audit(engine, settings) is None
    with engine.begin() as connection:
        connection.execute(text(statement))
    problem = run_audit(engine, settings)
    assert problem is not None and names in problem


def test_json_columns_in_another_spacing_are_the_same_rows(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    # Rows written before the batcher switched from the json module to orjson hold the
    # json module's text of the same values: the audit must not call them tampered.
    client, creds, settings = system
    post_trips(client, creds, 5)
    make_batcher(engine, redis_client, settings).drain()
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT record_index, quote_json, history_json FROM trips"))
        for index, quote, history in list(rows):
            spaced = [json.dumps(json.loads(t), sort_keys=True) for t in (quote, history)]
            assert spaced != [quote, history]  # the text does change
            connection.execute(
                text("UPDATE trips SET quote_json = :q, history_json = :h WHERE record_index = :i"),
                {"q": spaced[0], "h": spaced[1], "i": index},
            )
    assert run_audit(engine, settings) is None


def test_a_changed_record_is_caught_even_with_its_hash_rewritten(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 5)
    make_batcher(engine, redis_client, settings).drain()
    with Session(engine) as session:
        record = session.get(LedgerRecord, 3)
        assert record is not None
        body = json.loads(record.body)
        body["quote"]["amount_fen"] += 100
        from ledger import merkle, records

        forged = records.encode_record(body)
        session.execute(
            update(LedgerRecord)
            .where(LedgerRecord.idx == 3)  # type: ignore[arg-type]
            .values(body=forged)
        )
        session.commit()
        assert "record 3" in (run_audit(engine, settings) or "")
        session.execute(
            update(LedgerRecord)
            .where(LedgerRecord.idx == 3)  # type: ignore[arg-type]
            .values(leaf_hash=merkle.leaf_hash(forged))
        )
        session.commit()
    problem = run_audit(engine, settings)
    # 15 records: no stored node covers them, the signed root does.
    assert problem is not None and "is not the root of its records" in problem


def test_an_exit_stamped_before_its_entry_is_still_priced(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    # Neighbouring stations (700 m apart): a ride that looks instant within the gates'
    # clock skew is possible there (fare.plausibility), so it is priced.
    entry_gate, exit_gate = "gate-szmc-kexueguan", "gate-szmc-huaqiang-road"
    assert {entry_gate, exit_gate} <= set(gate_ids(creds))
    # The entry gate's clock runs three minutes fast; the ride took two.
    for gate, body in (
        (entry_gate, tap("r0000001", "entry", at=minutes_ago(-3))),
        (exit_gate, tap("r0000001", "exit", at=minutes_ago(-1))),
    ):
        device_id, headers = device(creds, gate)
        assert client.post(f"/v1/devices/{device_id}/taps", json=body, headers=headers).is_success
    assert make_batcher(engine, redis_client, settings).drain() == 1
    with Session(engine) as session:
        trip = session.scalars(select(Trip)).one()
    assert not trip.incomplete and trip.started_at == trip.ended_at
    assert run_audit(engine, settings) is None
