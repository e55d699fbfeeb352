"""The payments worker alone: how many payments per second it settles.

A world of seeded riders with agreements, and N committed charges (rows as the batcher
leaves them, written directly so the figure is the worker's alone). The worker then
runs rounds until every payment is captured and recorded on the ledger: it reads the
charges through its cursor, sends each payment to the sandbox provider (in-process,
no latency, no declines), records the answers as ledger blocks, and the sandbox's
webhooks (signed, verified, deduplicated through the inbox) are applied too. The
figure is payments captured and recorded per second, from the first round to the last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy import Engine, func, insert
from sqlalchemy.orm import Session
from sqlmodel import col, select

import fare
from farechain.db import create_schema
from farechain.payments_setup import make_policy, make_sandbox
from farechain.settings import PaymentSettings, Settings
from ledger import keyfiles
from ledger.store import LedgerWriter
from payments.errors import PaymentsError
from payments.inbox import receive_webhooks
from payments.models import Payment
from payments.provider import Provider
from payments.service import sign_agreements
from payments.worker import PaymentWorker, WorkerLimits
from storage.engine import make_engine
from trips.models import Charge, Rider
from trips.seed import seed


def bench_payments(
    workdir: Path,
    *,
    database_url: str | None,
    redis_url: str,
    payments: int,
    riders: int,
    batch: int,
) -> dict[str, float]:
    settings = Settings(
        var_dir=workdir,
        database_url=database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        redis_url=redis_url,
        payments=PaymentSettings(
            sandbox_decline_rate=0.0,
            sandbox_latency_ms=0,
            sandbox_webhook_delay_ms=0,
            sandbox_duplicate_rate=0.0,
            sandbox_loss_rate=0.0,
            batch=batch,
        ),
    )
    engine = make_engine(settings.database_url_or_default)
    create_schema(engine)
    keyfiles.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
    client = redis.Redis.from_url(redis_url)
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    writer = LedgerWriter(origin=settings.ledger.origin, signers=signers)
    sandbox = make_sandbox(settings, engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        seed(
            session,
            client,
            fare.load_tariffs(),
            riders=riders,
            credentials_path=workdir / "creds.json",
        )
        ids = list(session.scalars(select(col(Rider.id))))
        sign_agreements(session, writer, sandbox, rider_ids=ids, now=now)
        session.execute(
            insert(Charge),
            [
                {
                    "record_index": 10**9 + n,
                    "trip_event_id": f"bench-{n}",
                    "rider_id": ids[n % len(ids)],
                    "amount_fen": 200 + n % 700,
                    "balance_after_fen": 0,
                    "charged_at": now,
                }
                for n in range(payments)
            ],
        )
        session.commit()

    worker = PaymentWorker(
        engine,
        writer,
        sandbox,
        make_policy(settings),
        redis_client=client,
        limits=WorkerLimits(batch=batch),
        pump=lambda: sandbox.pump(deliver_in_process(engine, sandbox)),
    )
    started, cpu = time.perf_counter(), time.process_time()
    rounds = 0
    while True:
        rounds += 1
        worker.run_once(datetime.now(UTC))
        with Session(engine) as session:
            done = session.scalar(
                select(func.count()).select_from(Payment).where(col(Payment.status) == "captured")
            )
        if done == payments:
            break
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    webhooks_started = time.perf_counter()
    while worker.pump is not None and worker.pump() > 0:
        worker.run_once(datetime.now(UTC))
    webhook_s = time.perf_counter() - webhooks_started
    client.close()
    engine.dispose()
    return {
        "payments": float(payments),
        "payments_per_s": payments / elapsed,
        "worker_cpu_us_per_payment": cpu / payments * 1e6,
        "rounds": float(rounds),
        "webhooks_applied_per_s": 2 * payments / webhook_s if webhook_s else 0.0,
    }


def deliver_in_process(
    engine: Engine, provider: Provider
) -> Callable[[bytes, dict[str, str]], int]:
    """The sandbox's webhook delivery straight into the inbox, answered as the route does."""

    def deliver(body: bytes, headers: dict[str, str]) -> int:
        with Session(engine) as session:
            try:
                receive_webhooks(session, provider, body, headers, datetime.now(UTC))
            except PaymentsError as error:
                return error.status_code
        return 200

    return deliver
