"""The public log shows no one's travels; the owner's receipt opens them; erasure works;
and a ledger written before record version 2 still verifies."""

from __future__ import annotations

import base64
import json
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.settings import Settings
from ledger import keyfiles
from ledger.models import LedgerOpening, LedgerRecord
from ledger.openings import erase_subject, open_body
from ledger.receipt import parse_receipt, verify_receipt
from tests.builders import make_batcher, post_trips, rider_headers, run_audit
from tests.v1_records import make_v1_batcher
from trips.models import Trip


def _public(client: TestClient, index: int) -> str:
    answer = client.get(f"/v1/ledger/records/{index}")
    assert answer.status_code == 200, answer.text
    return base64.b64decode(answer.json()["body_base64"]).decode()


def _first_trip(engine: Engine) -> Trip:
    with Session(engine) as session:
        return session.scalars(select(Trip).order_by(col(Trip.record_index)).limit(1)).one()


def _receipt(client: TestClient, creds: dict[str, Any], trip: Trip) -> str:
    answer = client.get(
        f"/v1/me/trips/{trip.event_id}/receipt", headers=rider_headers(creds, trip.rider_id)
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def test_the_public_records_name_no_rider_station_or_buyer_and_the_receipt_opens_them(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 12)
    assert make_batcher(engine, redis_client, settings).drain() == 12
    trip = _first_trip(engine)
    for index in range(trip.record_index, trip.record_index + 3):  # trip, charge, invoice
        body = _public(client, index)
        record = json.loads(body)
        assert record["v"] == 2 and len(record["personal"]) == 64
        for secret in (trip.rider_id, trip.entry_station, trip.exit_station, "个人"):
            assert secret and secret not in body, (index, secret)
    keys = keyfiles.load_verifier_keys(settings.ledger_public_keys_path)
    verified = verify_receipt(_receipt(client, creds, trip), keys)
    assert verified.opened
    assert verified.record["rider"] == trip.rider_id
    assert verified.record["end"]["station"] == trip.exit_station  # type: ignore[index]
    assert run_audit(engine, settings) is None


def test_a_changed_opening_is_caught_by_the_audit(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 3)
    assert make_batcher(engine, redis_client, settings).drain() == 3
    trip = _first_trip(engine)
    with Session(engine) as session:
        opening = session.get(LedgerOpening, trip.record_index)
        assert opening is not None
        opening.personal = opening.personal.replace(b'"rider":"', b'"rider":"x')
        session.add(opening)
        session.commit()
    problem = run_audit(engine, settings)
    assert problem is not None and f"record {trip.record_index}" in problem
    assert "expected commitment" in problem


def test_erasing_a_rider_leaves_a_valid_log_and_no_opening(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 12)
    assert make_batcher(engine, redis_client, settings).drain() == 12
    trip = _first_trip(engine)
    with Session(engine) as session:
        mine = session.scalar(
            select(func.count())
            .select_from(LedgerOpening)
            .where(col(LedgerOpening.subject) == trip.rider_id)
        )
        assert mine and mine % 3 == 0  # a trip, a charge and an invoice per trip
        assert erase_subject(session, trip.rider_id) == mine
        session.commit()
        record = session.get(LedgerRecord, trip.record_index)
        assert record is not None
        opened = open_body(session, trip.record_index, record.body)
        assert opened.erased and "rider" not in opened.fields
    assert run_audit(engine, settings) is None
    receipt = _receipt(client, creds, trip)
    assert parse_receipt(receipt).opening is None
    keys = keyfiles.load_verifier_keys(settings.ledger_public_keys_path)
    assert not verify_receipt(receipt, keys).opened


def test_a_ledger_of_version_1_records_still_verifies_and_grows(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 10)
    assert make_v1_batcher(engine, redis_client, settings).drain() == 10
    trip = _first_trip(engine)
    old = json.loads(_public(client, trip.record_index))
    assert old["v"] == 1 and old["rider"] == trip.rider_id  # as it was: in clear
    assert run_audit(engine, settings) is None
    keys = keyfiles.load_verifier_keys(settings.ledger_public_keys_path)
    verified = verify_receipt(_receipt(client, creds, trip), keys)
    assert not verified.opened and verified.record["rider"] == trip.rider_id

    # Re-titling a version-1 invoice to a person: the credit note and the new invoice are
    # version 2, and the name is not on the public log (issue 20's record 179616).
    me = rider_headers(creds, trip.rider_id)
    number = client.get("/v1/me/invoices", headers=me).json()[-1]["number"]
    title = {"kind": "individual", "name": "张三丰"}
    answer = client.post(f"/v1/me/invoices/{number}/retitle", json={"title": title}, headers=me)
    assert answer.status_code in (200, 201), answer.text
    with Session(engine) as session:
        newest = session.scalars(
            select(LedgerRecord).order_by(col(LedgerRecord.idx).desc()).limit(2)
        ).all()
    assert sorted(r.type for r in newest) == ["credit_note", "invoice"]
    for record in newest:
        body = _public(client, record.idx)
        assert json.loads(body)["v"] == 2 and trip.rider_id not in body
        assert "张三丰" not in body
    assert run_audit(engine, settings) is None

    post_trips(client, creds, 5, seed=8)
    assert make_batcher(engine, redis_client, settings).drain() == 5
    with Session(engine) as session:
        versions = session.scalars(select(col(LedgerRecord.body))).all()
    assert sorted({json.loads(b)["v"] for b in versions}) == [1, 2]
    assert run_audit(engine, settings) is None
