"""Bad callbacks, a provider that is down or loses answers, pay-now races, agreements."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from payments import keys
from payments.models import Payment, PaymentInbox
from payments.provider import PaymentAnswer, WebhookNews
from payments.sandbox_models import SandboxPayment
from payments.states import Outcome
from payments.webhooks import SIGNATURE_HEADER, encode_news, sign
from tests.payments.conftest import Pay, later

URL = "/v1/payments/webhooks/sandbox"


def _signed(
    pay: Pay, news: WebhookNews, secret: bytes | None = None
) -> tuple[bytes, dict[str, str]]:
    body = encode_news(news, 0)
    key = secret or pay.settings.payments.webhook_secret.encode()
    return body, {SIGNATURE_HEADER: sign(key, body, int(datetime.now(UTC).timestamp()))}


def _one_payment(pay: Pay) -> Payment:
    with Session(pay.engine) as session:
        return session.scalars(select(Payment).where(Payment.amount_fen > 0)).first()  # type: ignore[return-value]


def test_bad_callbacks_get_clear_problems(pay: Pay) -> None:
    pay.agree()
    pay.ride(1)
    worker = pay.worker(pay.sandbox(sandbox_loss_rate=1.0, sandbox_latency_ms=60_000))
    worker.run_once(datetime.now(UTC))
    payment = _one_payment(pay)
    news = WebhookNews(
        "evt_x", PaymentAnswer(payment.attempt_key, "pay_x", Outcome.CAPTURED, payment.amount_fen)
    )
    body, headers = _signed(pay, news, secret=b"not the secret")
    answer = pay.client.post(URL, content=body, headers=headers)
    assert (
        answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    )
    assert "signature" in answer.json()["detail"]
    answer = pay.client.post(URL, content=body)
    assert answer.status_code == 401 and "header" in answer.json()["detail"]

    unknown = WebhookNews(
        "evt_y", PaymentAnswer(keys.pay_now_key("nobody", 0), "p", Outcome.CAPTURED, 1)
    )
    answer = pay.client.post(
        URL, content=_signed(pay, unknown)[0], headers=_signed(pay, unknown)[1]
    )
    assert answer.status_code == 404 and "unknown key" in answer.json()["detail"]
    answer = pay.client.post("/v1/payments/webhooks/stripe", content=body, headers=headers)
    assert answer.status_code == 404 and "stripe" in answer.json()["detail"]
    garbage = b'{"id": "evt_z"}'
    answer = pay.client.post(
        URL,
        content=garbage,
        headers={
            SIGNATURE_HEADER: sign(
                b"whsec_farechain_sandbox", garbage, int(datetime.now(UTC).timestamp())
            )
        },
    )
    assert answer.status_code == 422 and answer.json()["title"] == "Malformed notification"
    assert pay.records("payment") == []


def test_repeated_and_out_of_order_webhooks_record_once(pay: Pay) -> None:
    pay.agree()
    pay.ride(1)
    worker = pay.worker(pay.sandbox(sandbox_loss_rate=1.0, sandbox_latency_ms=60_000))
    worker.run_once(datetime.now(UTC))
    payment = _one_payment(pay)
    assert payment.status == "pending"
    about = PaymentAnswer(payment.attempt_key, "pay_1", Outcome.CAPTURED, payment.amount_fen)
    captured = _signed(pay, WebhookNews("evt_cap", about))
    authorised = _signed(
        pay,
        WebhookNews(
            "evt_auth",
            PaymentAnswer(payment.attempt_key, "pay_1", Outcome.AUTHORISED, payment.amount_fen),
        ),
    )
    first = pay.client.post(URL, content=captured[0], headers=captured[1])
    again = pay.client.post(URL, content=captured[0], headers=captured[1])
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    worker.run_once(datetime.now(UTC))
    late = pay.client.post(URL, content=authorised[0], headers=authorised[1])  # after the capture
    assert late.status_code == 200
    worker.run_once(datetime.now(UTC))
    assert [r["status"] for r in pay.records("payment")] == ["captured"]
    with Session(pay.engine) as session:
        inbox = session.scalars(select(PaymentInbox)).all()
        assert inbox and all(row.applied for row in inbox)
    assert pay.audit() is None


def test_lost_webhooks_are_found_by_querying(pay: Pay) -> None:
    pay.agree()
    pay.ride(4)
    worker = pay.worker(pay.sandbox(sandbox_loss_rate=1.0, sandbox_latency_ms=1), query_after_s=60)
    pay.settle(worker)
    assert pay.records("payment") == []  # no webhook came; nothing is known yet
    pay.settle(worker, now=later(0.01))
    assert {r["status"] for r in pay.records("payment")} == {"captured"}
    assert pay.audit() is None


def test_a_provider_down_for_minutes_loses_and_doubles_nothing(pay: Pay) -> None:
    pay.agree()
    pay.ride(4)
    pay.settle(pay.worker(pay.sandbox(sandbox_down=True)))
    with Session(pay.engine) as session:
        assert {p.status for p in session.scalars(select(Payment))} == {"new"}
    pay.settle(pay.worker(pay.sandbox(sandbox_lose_response_rate=1.0)))  # taken, answers lost
    pay.settle(pay.worker(pay.sandbox()))
    with Session(pay.engine) as session:
        sent = session.scalar(select(func.count()).select_from(SandboxPayment))
        assert sent == session.scalar(select(func.count()).select_from(Payment))
        assert {p.status for p in session.scalars(select(Payment))} == {"captured"}
    assert len(pay.records("payment")) == sent
    pay.use(pay.sandbox(sandbox_down=True))
    rider = pay.riders()[0]
    answer = pay.client.post("/v1/me/payment-agreement", headers=pay.headers(rider))
    assert answer.status_code in (409, 503)
    assert pay.audit() is None


def test_two_pay_nows_at_once_one_wins(pay: Pay) -> None:
    pay.ride(8)
    pay.settle(pay.worker())  # no agreement: all declined, all owed
    rider = next(
        r
        for r in pay.riders()
        if pay.client.get("/v1/me/account", headers=pay.headers(r)).json()["owed_fen"] >= 2
    )
    owed = pay.client.get("/v1/me/account", headers=pay.headers(rider)).json()["owed_fen"]
    pay.use(pay.sandbox(sandbox_latency_ms=60_000))  # the first stays pending
    answers: list[int] = []

    def pay_half() -> None:
        reply = pay.client.post(
            "/v1/me/payments/pay-now", json={"amount_fen": owed // 2}, headers=pay.headers(rider)
        )
        answers.append(reply.status_code)

    threads = [threading.Thread(target=pay_half) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [202, 409]
    again = pay.client.post(
        "/v1/me/payments/pay-now", json={"amount_fen": 1}, headers=pay.headers(rider)
    )
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    for bad in ({"amount_fen": 0}, {"amount_fen": "5"}, {}, {"amount_fen": 1.5}):
        reply = pay.client.post("/v1/me/payments/pay-now", json=bad, headers=pay.headers(rider))
        assert reply.status_code == 422, bad
        assert "amount_fen" in reply.json()["detail"]


def test_agreement_routes(pay: Pay) -> None:
    h = pay.headers(pay.riders()[0])
    assert pay.client.get("/v1/me/account", headers=h).json()["agreement"] == {
        "status": "none",
        "since": None,
    }
    signed = pay.client.post("/v1/me/payment-agreement", headers=h)
    assert signed.status_code == 201 and signed.json()["agreement"]["status"] == "active"
    assert pay.client.post("/v1/me/payment-agreement", headers=h).status_code == 409
    revoked = pay.client.delete("/v1/me/payment-agreement", headers=h)
    assert revoked.status_code == 200 and revoked.json()["agreement"]["status"] == "revoked"
    assert pay.client.delete("/v1/me/payment-agreement", headers=h).status_code == 409
    assert pay.client.get("/v1/me/account").status_code == 401
    assert [r["status"] for r in pay.records("payment_agreement")] == ["authorised", "revoked"]
    assert pay.client.post("/v1/me/payment-agreement", headers=h).status_code == 201  # again
