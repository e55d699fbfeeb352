"""Batches: the sandbox takes many payments per request and sends notifications many per
body; the API keeps each notification once; the worker pays every trip once either way."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, update
from sqlalchemy.orm import Session
from sqlmodel import select

from payments import keys
from payments.models import Payment, PaymentInbox
from payments.provider import PaymentAnswer, PaymentRequest, ProviderUnavailable, WebhookNews
from payments.sandbox import SandboxConfig, SandboxProvider
from payments.sandbox_models import SandboxPayment, SandboxWebhook
from payments.states import Outcome
from payments.webhooks import SIGNATURE_HEADER, encode_batch, encode_news, sign
from tests.payments.conftest import Pay

SECRET = b"whsec_sandbox"
URL = "/v1/payments/webhooks/sandbox"


def _sandbox(engine: Engine, **config: object) -> SandboxProvider:
    return SandboxProvider(engine, SandboxConfig(secret=SECRET, **config))  # type: ignore[arg-type]


def _request(n: int, agreement: str | None = None, fen: int = 100) -> PaymentRequest:
    return PaymentRequest(keys.pay_now_key("r1", n), agreement, fen + n, "x")


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(SandboxPayment)) or 0)


def test_a_batch_gets_an_answer_per_item_in_order(engine: Engine) -> None:
    sandbox = _sandbox(engine, max_batch=3)
    agreement = sandbox.create_agreement(key=keys.agreement_key("r1", 0), payer="r1").ref
    batch = [_request(0, agreement), _request(1, "agr_none"), _request(0, agreement)]
    batch += [_request(2), _request(3)]
    answers = sandbox.create_payments(batch)
    assert [a.outcome if a else None for a in answers] == [
        Outcome.CAPTURED,
        Outcome.DECLINED,  # no such agreement: refused at once
        Outcome.CAPTURED,  # the same key again: the same payment
        None,  # past max_batch: not taken, send again
        None,
    ]
    assert answers[0] == answers[2] and answers[1] is not None
    assert (answers[1].reason, answers[1].amount_fen) == ("no_agreement", 101)
    assert _count(engine) == 2
    again = sandbox.create_payments(batch[3:] + batch[:2])
    assert [a.key if a else None for a in again] == [r.key for r in batch[3:] + batch[:1]] + [None]
    assert again[2] == answers[0] and _count(engine) == 4


def test_a_lost_batch_answer_took_every_item(engine: Engine) -> None:
    batch = [_request(n) for n in range(4)]
    with pytest.raises(ProviderUnavailable, match="timed out"):
        _sandbox(engine, lose_response_rate=1.0).create_payments(batch)
    assert _count(engine) == 4
    answers = _sandbox(engine).create_payments(batch)
    assert {a.outcome for a in answers if a} == {Outcome.CAPTURED} and _count(engine) == 4
    with pytest.raises(ValueError, match="amount_fen > 0"):
        _sandbox(engine).create_payments([_request(9), _request(0, fen=-100)])
    assert _count(engine) == 4  # a bad item refuses the whole request, before taking any


def test_query_payments_answers_in_order_and_none_for_unknown(engine: Engine) -> None:
    sandbox = _sandbox(engine)
    sandbox.create_payments([_request(0), _request(1)])
    found = sandbox.query_payments([_request(1).key, keys.pay_now_key("r9", 0), _request(0).key])
    assert [a.key if a else None for a in found] == [_request(1).key, None, _request(0).key]


def test_webhooks_go_out_batched_and_come_back_on_failure(engine: Engine) -> None:
    sandbox = _sandbox(engine, webhook_batch=3)
    sandbox.create_payments([_request(0), _request(1)])  # 2 captured: 4 notifications
    bodies: list[bytes] = []

    def failing(body: bytes, headers: dict[str, str]) -> int:
        return 503

    def receiving(body: bytes, headers: dict[str, str]) -> int:
        now = datetime.now(UTC)
        news, batch = sandbox.parse_webhooks(body, headers, now)
        assert batch and len(news) == len(json.loads(body)["notifications"])
        bodies.append(body)
        return 200

    assert sandbox.pump(failing) == 0
    with Session(engine) as session:  # nothing is lost: due again after the back-off
        session.execute(update(SandboxWebhook).values(deliver_ms=0))
        session.commit()
    assert sandbox.pump(receiving) == 4
    assert [len(json.loads(b)["notifications"]) for b in bodies] == [3, 1]
    assert sandbox.pump(receiving) == 0


def _signed(pay: Pay, body: bytes) -> dict[str, str]:
    secret = pay.settings.payments.webhook_secret.encode()
    return {SIGNATURE_HEADER: sign(secret, body, int(datetime.now(UTC).timestamp()))}


def test_a_batch_keeps_each_known_notification_once(pay: Pay) -> None:
    pay.agree()
    pay.ride(1)
    worker = pay.worker(pay.sandbox(sandbox_loss_rate=1.0, sandbox_latency_ms=60_000))
    worker.run_once(datetime.now(UTC))
    with Session(pay.engine) as session:
        payment = session.scalars(select(Payment)).first()
    assert payment is not None and payment.status == "pending"
    key, fen = payment.attempt_key, payment.amount_fen
    authorised = WebhookNews("evt_a", PaymentAnswer(key, "pay_1", Outcome.AUTHORISED, fen))
    captured = WebhookNews("evt_c", PaymentAnswer(key, "pay_1", Outcome.CAPTURED, fen))
    stranger = WebhookNews("evt_s", PaymentAnswer(bytes(32), "pay_2", Outcome.CAPTURED, 1))
    items = [encode_news(n, 0) for n in (captured, stranger, authorised, captured)]
    body = encode_batch(items)
    first = pay.client.post(URL, content=body, headers=_signed(pay, body))
    assert first.status_code == 200, first.text
    assert first.json() == {
        "received": True,
        "duplicate": False,
        "notifications": 4,
        "fresh": 2,
        "unknown": [bytes(32).hex()],
    }
    again = pay.client.post(URL, content=body, headers=_signed(pay, body))
    assert (again.json()["fresh"], again.json()["duplicate"]) == (0, True)
    pay.settle(worker)
    assert [r["status"] for r in pay.records("payment")] == ["captured"]
    with Session(pay.engine) as session:
        assert sorted(r.event_id for r in session.scalars(select(PaymentInbox))) == [
            "evt_a",
            "evt_c",
        ]
        assert all(r.applied for r in session.scalars(select(PaymentInbox)))
    assert pay.audit() is None


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b'{"notifications": []}', 422, "non-empty list"),
        (b'{"notifications": [{"id": "e"}]}', 422, "expected a payment or refund"),
        (b'{"notifications": 7}', 422, "non-empty list"),
    ],
)
def test_a_bad_batch_is_refused_whole(pay: Pay, body: bytes, status: int, words: str) -> None:
    answer = pay.client.post(URL, content=body, headers=_signed(pay, body))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.json()["detail"]
    unsigned = pay.client.post(URL, content=body, headers={SIGNATURE_HEADER: "t=1,v1=00"})
    assert unsigned.status_code == 401


def test_a_provider_taking_part_of_a_batch_gets_the_rest_later(pay: Pay) -> None:
    pay.agree()
    pay.ride(8)
    sandbox = pay.sandbox(sandbox_max_batch=2, sandbox_latency_ms=1, sandbox_duplicate_rate=0.5)
    worker = pay.worker(sandbox)
    first = worker.run_once(datetime.now(UTC))
    with Session(pay.engine) as session:
        statuses = [p.status for p in session.scalars(select(Payment))]
    assert first.created == len(statuses) > 2 and statuses.count("new") == len(statuses) - 2
    for _ in range(5):
        pay.settle(worker)
    with Session(pay.engine) as session:
        assert {p.status for p in session.scalars(select(Payment))} == {"captured"}
        assert _count(pay.engine) == len(statuses)
    captured = [r["payment"] for r in pay.records("payment") if r["status"] == "captured"]
    assert len(captured) == len(set(captured)) == len(statuses)
    assert pay.audit() is None


def test_a_webhook_saying_nothing_new_is_still_marked_applied(pay: Pay) -> None:
    pay.agree()
    pay.ride(1)
    worker = pay.worker(pay.sandbox(sandbox_loss_rate=1.0, sandbox_latency_ms=60_000))
    worker.run_once(datetime.now(UTC))
    with Session(pay.engine) as session:
        payment = session.scalars(select(Payment)).first()
    assert payment is not None and payment.status == "pending"
    about = PaymentAnswer(payment.attempt_key, "pay_1", Outcome.PENDING, payment.amount_fen)
    body = encode_news(WebhookNews("evt_p", about), 0)
    assert (
        pay.client.post(URL, content=body, headers=_signed(pay, body)).json()["duplicate"] is False
    )
    worker.run_once(datetime.now(UTC))
    with Session(pay.engine) as session:
        assert [r.applied for r in session.scalars(select(PaymentInbox))] == [True]
        assert session.scalars(select(Payment)).one().status == "pending"
    assert pay.records("payment") == []
