"""Signing payment agreements for a seeded world: the demo's and the load test's start.

`farechain up` signs one agreement per rider before the system starts (so their trips
get paid); with 20,000 riders, one provider request and one ORM row per rider took about
a minute. The figure is agreements signed per second, riders seeded beforehand.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy.orm import Session
from sqlmodel import col, func, select

import fare
from farechain.db import create_schema
from farechain.payments_setup import make_sandbox
from farechain.settings import Settings
from ledger import keyfiles
from ledger.store import LedgerWriter
from payments.models import PaymentAccount
from payments.service import sign_agreements
from storage.engine import make_engine
from trips.models import Rider
from trips.seed import seed


def bench_agreements(
    workdir: Path, *, database_url: str | None, redis_url: str, riders: int
) -> dict[str, float]:
    settings = Settings(
        var_dir=workdir,
        database_url=database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        redis_url=redis_url,
    )
    engine = make_engine(settings.database_url_or_default)
    create_schema(engine)
    keyfiles.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    writer = LedgerWriter(origin=settings.ledger.origin, signers=signers)
    client = redis.Redis.from_url(redis_url)
    with Session(engine) as session:
        seed(session, client, fare.load_tariffs(), riders=riders, credentials_path=workdir / "c")
        ids = list(session.scalars(select(col(Rider.id))))
        began = time.perf_counter()
        signed = sign_agreements(
            session, writer, make_sandbox(settings, engine), rider_ids=ids, now=datetime.now(UTC)
        )
        took_s = time.perf_counter() - began
        accounts = session.scalar(select(func.count()).select_from(PaymentAccount))
    client.close()
    engine.dispose()
    if signed != len(ids) or accounts != len(ids):
        raise RuntimeError(f"expected {len(ids)} agreements, got {signed} ({accounts} accounts)")
    return {"agreements": float(signed), "seconds": took_s, "agreements_per_s": signed / took_s}
