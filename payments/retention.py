"""Retention: the webhook inbox and the sandbox's books are pruned, not kept forever.

- `payment_inbox`: a webhook is kept after it is applied only to make a repeat a no-op.
  Providers stop repeating a notification after about three days (Stripe retries for up
  to 3 days, WeChat Pay for about 24 hours), so an applied row older than
  `inbox_keep` (72 h) is deleted. A repeat arriving later still changes nothing: the
  payment's state machine ignores news it already has (`payments.states.apply_news`).
- the sandbox's settled payments and refunds, and its webhooks given up on: a real
  provider keeps an idempotency key for a limited time too (Stripe: 24 hours), so after
  `sandbox_keep` (7 days) they go. Pending ones are never pruned: they are still owed
  an answer.

Rows go in batches of `batch`, each its own short transaction, so pruning a backlog
never holds a lock the worker or the API waits on for long; and at most `max_batches` per
table a pass, since the worker's rounds wait while it prunes: a first pass over a
backlog of millions takes several passes, one every `interval_s`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, Table, delete, select

from payments.models import PaymentInbox
from payments.sandbox_models import SandboxPayment, SandboxRefund, SandboxWebhook
from storage.types import core_table

__all__ = ["Pruned", "RetentionPolicy", "prune"]


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    inbox_keep: timedelta = timedelta(hours=72)
    # None: the provider is not the sandbox, whose books are then not ours to prune.
    sandbox_keep: timedelta | None = timedelta(days=7)
    interval_s: float = 300.0
    batch: int = 10_000
    max_batches: int = 20


@dataclass(frozen=True, slots=True)
class Pruned:
    inbox: int = 0
    sandbox_payments: int = 0
    sandbox_refunds: int = 0
    sandbox_webhooks: int = 0

    @property
    def total(self) -> int:
        return self.inbox + self.sandbox_payments + self.sandbox_refunds + self.sandbox_webhooks


def prune(engine: Engine, policy: RetentionPolicy, now: datetime) -> Pruned:
    """Delete what `policy` no longer keeps at `now`; how many rows of each table."""
    inbox = core_table(PaymentInbox)
    pruned = {
        "inbox": _delete_batches(
            engine,
            inbox,
            inbox.c.event_id,
            inbox.c.applied & (inbox.c.received_at < now - policy.inbox_keep),
            policy,
        )
    }
    if policy.sandbox_keep is not None:
        before_ms = int((now - policy.sandbox_keep).timestamp() * 1000)
        for name, model in (
            ("sandbox_payments", SandboxPayment),
            ("sandbox_refunds", SandboxRefund),
        ):
            settled = core_table(model)
            pruned[name] = _delete_batches(
                engine,
                settled,
                settled.c.key,
                (settled.c.status != "pending") & (settled.c.settle_ms < before_ms),
                policy,
            )
        webhooks = core_table(SandboxWebhook)
        pruned["sandbox_webhooks"] = _delete_batches(
            engine,
            webhooks,
            webhooks.c.id,
            webhooks.c.done & (webhooks.c.deliver_ms < before_ms),
            policy,
        )
    return Pruned(**pruned)


def _delete_batches(
    engine: Engine,
    table: Table,
    key: ColumnElement[object],
    where: ColumnElement[bool],
    policy: RetentionPolicy,
) -> int:
    deleted = 0
    for _ in range(policy.max_batches):
        with engine.begin() as connection:
            chosen = select(key).where(where).limit(policy.batch)
            count = connection.execute(delete(table).where(key.in_(chosen))).rowcount
        deleted += count
        if count < policy.batch:
            break
    return deleted
