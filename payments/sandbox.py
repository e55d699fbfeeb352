"""The sandbox provider: entrusted deduction that behaves like the real thing.

It answers like WeChat Pay's entrusted deduction and Stripe do:

- `create_payment` answers "pending"; the attempt settles `latency_ms` later
  (captured, or declined for `decline_rate` of attempts, chosen by a keyed hash of the
  attempt key so a run is reproducible); a deduction without an active agreement is
  declined at once;
- each outcome is announced by signed webhooks (`payments.webhooks`) sent after a
  random delay up to `webhook_delay_ms`, so they arrive out of order; `duplicate_rate`
  of them are sent twice, `loss_rate` never: those outcomes are found only by querying;
- `down` makes every call fail with `ProviderUnavailable`; `lose_response_rate` of
  create calls succeed on the sandbox's side but the answer is lost (a timeout), which
  is what idempotency keys are for: the same key returns the first payment.

Its books are tables of its own (`payments.sandbox_models`), written in transactions
of its own. `pump` settles what is due and sends due webhooks through `deliver`; it runs
in the payments worker's process or one of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from payments.provider import (
    AgreementAnswer,
    PaymentAnswer,
    ProviderUnavailable,
    RefundAnswer,
    WebhookNews,
)
from payments.sandbox_models import SandboxAgreement, SandboxPayment, SandboxRefund, SandboxWebhook
from payments.states import Outcome, RefundOutcome
from payments.webhooks import SIGNATURE_HEADER, decode_news, encode_news, sign, verify

__all__ = ["Deliver", "SandboxConfig", "SandboxProvider"]

log = logging.getLogger(__name__)

Deliver = Callable[[bytes, dict[str, str]], int]  # (body, headers) -> HTTP status
_MAX_DELIVERIES = 12


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    secret: bytes
    decline_rate: float = 0.0
    latency_ms: int = 0
    webhook_delay_ms: int = 0
    duplicate_rate: float = 0.0
    loss_rate: float = 0.0
    lose_response_rate: float = 0.0
    refund_fail_rate: float = 0.0
    down: bool = False
    seed: bytes = b"sandbox"


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


class SandboxProvider:
    """The `Provider` over the sandbox's books."""

    name = "sandbox"

    def __init__(
        self, engine: Engine, config: SandboxConfig, *, clock_ms: Callable[[], int] = _now_ms
    ) -> None:
        self.engine = engine
        self.config = config
        self.clock_ms = clock_ms

    # -- randomness that a rerun repeats ------------------------------------------------
    def _chance(self, purpose: str, key: bytes) -> float:
        mac = hmac.new(self.config.seed, purpose.encode() + b"\0" + key, hashlib.sha256)
        return int.from_bytes(mac.digest()[:8], "big") / 2**64

    def _reachable(self) -> None:
        if self.config.down:
            raise ProviderUnavailable("sandbox provider is down")

    # -- agreements ---------------------------------------------------------------------
    def create_agreement(self, *, key: bytes, payer: str) -> AgreementAnswer:
        self._reachable()
        ref = "agr_" + key[:12].hex()
        with Session(self.engine) as session, session.begin():
            row = session.get(SandboxAgreement, ref)
            if row is None:
                row = SandboxAgreement(ref=ref, key=key, payer=payer, created_ms=self.clock_ms())
                session.add(row)
            return AgreementAnswer(row.ref, row.active)

    def revoke_agreement(self, *, ref: str) -> AgreementAnswer:
        self._reachable()
        with Session(self.engine) as session, session.begin():
            row = session.get(SandboxAgreement, ref)
            if row is None:
                return AgreementAnswer(ref, False)
            row.active = False
            return AgreementAnswer(row.ref, False)

    # -- payments -----------------------------------------------------------------------
    def create_payment(
        self, *, key: bytes, agreement_ref: str | None, amount_fen: int, description: str
    ) -> PaymentAnswer:
        self._reachable()
        if amount_fen <= 0:
            raise ValueError(f"expected amount_fen > 0, got {amount_fen}")
        now = self.clock_ms()
        try:
            with Session(self.engine) as session, session.begin():
                if session.get(SandboxPayment, key) is None:
                    self._open_payment(session, key, agreement_ref, amount_fen, now)
        except IntegrityError:
            pass  # the same key raced in from a resend: the first one stands
        if self.config.latency_ms == 0:
            self._settle_due(now, only_key=key)
        if self._chance("lose-response", key) < self.config.lose_response_rate:
            raise ProviderUnavailable("sandbox provider timed out (the request was taken)")
        answer = self._payment_answer(key)
        assert answer is not None
        return answer

    def _open_payment(
        self, session: Session, key: bytes, agreement_ref: str | None, amount: int, now: int
    ) -> None:
        row = SandboxPayment(
            key=key,
            ref="pay_" + key[:12].hex(),
            agreement_ref=agreement_ref,
            amount_fen=amount,
            status="pending",
            created_ms=now,
            settle_ms=now + self.config.latency_ms,
        )
        session.add(row)
        if agreement_ref is not None:
            agreement = session.get(SandboxAgreement, agreement_ref)
            if agreement is None or not agreement.active:
                # WeChat Pay refuses a deduction under no contract at once.
                row.status, row.reason = "declined", "no_agreement"
                session.flush()
                self._announce(session, _payment(row), now)

    def query_payment(self, *, key: bytes) -> PaymentAnswer | None:
        self._reachable()
        self._settle_due(self.clock_ms(), only_key=key)
        return self._payment_answer(key)

    def _payment_answer(self, key: bytes) -> PaymentAnswer | None:
        with Session(self.engine) as session:
            row = session.get(SandboxPayment, key)
            return None if row is None else _payment(row)

    # -- refunds ------------------------------------------------------------------------
    def create_refund(self, *, key: bytes, payer: str, amount_fen: int) -> RefundAnswer:
        self._reachable()
        now = self.clock_ms()
        try:
            with Session(self.engine) as session, session.begin():
                if session.get(SandboxRefund, key) is None:
                    session.add(
                        SandboxRefund(
                            key=key,
                            ref="re_" + key[:12].hex(),
                            payer=payer,
                            amount_fen=amount_fen,
                            status="pending",
                            created_ms=now,
                            settle_ms=now + self.config.latency_ms,
                        )
                    )
        except IntegrityError:
            pass
        if self.config.latency_ms == 0:
            self._settle_due(now, only_key=key)
        answer = self.query_refund(key=key)
        assert answer is not None
        return answer

    def query_refund(self, *, key: bytes) -> RefundAnswer | None:
        self._reachable()
        self._settle_due(self.clock_ms(), only_key=key)
        with Session(self.engine) as session:
            row = session.get(SandboxRefund, key)
            return None if row is None else _refund(row)

    # -- settling and notifying ---------------------------------------------------------
    def _settle_due(self, now: int, *, only_key: bytes | None = None, limit: int = 500) -> int:
        settled = 0
        for table in (SandboxPayment, SandboxRefund):
            query = select(table.key).where(
                col(table.status) == "pending", col(table.settle_ms) <= now
            )
            if only_key is not None:
                query = query.where(col(table.key) == only_key)
            with Session(self.engine) as session:
                due = list(session.scalars(query.limit(limit)))
            for key in due:
                settled += self._settle(table, key, now)
        return settled

    def _settle(
        self, table: type[SandboxPayment] | type[SandboxRefund], key: bytes, now: int
    ) -> int:
        if table is SandboxPayment:
            declined = self._chance("decline", key) < self.config.decline_rate
            status, reason = ("declined", "insufficient_funds") if declined else ("captured", None)
        else:
            failed = self._chance("refund-fail", key) < self.config.refund_fail_rate
            status, reason = ("failed", "account_closed") if failed else ("succeeded", None)
        with Session(self.engine) as session, session.begin():
            # Exactly one settler wins, whoever else (a query, the pump) tries at once.
            result = session.execute(
                update(table)
                .where(col(table.key) == key, col(table.status) == "pending")
                .values(status=status, reason=reason)
            )
            won = int(getattr(result, "rowcount", 0))
            if won:
                row = session.get(table, key)
                answer: PaymentAnswer | RefundAnswer
                if isinstance(row, SandboxPayment):
                    answer = _payment(row)
                else:
                    assert isinstance(row, SandboxRefund)
                    answer = _refund(row)
                self._announce(session, answer, now)
        return won

    def _announce(self, session: Session, answer: PaymentAnswer | RefundAnswer, now: int) -> None:
        news = [answer]
        if isinstance(answer, PaymentAnswer) and answer.outcome is Outcome.CAPTURED:
            # Stripe and WeChat tell of the authorisation and the capture separately.
            news.insert(
                0, PaymentAnswer(answer.key, answer.ref, Outcome.AUTHORISED, answer.amount_fen)
            )
        for about in news:
            event_id = (
                "evt_" + hashlib.sha256(about.key + str(about.outcome).encode()).hexdigest()[:24]
            )
            tag = event_id.encode()
            if self._chance("lose", tag) < self.config.loss_rate:
                continue
            body = encode_news(WebhookNews(event_id, about), now)
            copies = 2 if self._chance("twice", tag) < self.config.duplicate_rate else 1
            for copy in range(copies):
                delay = int(self._chance(f"delay{copy}", tag) * self.config.webhook_delay_ms)
                session.add(SandboxWebhook(event_id=event_id, body=body, deliver_ms=now + delay))

    def pump(self, deliver: Deliver, *, limit: int = 500) -> int:
        """Settle what is due and send due webhooks; returns how many were sent."""
        now = self.clock_ms()
        self._settle_due(now, limit=limit)
        with Session(self.engine) as session:
            due = list(
                session.scalars(
                    select(SandboxWebhook)
                    .where(
                        col(SandboxWebhook.done).is_(False), col(SandboxWebhook.deliver_ms) <= now
                    )
                    .order_by(col(SandboxWebhook.deliver_ms))
                    .limit(limit)
                )
            )
            session.expunge_all()
        sent = 0
        for hook in due:
            timestamp = self.clock_ms() // 1000
            headers = {SIGNATURE_HEADER: sign(self.config.secret, hook.body, timestamp)}
            try:
                status = deliver(hook.body, headers)
            except OSError as error:
                log.warning("webhook %s not delivered: %s", hook.event_id, error)
                status = 0
            ok = 200 <= status < 300
            attempts = hook.attempts + 1
            with Session(self.engine) as session, session.begin():
                session.execute(
                    update(SandboxWebhook)
                    .where(col(SandboxWebhook.id) == hook.id)
                    .values(
                        attempts=attempts,
                        done=ok or attempts >= _MAX_DELIVERIES,
                        # Like Stripe: resend with backoff while the receiver fails.
                        deliver_ms=now + min(2**attempts, 3600) * 1000,
                    )
                )
            sent += ok
        return sent

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> WebhookNews:
        verify([self.config.secret], body, headers, now)
        return decode_news(body)


def _payment(row: SandboxPayment) -> PaymentAnswer:
    return PaymentAnswer(row.key, row.ref, Outcome(row.status), row.amount_fen, row.reason)


def _refund(row: SandboxRefund) -> RefundAnswer:
    return RefundAnswer(row.key, row.ref, RefundOutcome(row.status), row.amount_fen, row.reason)
