"""A seeded world with the payments side wired: the API in-process, a worker, the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.app import create_app
from farechain.payments_setup import make_policy, make_sandbox
from farechain.settings import PaymentSettings, Settings
from farechain.verify_rows import check_domain_rows
from ledger import keyfiles
from ledger.models import LedgerRecord
from ledger.openings import open_bodies
from ledger.store import LedgerWriter
from payments.records import balance_delta
from payments.sandbox import SandboxProvider
from payments.service import sign_agreements
from payments.worker import PaymentWorker, WorkerLimits
from tests.builders import make_batcher, make_world, post_trips, rider_headers
from trips.audit import audit


@dataclass
class Pay:
    client: TestClient
    creds: dict[str, Any]
    settings: Settings
    engine: Engine
    redis: redis.Redis

    def sandbox(self, **knobs: Any) -> SandboxProvider:
        config = self.settings.payments.model_copy(update=knobs)
        return make_sandbox(self.settings.model_copy(update={"payments": config}), self.engine)

    def use(self, sandbox: SandboxProvider) -> None:
        """The API's provider from now on (a rider's bank starts to say yes, say)."""
        self.client.app.state.payment_provider = sandbox  # type: ignore[attr-defined]

    def worker(self, sandbox: SandboxProvider | None = None, **limits: Any) -> PaymentWorker:
        provider = sandbox or self.sandbox()
        return PaymentWorker(
            self.engine,
            self.writer(),
            provider,
            make_policy(self.settings),
            redis_client=self.redis,
            limits=WorkerLimits(**limits),
            pump=lambda: provider.pump(self.deliver),
        )

    def writer(self) -> LedgerWriter:
        signers = keyfiles.load_log_signers(
            self.settings.ledger_key_path, self.settings.ledger.origin
        )
        return LedgerWriter(origin=self.settings.ledger.origin, signers=signers)

    def deliver(self, body: bytes, headers: dict[str, str]) -> int:
        return self.client.post(
            "/v1/payments/webhooks/sandbox", content=body, headers=headers
        ).status_code

    def settle(self, worker: PaymentWorker, now: datetime | None = None, rounds: int = 8) -> None:
        """Worker rounds and webhook deliveries until nothing moves."""
        for _ in range(rounds):
            busy = worker.run_once(now or datetime.now(UTC)).busy
            assert worker.pump is not None
            busy = worker.pump() > 0 or busy
            if not busy:
                return

    def ride(self, count: int, seed: int = 7) -> None:
        post_trips(self.client, self.creds, count, seed)
        make_batcher(self.engine, self.redis, self.settings).drain()

    def agree(self, riders: list[str] | None = None) -> None:
        with Session(self.engine) as session:
            sign_agreements(
                session,
                self.writer(),
                self.sandbox(),
                rider_ids=riders or self.riders(),
                now=datetime.now(UTC),
            )

    def riders(self) -> list[str]:
        return [r["id"] for r in self.creds["riders"]]

    def headers(self, rider: str) -> dict[str, str]:
        return rider_headers(self.creds, rider)

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The records of `kind` whole: public fields with their openings."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(col(LedgerRecord.idx), col(LedgerRecord.body))
                .where(col(LedgerRecord.type) == kind)
                .order_by(col(LedgerRecord.idx))
            ).all()
            return [opened.fields for _, opened in open_bodies(session, rows)]

    def audit(self) -> str | None:
        """`farechain verify`'s checks: the ledger, the projections, the payment rows."""
        verifier_keys = keyfiles.load_verifier_keys(self.settings.ledger_public_keys_path)
        with Session(self.engine) as session:
            return audit(
                session,
                verifier_keys=verifier_keys,
                origin=self.settings.ledger.origin,
                balance_moves={"payment": balance_delta, "refund": balance_delta},
            ).problem or check_domain_rows(session, verifier_keys)


def later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


@pytest.fixture
def pay(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> Iterator[Pay]:
    settings = Settings(
        var_dir=var_dir,
        database_url=database_url,
        redis_url=redis_url,
        payments=PaymentSettings(
            sandbox_decline_rate=0.0,
            sandbox_latency_ms=0,
            sandbox_webhook_delay_ms=0,
            sandbox_duplicate_rate=0.0,
            sandbox_loss_rate=0.0,
            block_at_fen=500,
        ),
    )
    creds = make_world(engine, redis_client, settings, riders=4)
    with TestClient(create_app(settings)) as client:
        yield Pay(client, creds, settings, engine, redis_client)
