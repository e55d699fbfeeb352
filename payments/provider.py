"""The payment provider interface: what farechain asks of WeChat Pay, Stripe or the sandbox.

The model is entrusted deduction (委托代扣): the rider signs an agreement once, then
the operator deducts each trip's fare without asking again. A provider's answers are
asynchronous: `create_payment` may say only "pending"; the outcome arrives later as a
signed webhook (late, twice, or out of order) or is found by `query_payment`. Every
request carries an idempotency key (`payments.keys`): sending it again returns the
first answer and never moves money twice.

A provider that cannot be reached raises `ProviderUnavailable`; the caller keeps the
work and sends the same request again later, with the same key.

The worker asks in batches (`create_payments`, `query_payments`): one request carries
many payments, and each gets its own answer. Real providers differ here. Bank
direct-debit submissions (a SEPA pain.008 file, a Chinese bank's batch collection) take
many items at once and report per item; Adyen delivers webhooks in batches of
notification items. WeChat Pay's entrusted deduction and Stripe's PaymentIntents take
one payment per HTTP request, so an adapter for them implements the batch by sending the
items concurrently over kept-alive connections, each with its own idempotency key, within
the provider's rate limit (Stripe's default is 100 writes/s in live mode, raised on
request). Either way the contract is the same: an answer per item, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from payments.states import Outcome, RefundOutcome

__all__ = [
    "AgreementAnswer",
    "AgreementRequest",
    "BadSignature",
    "MalformedWebhook",
    "PaymentAnswer",
    "PaymentRequest",
    "Provider",
    "ProviderUnavailable",
    "RefundAnswer",
    "WebhookNews",
]


class ProviderUnavailable(Exception):
    """The provider did not answer (down, or timed out): try again with the same key."""


class BadSignature(ValueError):
    """A webhook whose signature is missing, stale or wrong."""


class MalformedWebhook(ValueError):
    """A correctly signed webhook whose body is not one the provider sends."""


@dataclass(frozen=True, slots=True)
class AgreementAnswer:
    ref: str
    active: bool


@dataclass(frozen=True, slots=True)
class AgreementRequest:
    """One agreement to create: `create_agreement`'s arguments, for a batch."""

    key: bytes
    payer: str


@dataclass(frozen=True, slots=True)
class PaymentAnswer:
    key: bytes  # the attempt's idempotency key
    ref: str  # the provider's own id for it
    outcome: Outcome
    amount_fen: int
    reason: str | None = None  # why it was declined


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """One payment to create: `create_payment`'s arguments, for a batch."""

    key: bytes
    agreement_ref: str | None
    amount_fen: int
    description: str


@dataclass(frozen=True, slots=True)
class RefundAnswer:
    key: bytes
    ref: str
    outcome: RefundOutcome
    amount_fen: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookNews:
    """One verified webhook: news of a payment attempt or of a refund."""

    event_id: str  # the provider's id of this notification; repeats carry the same one
    about: PaymentAnswer | RefundAnswer


class Provider(Protocol):
    name: str

    def create_agreement(self, *, key: bytes, payer: str) -> AgreementAnswer: ...

    def create_agreements(self, requests: Sequence[AgreementRequest]) -> list[AgreementAnswer]:
        """Many `create_agreement`s in one request: an answer per request, in order.

        For onboarding riders in bulk (a migration from another scheme, the demo world);
        the same keys make a resend after `ProviderUnavailable` harmless.
        """
        ...

    def revoke_agreement(self, *, ref: str) -> AgreementAnswer: ...

    def create_payment(
        self, *, key: bytes, agreement_ref: str | None, amount_fen: int, description: str
    ) -> PaymentAnswer:
        """Deduct under `agreement_ref`, or (None) a payment the rider confirms in the app."""
        ...

    def create_payments(self, requests: Sequence[PaymentRequest]) -> list[PaymentAnswer | None]:
        """Many `create_payment`s in one request: an answer per request, in order.

        None for an item the provider did not take (past its batch limit, say): send it
        again later with the same key. `ProviderUnavailable` if the whole request failed;
        some items may have been taken, which the same keys make harmless.
        """
        ...

    def query_payment(self, *, key: bytes) -> PaymentAnswer | None:
        """The provider's view of the attempt; None if it never received the request."""
        ...

    def query_payments(self, keys: Sequence[bytes]) -> list[PaymentAnswer | None]:
        """`query_payment` for many attempts in one request, in order."""
        ...

    def create_refund(self, *, key: bytes, payer: str, amount_fen: int) -> RefundAnswer: ...

    def query_refund(self, *, key: bytes) -> RefundAnswer | None: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> WebhookNews:
        """Verify and decode a callback; `BadSignature` or `MalformedWebhook` if not."""
        ...

    def parse_webhooks(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> tuple[list[WebhookNews], bool]:
        """Verify and decode a callback of one notification or a batch of them.

        Returns the notifications and whether the body was a batch.
        """
        ...
