"""The sandbox provider against a real database: idempotency, latency, faults, webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.orm import Session
from sqlmodel import select

from payments import keys
from payments.provider import BadSignature, PaymentAnswer, ProviderUnavailable, RefundAnswer
from payments.sandbox import SandboxConfig, SandboxProvider
from payments.sandbox_models import SandboxPayment, SandboxWebhook
from payments.states import Outcome, RefundOutcome

SECRET = b"whsec_sandbox"


class Clock:
    def __init__(self) -> None:
        self.ms = 1_790_000_000_000

    def __call__(self) -> int:
        return self.ms


def _sandbox(engine: Engine, clock: Clock | None = None, **config: Any) -> SandboxProvider:
    return SandboxProvider(
        engine,
        SandboxConfig(secret=SECRET, **config),
        clock_ms=clock or Clock(),
    )


def _collect(sandbox: SandboxProvider) -> list[tuple[bytes, dict[str, str]]]:
    got: list[tuple[bytes, dict[str, str]]] = []

    def deliver(body: bytes, headers: dict[str, str]) -> int:
        got.append((body, headers))
        return 200

    sandbox.pump(deliver)
    return got


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_same_key_is_one_payment(engine: Engine) -> None:
    sandbox = _sandbox(engine)
    agreement = sandbox.create_agreement(key=keys.agreement_key("r1", 0), payer="r1")
    key = keys.attempt_key(keys.trip_payment_key("e-1"), 1)
    first = sandbox.create_payment(
        key=key, agreement_ref=agreement.ref, amount_fen=300, description="t"
    )
    again = sandbox.create_payment(
        key=key, agreement_ref=agreement.ref, amount_fen=300, description="t"
    )
    assert first == again
    assert first.outcome is Outcome.CAPTURED
    assert _count(engine, SandboxPayment) == 1


def test_latency_keeps_it_pending_until_due_and_query_finds_it(engine: Engine) -> None:
    clock = Clock()
    sandbox = _sandbox(engine, clock, latency_ms=2000)
    key = keys.pay_now_key("r1", 0)
    assert (
        sandbox.create_payment(key=key, agreement_ref=None, amount_fen=500, description="p").outcome
        is Outcome.PENDING
    )
    assert sandbox.query_payment(key=key).outcome is Outcome.PENDING  # type: ignore[union-attr]
    clock.ms += 2000
    answer = sandbox.query_payment(key=key)
    assert answer == PaymentAnswer(key, "pay_" + key[:12].hex(), Outcome.CAPTURED, 500)
    assert sandbox.query_payment(key=keys.pay_now_key("r1", 9)) is None


def test_no_agreement_or_revoked_one_is_declined_at_once(engine: Engine) -> None:
    sandbox = _sandbox(engine, latency_ms=60_000)
    agreement = sandbox.create_agreement(key=keys.agreement_key("r1", 0), payer="r1")
    assert sandbox.revoke_agreement(ref=agreement.ref).active is False
    answer = sandbox.create_payment(
        key=keys.pay_now_key("r1", 1), agreement_ref=agreement.ref, amount_fen=1, description="x"
    )
    assert (answer.outcome, answer.reason) == (Outcome.DECLINED, "no_agreement")
    answer = sandbox.create_payment(
        key=keys.pay_now_key("r1", 2), agreement_ref="agr_nope", amount_fen=1, description="x"
    )
    assert answer.outcome is Outcome.DECLINED


def test_decline_rate_is_reproducible(engine: Engine) -> None:
    sandbox = _sandbox(engine, decline_rate=0.3)
    outcomes = [
        sandbox.create_payment(
            key=keys.pay_now_key("r", n), agreement_ref=None, amount_fen=1, description="x"
        ).outcome
        for n in range(200)
    ]
    declined = outcomes.count(Outcome.DECLINED)
    assert 35 <= declined <= 85, declined
    again = _sandbox(engine, decline_rate=0.3)
    answers = [again.query_payment(key=keys.pay_now_key("r", n)) for n in range(200)]
    assert [a.outcome if a else None for a in answers] == outcomes


def test_down_and_lost_answers(engine: Engine) -> None:
    key = keys.pay_now_key("r1", 0)
    with pytest.raises(ProviderUnavailable, match="down"):
        _sandbox(engine, down=True).create_payment(
            key=key, agreement_ref=None, amount_fen=1, description="x"
        )
    assert _count(engine, SandboxPayment) == 0
    lossy = _sandbox(engine, lose_response_rate=1.0)
    with pytest.raises(ProviderUnavailable, match="timed out"):
        lossy.create_payment(key=key, agreement_ref=None, amount_fen=1, description="x")
    # the request was taken: a resend with the same key finds it, and makes no second one
    assert (
        _sandbox(engine)
        .create_payment(key=key, agreement_ref=None, amount_fen=1, description="x")
        .outcome
        is Outcome.CAPTURED
    )
    assert _count(engine, SandboxPayment) == 1


def test_webhooks_are_signed_repeated_and_lost_as_configured(engine: Engine) -> None:
    sandbox = _sandbox(engine, duplicate_rate=1.0)
    key = keys.pay_now_key("r1", 0)
    sandbox.create_payment(key=key, agreement_ref=None, amount_fen=300, description="x")
    got = _collect(sandbox)
    now = datetime.fromtimestamp(Clock().ms / 1000, UTC)
    news = [sandbox.parse_webhook(body, headers, now) for body, headers in got]
    assert sorted(str(n.about.outcome) for n in news) == [
        "authorised",
        "authorised",
        "captured",
        "captured",
    ]
    assert len({n.event_id for n in news}) == 2  # a repeat carries the same id
    assert _collect(sandbox) == []  # delivered once each (per copy)
    with pytest.raises(BadSignature):
        sandbox.parse_webhook(got[0][0] + b" ", got[0][1], now)

    silent = _sandbox(engine, loss_rate=1.0)
    silent.create_payment(
        key=keys.pay_now_key("r1", 1), agreement_ref=None, amount_fen=1, description="x"
    )
    assert _collect(silent) == []
    assert silent.query_payment(key=keys.pay_now_key("r1", 1)).outcome is Outcome.CAPTURED  # type: ignore[union-attr]


def test_a_failing_receiver_gets_the_webhook_again_later(engine: Engine) -> None:
    clock = Clock()
    sandbox = _sandbox(engine, clock)
    sandbox.create_payment(
        key=keys.pay_now_key("r1", 0), agreement_ref=None, amount_fen=1, description="x"
    )
    assert sandbox.pump(lambda body, headers: 503) == 0
    assert sandbox.pump(lambda body, headers: 200) == 0  # not due again yet
    clock.ms += 2000
    assert sandbox.pump(lambda body, headers: 200) == 2
    with Session(engine) as session:
        assert all(h.done for h in session.scalars(select(SandboxWebhook)))


def test_refunds_are_idempotent_and_can_fail(engine: Engine) -> None:
    sandbox = _sandbox(engine)
    key = keys.refund_key("00000000000000000001")
    first = sandbox.create_refund(key=key, payer="r1", amount_fen=300)
    assert first == sandbox.create_refund(key=key, payer="r1", amount_fen=300)
    assert first == RefundAnswer(key, "re_" + key[:12].hex(), RefundOutcome.SUCCEEDED, 300)
    failing = _sandbox(engine, refund_fail_rate=1.0)
    answer = failing.create_refund(key=keys.refund_key("2"), payer="r1", amount_fen=1)
    assert answer.outcome is RefundOutcome.FAILED
