"""Payments wiring: the provider and the debt policy that `Settings.payments` describe.

A real provider would be one more branch here (and one more `Provider` class); the
rest of the system sees only the interface.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import timedelta

import redis
from sqlalchemy import Engine

from farechain.settings import Settings
from ledger import keyfiles
from ledger.store import LedgerWriter
from payments.book import Policy
from payments.provider import Provider
from payments.retention import RetentionPolicy
from payments.sandbox import Deliver, SandboxConfig, SandboxProvider
from payments.schedule import RetrySchedule
from payments.worker import PaymentWorker, WorkerLimits
from storage.engine import make_engine

__all__ = [
    "http_deliver",
    "make_policy",
    "make_provider",
    "make_retention",
    "run_worker",
    "webhook_url",
]


def make_policy(settings: Settings) -> Policy:
    config = settings.payments
    return Policy(
        provider=config.provider,
        schedule=RetrySchedule.from_hours(config.retry_after_h),
        block_fen=config.block_at_fen,
    )


def make_provider(settings: Settings, engine: Engine) -> Provider:
    return make_sandbox(settings, engine)


def make_sandbox(settings: Settings, engine: Engine) -> SandboxProvider:
    config = settings.payments
    return SandboxProvider(
        engine,
        SandboxConfig(
            secret=config.webhook_secret.encode(),
            decline_rate=config.sandbox_decline_rate,
            latency_ms=config.sandbox_latency_ms,
            webhook_delay_ms=config.sandbox_webhook_delay_ms,
            duplicate_rate=config.sandbox_duplicate_rate,
            loss_rate=config.sandbox_loss_rate,
            down=config.sandbox_down,
            max_batch=config.sandbox_max_batch,
            webhook_batch=config.sandbox_webhook_batch,
        ),
    )


def webhook_url(settings: Settings) -> str:
    if settings.payments.webhook_url:
        return settings.payments.webhook_url
    server = settings.server
    return f"http://{server.host}:{server.port}/v1/payments/webhooks/{settings.payments.provider}"


def http_deliver(url: str) -> Deliver:
    """Send a webhook body by HTTP POST, as a provider does; returns the status."""

    def deliver(body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(
            url, data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    return deliver


def run_worker(settings: Settings, stop: threading.Event) -> None:
    """The payments worker process; with the sandbox, the sandbox's sender runs in it too."""
    from farechain.db import create_schema

    engine = make_engine(settings.database_url_or_default)
    create_schema(engine)
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    provider = make_provider(settings, engine)
    pump = None
    if isinstance(provider, SandboxProvider):
        deliver = http_deliver(webhook_url(settings))
        sandbox = provider

        def pump() -> int:
            return sandbox.pump(deliver)

    config = settings.payments
    worker = PaymentWorker(
        engine,
        LedgerWriter(origin=settings.ledger.origin, signers=signers),
        provider,
        make_policy(settings),
        redis_client=redis.Redis.from_url(settings.redis_url or ""),
        limits=WorkerLimits(
            batch=config.batch,
            query_after_s=config.query_after_s,
            poll_interval_s=config.poll_interval_ms / 1000,
            pause_file=settings.var_dir / "payments-paused" if config.pause_after_send else None,
        ),
        pump=pump,
        retention=make_retention(settings, sandbox=pump is not None),
    )
    worker.run(stop)


def make_retention(settings: Settings, *, sandbox: bool) -> RetentionPolicy:
    config = settings.payments
    return RetentionPolicy(
        inbox_keep=timedelta(hours=config.inbox_keep_h),
        sandbox_keep=timedelta(hours=config.sandbox_keep_h) if sandbox else None,
        interval_s=config.prune_interval_s,
    )


def sign_demo_agreements(settings: Settings, engine: Engine) -> None:
    """The demo's riders authorise entrusted deduction once, so their trips get paid."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session
    from sqlmodel import col, select

    from payments.service import sign_agreements
    from trips.models import Rider

    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    writer = LedgerWriter(origin=settings.ledger.origin, signers=signers)
    with Session(engine) as session:
        riders = list(session.scalars(select(col(Rider.id)).order_by(col(Rider.id))))
        sign_agreements(
            session,
            writer,
            make_provider(settings, engine),
            rider_ids=riders,
            now=datetime.now(UTC),
        )
