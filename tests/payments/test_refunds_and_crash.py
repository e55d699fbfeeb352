"""Refund credit notes move money back through the provider, a re-title moves none; a
worker killed mid-flight pays every trip exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from invoicing.models import Invoice
from payments.models import Payment, Refund
from payments.sandbox_models import SandboxPayment, SandboxRefund
from tests.payments.conftest import Pay
from trips.models import Rider


def _invoices(pay: Pay, rider: str) -> list[Invoice]:
    with Session(pay.engine) as session:
        return list(
            session.scalars(
                select(Invoice).where(
                    Invoice.rider_id == rider, Invoice.kind == "invoice", Invoice.total_fen > 0
                )
            )
        )


def _balance(pay: Pay, rider: str) -> int:
    with Session(pay.engine) as session:
        row = session.get(Rider, rider)
        assert row is not None
        return row.balance_fen


def test_a_refund_credit_note_pays_back_once_and_a_retitle_moves_nothing(pay: Pay) -> None:
    pay.agree()
    pay.ride(8)
    worker = pay.worker()
    pay.settle(worker)
    rider = next(r for r in pay.riders() if len(_invoices(pay, r)) >= 2)
    refunded, retitled = _invoices(pay, rider)[:2]
    h = pay.headers(rider)
    assert (
        pay.client.post(
            f"/v1/me/invoices/{refunded.number}/credit", json={"reason": "refund"}, headers=h
        ).status_code
        == 200
    )
    title = {"title": {"kind": "individual", "name": "Li Lei"}}
    assert (
        pay.client.post(
            f"/v1/me/invoices/{retitled.number}/retitle", json=title, headers=h
        ).status_code
        == 200
    )
    pay.settle(worker)
    pay.settle(worker)
    records = pay.records("refund")
    assert [(r["status"], r["amount_fen"], r["credit_fen"]) for r in records] == [
        ("requested", refunded.total_fen, refunded.total_fen),
        ("refunded", refunded.total_fen, refunded.total_fen),
    ]
    assert records[0]["trip_event_id"] == refunded.trip_event_id
    with Session(pay.engine) as session:
        assert session.scalar(select(func.count()).select_from(SandboxRefund)) == 1
        assert session.scalars(select(Refund)).one().status == "refunded"
    assert _balance(pay, rider) == 0  # paid, and the refunded fare paid back
    listed = pay.client.get("/v1/me/payments", headers=h).json()["refunds"]
    assert [(r["status"], r["amount_fen"]) for r in listed] == [("refunded", refunded.total_fen)]
    assert pay.audit() is None


def test_a_refund_of_an_unpaid_trip_only_clears_the_debt(pay: Pay) -> None:
    pay.ride(8)
    pay.settle(pay.worker())  # no agreement: nothing was paid
    rider = next(r for r in pay.riders() if _invoices(pay, r))
    invoice = _invoices(pay, rider)[0]
    owed = _balance(pay, rider)
    credit = pay.client.post(
        f"/v1/me/invoices/{invoice.number}/credit",
        json={"reason": "fare_correction"},
        headers=pay.headers(rider),
    )
    assert credit.status_code == 200
    pay.settle(pay.worker())
    assert [(r["status"], r["amount_fen"]) for r in pay.records("refund")] == [
        ("requested", 0),
        ("refunded", 0),
    ]
    assert _balance(pay, rider) == owed + invoice.total_fen
    with Session(pay.engine) as session:
        assert session.scalar(select(func.count()).select_from(SandboxRefund)) == 0
    assert pay.audit() is None


def test_a_worker_killed_mid_flight_pays_each_trip_exactly_once(pay: Pay) -> None:
    pay.agree()
    pay.ride(8)
    settings = pay.settings
    env = {
        **os.environ,
        "REDIS_URL": settings.redis_url or "",
        "DATABASE_URL": settings.database_url or "",
        "FARECHAIN_VAR_DIR": str(settings.var_dir),
        "FARECHAIN_PAYMENTS__PAUSE_AFTER_SEND": "true",
        "FARECHAIN_PAYMENTS__SANDBOX_LATENCY_MS": "0",
        "FARECHAIN_PAYMENTS__SANDBOX_DECLINE_RATE": "0",
        "FARECHAIN_PAYMENTS__SANDBOX_LOSS_RATE": "0",
        "FARECHAIN_PAYMENTS__SANDBOX_DUPLICATE_RATE": "0",
        "FARECHAIN_PAYMENTS__WEBHOOK_URL": "http://127.0.0.1:9/nowhere",
    }
    paused = settings.var_dir / "payments-paused"
    process = subprocess.Popen([sys.executable, "-m", "farechain.cli", "payments-worker"], env=env)
    try:
        deadline = time.monotonic() + 60
        while not paused.exists():
            assert process.poll() is None, "the worker died before the pause point"
            assert time.monotonic() < deadline, "the worker never sent a batch"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # The provider took (and captured) every payment; the worker recorded none of it.
    with Session(pay.engine) as session:
        taken = session.scalar(select(func.count()).select_from(SandboxPayment))
        assert taken and taken == session.scalar(select(func.count()).select_from(Payment))
    assert pay.records("payment") == []
    pay.settle(pay.worker())  # the restarted worker sends again, same keys
    with Session(pay.engine) as session:
        assert session.scalar(select(func.count()).select_from(SandboxPayment)) == taken
        assert {p.status for p in session.scalars(select(Payment))} == {"captured"}
    captured = [r["payment"] for r in pay.records("payment") if r["status"] == "captured"]
    assert len(captured) == len(set(captured)) == taken
    assert pay.audit() is None
