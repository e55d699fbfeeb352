"""Signed webhook bodies, as Stripe signs them: HMAC-SHA256 over "<t>.<body>".

The header is `Farechain-Signature: t=<unix seconds>,v1=<hex HMAC>`; several `v1`
entries may appear while a secret is rotated. A signature older than the tolerance is
refused, so a captured callback cannot be replayed days later; a fresh repeat is
harmless because the receiver deduplicates by the event id inside the body.

The body is JSON::

    {"id": "evt_...", "object": "payment" | "refund", "key": "<hex attempt/refund key>",
     "ref": "...", "status": "authorised" | "captured" | "declined" | "succeeded" | ...,
     "amount_fen": 300, "reason": null, "created": <unix ms>}

or, when the provider sends notifications in batches (as Adyen does with its
`notificationItems`), `{"notifications": [<one body as above>, ...]}`, signed as a whole.
Each notification keeps its own id, so a repeat inside or across batches is still a no-op.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from payments.provider import (
    BadSignature,
    MalformedWebhook,
    PaymentAnswer,
    RefundAnswer,
    WebhookNews,
)
from payments.states import Outcome, RefundOutcome

__all__ = [
    "SIGNATURE_HEADER",
    "decode_batch",
    "decode_news",
    "encode_batch",
    "encode_news",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "farechain-signature"
DEFAULT_TOLERANCE_S = 300


def _mac(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(
    secrets: list[bytes],
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> None:
    """Raise `BadSignature` unless one of `secrets` signed `body` within the tolerance."""
    header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
    if not header:
        raise BadSignature(f"expected a {SIGNATURE_HEADER} header, got none")
    timestamp, macs = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            macs.append(value)
    if timestamp is None or not macs:
        raise BadSignature(f"expected 't=<seconds>,v1=<hex>' in {SIGNATURE_HEADER}, got {header!r}")
    age_s = now.timestamp() - timestamp
    if abs(age_s) > tolerance_s:
        raise BadSignature(f"expected a signature at most {tolerance_s} s old, got {age_s:.0f} s")
    for secret in secrets:
        expected = _mac(secret, timestamp, body)
        if any(hmac.compare_digest(expected, m) for m in macs):
            return
    raise BadSignature("expected a signature by the provider's secret, got another")


def encode_news(news: WebhookNews, created_ms: int) -> bytes:
    about = news.about
    body = {
        "id": news.event_id,
        "object": "payment" if isinstance(about, PaymentAnswer) else "refund",
        "key": about.key.hex(),
        "ref": about.ref,
        "status": str(about.outcome),
        "amount_fen": about.amount_fen,
        "reason": about.reason,
        "created": created_ms,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def encode_batch(bodies: Sequence[bytes]) -> bytes:
    """One body carrying the notifications `encode_news` made, in order."""
    return b'{"notifications":[' + b",".join(bodies) + b"]}"


def decode_batch(body: bytes) -> tuple[list[WebhookNews], bool]:
    """The notifications of a body of one or a batch; and whether it was a batch."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise MalformedWebhook(f"expected a payment or refund notification, got {error}") from error
    if isinstance(data, dict) and "notifications" in data:
        items = data["notifications"]
        if not isinstance(items, list) or not items:
            raise MalformedWebhook(
                f"expected a non-empty list of notifications, got {str(items)[:40]!r}"
            )
        return [_news_of(item) for item in items], True
    return [_news_of(data)], False


def decode_news(body: bytes) -> WebhookNews:
    try:
        data = json.loads(body)
    except ValueError as error:
        raise MalformedWebhook(f"expected a payment or refund notification, got {error}") from error
    return _news_of(data)


def _news_of(data: Any) -> WebhookNews:
    try:
        event_id, kind, status = str(data["id"]), data["object"], data["status"]
        key = bytes.fromhex(data["key"])
        ref, amount, reason = str(data["ref"]), data["amount_fen"], data["reason"]
        if len(key) != 32 or not isinstance(amount, int) or not event_id:
            raise ValueError("key, amount_fen or id out of shape")
        about: PaymentAnswer | RefundAnswer
        if kind == "payment":
            about = PaymentAnswer(key, ref, Outcome(status), amount, reason)
        elif kind == "refund":
            about = RefundAnswer(key, ref, RefundOutcome(status), amount, reason)
        else:
            raise ValueError(f"object {kind!r}")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise MalformedWebhook(f"expected a payment or refund notification, got {error}") from error
    return WebhookNews(event_id, about)
