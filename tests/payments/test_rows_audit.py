"""`farechain verify` checks each payment, refund and account row against its records:
a world that went through declines, retries, captures and a refund passes, at every
step; each kind of tampering with a row is named."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlmodel import select

from invoicing.models import Invoice
from payments.audit import check_payment_rows
from payments.models import Payment
from tests.payments.conftest import Pay, later


def _check(pay: Pay) -> str | None:
    with Session(pay.engine) as session:
        return check_payment_rows(session)


def _world(pay: Pay) -> None:
    """Declined, then retried (checked mid-retry), captured, and one refund."""
    pay.agree()
    pay.ride(8)
    pay.settle(pay.worker(pay.sandbox(sandbox_decline_rate=1.0)))
    assert _check(pay) is None
    pay.worker(pay.sandbox(sandbox_down=True)).run_once(later(1.1))  # retried, not sent
    with Session(pay.engine) as session:
        retried = session.scalars(select(Payment).where(Payment.attempt == 2)).all()
    assert retried and {p.status for p in retried} == {"new"}
    assert _check(pay) is None
    pay.settle(pay.worker(pay.sandbox()), now=later(1.2))
    with Session(pay.engine) as session:
        note = session.scalars(
            select(Invoice).where(Invoice.kind == "invoice", Invoice.total_fen > 0)
        ).first()
    assert note is not None
    credited = pay.client.post(
        f"/v1/me/invoices/{note.number}/credit",
        json={"reason": "refund"},
        headers=pay.headers(note.rider_id),
    )
    assert credited.status_code == 200, credited.text
    pay.settle(pay.worker(pay.sandbox()), now=later(1.3))
    assert pay.audit() is None


def test_a_world_of_declines_retries_captures_and_a_refund_passes(pay: Pay) -> None:
    _world(pay)
    with Session(pay.engine) as session:
        statuses = {p.status for p in session.scalars(select(Payment))}
        refunds = session.execute(text("SELECT status FROM refunds")).scalars().all()
    assert statuses == {"captured"} and refunds == ["refunded"]


def _one(table: str, where: str = "") -> str:
    return f"(SELECT key FROM {table} {where} ORDER BY key LIMIT 1)"


_PAYMENT = _one("payments", "WHERE kind = 'trip'")
_REFUND = _one("refunds")
TAMPERING: dict[str, tuple[str, str]] = {
    "amount": (f"UPDATE payments SET amount_fen = amount_fen + 1 WHERE key = {_PAYMENT}", "fen"),
    "status": (f"UPDATE payments SET status = 'written_off' WHERE key = {_PAYMENT}", "status"),
    "provider ref": (f"UPDATE payments SET provider_ref = 'x' WHERE key = {_PAYMENT}", "provider"),
    "reason": (f"UPDATE payments SET reason = 'card' WHERE key = {_PAYMENT}", "reason"),
    "attempt": (f"UPDATE payments SET attempt = 1 WHERE key = {_PAYMENT}", "attempt"),
    "idempotency key": (
        f"UPDATE payments SET trip_event_id = 'someone-else' WHERE key = {_PAYMENT}",
        "derived from trip",
    ),
    "charge link": (
        "UPDATE charges SET amount_fen = amount_fen + 1 WHERE trip_event_id = "
        "(SELECT trip_event_id FROM payments WHERE kind = 'trip' ORDER BY key LIMIT 1)",
        "expected a charge",
    ),
    "rider": (
        "UPDATE payments SET rider_id = 'r9999999' WHERE kind = 'trip'",
        "expected a charge",
    ),
    "older record": (
        "UPDATE payments SET record_index = (SELECT min(idx) FROM ledger_records "
        f"WHERE type = 'payment') WHERE key = {_PAYMENT} AND attempt = 2",
        "its latest payment is",
    ),
    "row gone": (f"DELETE FROM payments WHERE key = {_PAYMENT}", "no payments row"),
    "refund amount": (
        f"UPDATE refunds SET amount_fen = amount_fen - 1 WHERE key = {_REFUND}",
        "amount_fen",
    ),
    "refund status": (f"UPDATE refunds SET status = 'failed' WHERE key = {_REFUND}", "status"),
    "refund gone": (f"DELETE FROM refunds WHERE key = {_REFUND}", "no refunds row"),
    "agreement ref": (
        "UPDATE payment_accounts SET agreement_ref = 'agr_forged' WHERE rider_id = "
        "(SELECT min(rider_id) FROM payment_accounts)",
        "agr_forged",
    ),
    "agreement revoked": (
        "UPDATE payment_accounts SET agreement = 'revoked' WHERE rider_id = "
        "(SELECT min(rider_id) FROM payment_accounts)",
        "agreement revoked",
    ),
    "account gone": (
        "DELETE FROM payment_accounts WHERE rider_id = (SELECT min(rider_id) FROM "
        "payment_accounts)",
        "no payment account",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_with_a_row_is_named(pay: Pay, case: str) -> None:
    _world(pay)
    sql, named = TAMPERING[case]
    with pay.engine.begin() as connection:
        assert connection.execute(text(sql)).rowcount >= 1, case
    problem = _check(pay)
    assert problem is not None and named in problem, (case, problem)
