"""Trips get paid once, declines retry and block, pay-now unblocks, verify balances."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from gates import keys
from payments.models import Payment
from payments.sandbox_models import SandboxPayment
from tests.builders import device, tap
from tests.payments.conftest import Pay, later
from trips.models import Charge, Rider


def _balances(pay: Pay) -> dict[str, int]:
    with Session(pay.engine) as session:
        return {r.id: r.balance_fen for r in session.scalars(select(Rider))}


def test_each_charged_trip_is_paid_once_and_verify_balances(pay: Pay) -> None:
    pay.agree()
    pay.ride(8)
    worker = pay.worker()
    pay.settle(worker)
    pay.settle(worker)  # a second pass finds nothing new
    with Session(pay.engine) as session:
        charged = session.scalar(select(func.count()).where(Charge.amount_fen > 0)) or 0
        payments = session.scalars(select(Payment)).all()
        # free trips (the demo's children ride free) owe nothing and get no payment
        assert session.scalar(select(func.count()).select_from(SandboxPayment)) == charged >= 4
    assert {p.status for p in payments} == {"captured"}
    captured = [r for r in pay.records("payment") if r["status"] == "captured"]
    assert Counter(r["payment"] for r in captured).most_common(1)[0][1] == 1
    assert len(captured) == charged
    assert all(r["v"] == 2 for r in captured)
    assert set(_balances(pay).values()) == {0}
    assert pay.audit() is None
    rider = payments[0].rider_id
    listed = pay.client.get("/v1/me/payments", headers=pay.headers(rider)).json()
    mine = [p for p in listed["payments"] if p["status"] == "captured"]
    assert mine and all(isinstance(p["record_index"], int) and p["trip_event_id"] for p in mine)
    account = pay.client.get("/v1/me/account", headers=pay.headers(rider)).json()
    assert account["owed_fen"] == 0 and account["blocked"] is False
    assert account["agreement"]["status"] == "active"


def test_verify_names_a_balance_the_records_do_not_make(pay: Pay) -> None:
    pay.agree()
    pay.ride(2)
    pay.settle(pay.worker())
    with Session(pay.engine) as session:
        rider = session.scalars(select(Rider)).first()
        assert rider is not None
        rider.balance_fen += 1
        session.commit()
    assert "balance_fen is" in (pay.audit() or "")


def test_declines_block_the_rider_and_pay_now_unblocks_at_once(pay: Pay) -> None:
    pay.agree()
    pay.ride(8)  # 2 trips per rider, a few yuan each: past block_at_fen=500
    declining = pay.sandbox(sandbox_decline_rate=1.0)
    pay.settle(pay.worker(declining))
    records = pay.records("payment")
    assert {r["status"] for r in records} == {"declined"}
    rider = records[0]["rider"]
    owed = -_balances(pay)[rider]
    assert owed >= 500
    assert pay.redis.hget(keys.RIDERS, rider) == b"blocked"
    assert json.loads(pay.redis.hget(keys.DENY, rider) or b"{}") == {
        "reason": "debt",
        "owed_fen": owed,
    }
    account = pay.client.get("/v1/me/account", headers=pay.headers(rider)).json()
    assert (account["blocked"], account["blocked_reason"], account["owed_fen"]) == (
        True,
        "debt",
        owed,
    )
    gate, headers = device(pay.creds, "gate-szmc-luohu")
    refused = pay.client.post(f"/v1/devices/{gate}/taps", json=tap(rider, "entry"), headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"

    too_much = pay.client.post(
        "/v1/me/payments/pay-now", json={"amount_fen": owed + 1}, headers=pay.headers(rider)
    )
    assert too_much.status_code == 422
    assert too_much.json()["owed_fen"] == owed and str(owed) in too_much.json()["detail"]
    pay.use(pay.sandbox())  # the rider's bank says yes now
    paid = pay.client.post(
        "/v1/me/payments/pay-now", json={"amount_fen": owed}, headers=pay.headers(rider)
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "captured" and paid.json()["record_index"] is not None
    assert pay.redis.hget(keys.RIDERS, rider) == b"ok"
    assert pay.redis.hget(keys.DENY, rider) is None
    assert _balances(pay)[rider] == 0
    entry = pay.client.post(f"/v1/devices/{gate}/taps", json=tap(rider, "entry"), headers=headers)
    assert entry.status_code == 202, entry.text

    # The paid-for declines are written off when their retry comes, never charged again.
    pay.settle(pay.worker(pay.sandbox()), now=later(2))
    mine = [r for r in pay.records("payment") if r["rider"] == rider and r["kind"] == "trip"]
    assert [r["status"] for r in mine].count("written_off") == 2
    assert {r["reason"] for r in mine if r["status"] == "written_off"} == {"paid_otherwise"}
    assert pay.audit() is None


def test_retries_follow_the_schedule_then_write_off(pay: Pay) -> None:
    pay.agree()
    pay.ride(1)
    declining = pay.sandbox(sandbox_decline_rate=1.0)
    worker = pay.worker(declining)
    pay.settle(worker)
    for days, attempts in ((0.5, 1), (1.1, 2), (7.1, 3), (30.1, 4)):
        pay.settle(worker, now=later(days))
        with Session(pay.engine) as session:
            payment = session.scalars(select(Payment)).one()
        assert payment.attempt == attempts, days
    assert payment.status == "written_off" and payment.reason == "retries_exhausted"
    statuses = [(r["status"], r["attempt"]) for r in pay.records("payment")]
    assert statuses == [
        ("declined", 1),
        ("declined", 2),
        ("declined", 3),
        ("declined", 4),
        ("written_off", 4),
    ]
    with Session(pay.engine) as session:
        assert session.scalar(select(func.count()).select_from(SandboxPayment)) == 4
    assert pay.audit() is None


def test_a_retry_that_succeeds_unblocks(pay: Pay) -> None:
    pay.agree()
    pay.ride(8)
    pay.settle(pay.worker(pay.sandbox(sandbox_decline_rate=1.0)))
    blocked = [r for r, v in pay.redis.hgetall(keys.RIDERS).items() if v == b"blocked"]
    assert blocked
    pay.settle(pay.worker(pay.sandbox()), now=later(1.1))
    assert all(pay.redis.hget(keys.RIDERS, r) == b"ok" for r in blocked)
    assert pay.redis.hlen(keys.DENY) == 0
    assert set(_balances(pay).values()) == {0}
    assert pay.audit() is None


def test_trips_without_an_agreement_are_declined_not_sent(pay: Pay) -> None:
    pay.ride(4)
    pay.settle(pay.worker())
    assert {(r["status"], r["reason"]) for r in pay.records("payment")} == {
        ("declined", "no_agreement")
    }
    with Session(pay.engine) as session:
        assert session.scalar(select(func.count()).select_from(SandboxPayment)) == 0
