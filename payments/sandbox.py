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
of its own, a batch of requests per transaction (`payments.sandbox_books`). `pump`
settles what is due and sends due webhooks through `deliver`; it runs in the payments
worker's process or one of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from payments import sandbox_books as books
from payments.provider import (
    AgreementAnswer,
    AgreementRequest,
    PaymentAnswer,
    PaymentRequest,
    ProviderUnavailable,
    RefundAnswer,
    WebhookNews,
)
from payments.sandbox_books import Answer
from payments.sandbox_models import SandboxAgreement
from payments.states import Outcome
from payments.webhooks import (
    SIGNATURE_HEADER,
    decode_batch,
    decode_news,
    encode_batch,
    encode_news,
    sign,
    verify,
)
from storage.bulk import insert_missing
from storage.types import among, core_table

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
    max_batch: int = 500  # payments one `create_payments` takes; the rest: not taken
    webhook_batch: int = 1  # notifications per webhook body (1: one per POST, as Stripe)


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

    def _happens(self, purpose: str, key: bytes, rate: float) -> bool:
        """True for `rate` of keys; a rate of 0 or 1 needs no hash to say so."""
        if rate <= 0.0 or rate >= 1.0:
            return rate >= 1.0
        return self._chance(purpose, key) < rate

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

    def create_agreements(self, requests: Sequence[AgreementRequest]) -> list[AgreementAnswer]:
        """All of `requests` in one transaction: one INSERT and one SELECT, not one each."""
        self._reachable()
        if not requests:
            return []
        refs = ["agr_" + r.key[:12].hex() for r in requests]
        created = self.clock_ms()
        rows = [
            {"ref": ref, "key": r.key, "payer": r.payer, "active": True, "created_ms": created}
            for ref, r in zip(refs, requests, strict=True)
        ]
        table = core_table(SandboxAgreement)
        with Session(self.engine) as session, session.begin():
            insert_missing(session, table, rows, "ref")
            active = dict(
                session.execute(
                    select(table.c.ref, table.c.active).where(among(session, table.c.ref, refs))
                ).all()
            )
        return [AgreementAnswer(ref, bool(active[ref])) for ref in refs]

    def revoke_agreement(self, *, ref: str) -> AgreementAnswer:
        self._reachable()
        with Session(self.engine) as session, session.begin():
            row = session.get(SandboxAgreement, ref)
            if row is None:
                return AgreementAnswer(ref, False)
            row.active = False
            return AgreementAnswer(row.ref, False)

    # -- payments ---------------------------------------------------------------------
    def create_payment(
        self, *, key: bytes, agreement_ref: str | None, amount_fen: int, description: str
    ) -> PaymentAnswer:
        answer = self.create_payments([PaymentRequest(key, agreement_ref, amount_fen, description)])
        assert answer[0] is not None  # a batch of one is always taken
        return answer[0]

    def create_payments(self, requests: Sequence[PaymentRequest]) -> list[PaymentAnswer | None]:
        """Take up to `max_batch` payments in one transaction; None for the rest."""
        self._reachable()
        for request in requests:
            if request.amount_fen <= 0:
                raise ValueError(f"expected amount_fen > 0, got {request.amount_fen}")
        taken = list(requests[: max(1, self.config.max_batch)])
        keys = [r.key for r in taken]
        now = self.clock_ms()
        with Session(self.engine) as session, session.begin():
            news: list[Answer] = []
            news += books.open_payments(session, taken, now, self.config.latency_ms)
            if self.config.latency_ms == 0:
                news += books.settle_due(
                    session, now, self._outcome, keys, len(keys), tables=(books.PAYMENTS,)
                )
            self._announce(session, news, now)
            found = books.answers(session, books.PAYMENTS, keys)
        if taken and self._happens("lose-response", keys[0], self.config.lose_response_rate):
            raise ProviderUnavailable("sandbox provider timed out (the request was taken)")
        answers = [_as_payment(found.get(key)) for key in keys]
        return answers + [None] * (len(requests) - len(taken))

    def query_payment(self, *, key: bytes) -> PaymentAnswer | None:
        return self.query_payments([key])[0]

    def query_payments(self, keys: Sequence[bytes]) -> list[PaymentAnswer | None]:
        self._reachable()
        self._settle_due(self.clock_ms(), only_keys=keys)
        return self._payment_answers(keys)

    def _payment_answers(self, keys: Sequence[bytes]) -> list[PaymentAnswer | None]:
        with Session(self.engine) as session:
            found = books.answers(session, books.PAYMENTS, keys)
        return [_as_payment(found.get(key)) for key in keys]

    # -- refunds ------------------------------------------------------------------------
    def create_refund(self, *, key: bytes, payer: str, amount_fen: int) -> RefundAnswer:
        self._reachable()
        now = self.clock_ms()
        with Session(self.engine) as session, session.begin():
            books.open_refund(session, key, payer, amount_fen, now, self.config.latency_ms)
        if self.config.latency_ms == 0:
            self._settle_due(now, only_keys=[key])
        answer = self.query_refund(key=key)
        assert answer is not None
        return answer

    def query_refund(self, *, key: bytes) -> RefundAnswer | None:
        self._reachable()
        self._settle_due(self.clock_ms(), only_keys=[key])
        with Session(self.engine) as session:
            found = books.answers(session, books.REFUNDS, [key]).get(key)
        return None if found is None or isinstance(found, PaymentAnswer) else found

    # -- settling and notifying ---------------------------------------------------------
    def _outcome(self, table: Table, key: bytes) -> tuple[str, str | None]:
        if table is books.PAYMENTS:
            declined = self._happens("decline", key, self.config.decline_rate)
            return ("declined", "insufficient_funds") if declined else ("captured", None)
        failed = self._happens("refund-fail", key, self.config.refund_fail_rate)
        return ("failed", "account_closed") if failed else ("succeeded", None)

    def _settle_due(
        self, now: int, *, only_keys: Sequence[bytes] | None = None, limit: int = 500
    ) -> int:
        """Settle what is due (of `only_keys`), in one transaction; how many settled."""
        with Session(self.engine) as session, session.begin():
            settled = books.settle_due(session, now, self._outcome, only_keys, limit)
            self._announce(session, settled, now)
        return len(settled)

    def _announce(self, session: Session, answers: Sequence[Answer], now: int) -> None:
        rows = []
        for answer in answers:
            news = [answer]
            if isinstance(answer, PaymentAnswer) and answer.outcome is Outcome.CAPTURED:
                # Stripe and WeChat tell of the authorisation and the capture separately.
                news.insert(
                    0, PaymentAnswer(answer.key, answer.ref, Outcome.AUTHORISED, answer.amount_fen)
                )
            for about in news:
                event_id = (
                    "evt_"
                    + hashlib.sha256(about.key + str(about.outcome).encode()).hexdigest()[:24]
                )
                tag = event_id.encode()
                if self._happens("lose", tag, self.config.loss_rate):
                    continue
                body = encode_news(WebhookNews(event_id, about), now)
                copies = 2 if self._happens("twice", tag, self.config.duplicate_rate) else 1
                for copy in range(copies):
                    spread = self.config.webhook_delay_ms
                    delay = int(self._chance(f"delay{copy}", tag) * spread) if spread else 0
                    rows.append((event_id, body, now + delay, 0, False))
        books.add_webhooks(session, rows)

    def pump(self, deliver: Deliver, *, limit: int = 500) -> int:
        """Settle what is due and send due webhooks; returns how many were delivered.

        With `webhook_batch` > 1 the due notifications go out `webhook_batch` to a body
        (`payments.webhooks.encode_batch`), as Adyen batches its notification items.
        """
        now = self.clock_ms()
        self._settle_due(now, limit=limit)
        with Session(self.engine) as session:
            due = books.due_webhooks(session, now, limit)
        per_body = max(1, self.config.webhook_batch)
        delivered: list[int] = []
        failed: list[tuple[int, int]] = []
        for start in range(0, len(due), per_body):
            chunk = due[start : start + per_body]
            body = chunk[0].body if per_body == 1 else encode_batch([h.body for h in chunk])
            timestamp = self.clock_ms() // 1000
            headers = {SIGNATURE_HEADER: sign(self.config.secret, body, timestamp)}
            try:
                status = deliver(body, headers)
            except OSError as error:
                log.warning("webhook %s not delivered: %s", chunk[0].event_id, error)
                status = 0
            if 200 <= status < 300:
                delivered += [h.id for h in chunk]
            else:
                failed += [(h.id, h.attempts + 1) for h in chunk]
        if delivered or failed:
            with Session(self.engine) as session, session.begin():
                books.mark_webhooks(session, now, delivered, failed, _MAX_DELIVERIES)
        return len(delivered)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> WebhookNews:
        verify([self.config.secret], body, headers, now)
        return decode_news(body)

    def parse_webhooks(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> tuple[list[WebhookNews], bool]:
        verify([self.config.secret], body, headers, now)
        return decode_batch(body)


def _as_payment(found: Answer | None) -> PaymentAnswer | None:
    return found if isinstance(found, PaymentAnswer) else None
