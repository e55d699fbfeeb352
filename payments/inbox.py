"""The webhook inbox: verified callbacks kept for the worker, each notification once.

The API's webhook route calls these; the worker applies what they kept
(`payments.worker`, through `payments.book.record_news`). A body carries one
notification or, from a provider that batches them, many (`payments.webhooks`); either
way the whole body costs one signature check, one lookup per kind of key and one INSERT.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from payments.errors import BadWebhookSignature, MalformedNotification, PaymentNotFound
from payments.models import PaymentAttempt, PaymentInbox, Refund
from payments.provider import BadSignature, MalformedWebhook, PaymentAnswer, Provider
from payments.webhooks import encode_news
from storage.bulk import insert_missing
from storage.types import among, core_table

__all__ = ["WebhookReceipt", "receive_webhook", "receive_webhooks"]


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """What one callback body brought: a notification or a batch of them."""

    batch: bool
    notifications: int
    fresh: int  # kept for the worker; the rest were received before
    unknown: list[str]  # keys (hex) of payments or refunds we never asked for


def receive_webhook(
    session: Session, provider: Provider, body: bytes, headers: Mapping[str, str], now: datetime
) -> bool:
    """Verify and keep one callback for the worker; False if it was received before."""
    return receive_webhooks(session, provider, body, headers, now).fresh > 0


def receive_webhooks(
    session: Session, provider: Provider, body: bytes, headers: Mapping[str, str], now: datetime
) -> WebhookReceipt:
    """Verify a callback (one notification or a batch) and keep each new one for the worker.

    A single notification about a key we never asked for is a 404; in a batch it is
    named in the receipt and the rest are kept (one bad item must not make the provider
    resend the whole batch forever). Repeats, within the body or of earlier ones, are
    kept once: one INSERT ... ON CONFLICT DO NOTHING for the whole body.
    """
    try:
        news, batch = provider.parse_webhooks(body, headers, now)
    except BadSignature as error:
        raise BadWebhookSignature(str(error)) from error
    except MalformedWebhook as error:
        raise MalformedNotification(str(error)) from error
    attempts = [n.about.key for n in news if isinstance(n.about, PaymentAnswer)]
    refunds = [n.about.key for n in news if not isinstance(n.about, PaymentAnswer)]
    known: set[bytes] = set()
    for column, keys_ in ((col(PaymentAttempt.key), attempts), (col(Refund.key), refunds)):
        if keys_:
            known.update(session.scalars(select(column).where(among(session, column, keys_))))
    unknown = [n.about for n in news if n.about.key not in known]
    if unknown and not batch:
        about = unknown[0]
        kind = "payment" if isinstance(about, PaymentAnswer) else "refund"
        raise PaymentNotFound(f"expected a {kind} we asked for, got unknown key {about.key.hex()}")
    received_ms = int(now.timestamp() * 1000)
    rows: dict[str, dict[str, object]] = {}
    for item in news:
        if item.about.key in known:
            # A batch's item is kept re-encoded on its own, `created` = when received.
            kept = encode_news(item, received_ms) if batch else body
            rows.setdefault(
                item.event_id,
                {"event_id": item.event_id, "body": kept, "received_at": now, "applied": False},
            )
    fresh = insert_missing(session, core_table(PaymentInbox), list(rows.values()), "event_id")
    session.commit()
    return WebhookReceipt(batch, len(news), len(fresh), [a.key.hex() for a in unknown])
