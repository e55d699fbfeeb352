"""The payments worker under a steady load: charge committed -> payment captured.

`bench payments` drains a backlog with an instant sandbox; this one feeds committed
charges at a fixed rate (rows as the batcher leaves them, a block every 100 ms) while
the worker runs as `farechain up` runs it (`PaymentWorker.run`, the sandbox settling
and sending its webhooks on a thread of its own) with the sandbox's default behaviour:
300 ms to settle, webhooks up to 500 ms late, 5 % sent twice, 1 % lost (found by
querying), 2 % declined. Webhooks reach the inbox by a direct call, not HTTP. The
figures: how many were captured or declined, and the time from each charge's commit
to the block holding its `captured` record (that block's time, p50/p99).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy import Engine, func, insert, text
from sqlalchemy.orm import Session
from sqlmodel import col, select

import fare
from bench.payments import deliver_in_process
from farechain.db import create_schema
from farechain.payments_setup import make_policy, make_sandbox
from farechain.settings import PaymentSettings, Settings
from ledger import keyfiles
from ledger.store import LedgerWriter
from payments.models import Payment
from payments.service import sign_agreements
from payments.worker import PaymentWorker, WorkerLimits
from storage.engine import make_engine
from trips.models import Charge, Rider
from trips.seed import seed

_TICK_S = 0.1


def bench_payment_latency(
    workdir: Path,
    *,
    database_url: str | None,
    redis_url: str,
    rate_per_s: float,
    duration_s: float,
    riders: int,
    batch: int = PaymentSettings().batch,
) -> dict[str, float]:
    settings = Settings(
        var_dir=workdir,
        database_url=database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        redis_url=redis_url,
        payments=PaymentSettings(batch=batch),
    )
    config = settings.payments
    engine = make_engine(settings.database_url_or_default)
    create_schema(engine)
    keyfiles.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
    client = redis.Redis.from_url(redis_url)
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    writer = LedgerWriter(origin=settings.ledger.origin, signers=signers)
    sandbox = make_sandbox(settings, engine)
    with Session(engine) as session:
        seed(session, client, fare.load_tariffs(), riders=riders, credentials_path=workdir / "c")
        ids = list(session.scalars(select(col(Rider.id))))
        sign_agreements(session, writer, sandbox, rider_ids=ids, now=datetime.now(UTC))

    worker = PaymentWorker(
        engine,
        writer,
        sandbox,
        make_policy(settings),
        redis_client=client,
        limits=WorkerLimits(
            batch=config.batch,
            query_after_s=config.query_after_s,
            poll_interval_s=config.poll_interval_ms / 1000,
        ),
        pump=lambda: sandbox.pump(deliver_in_process(engine, sandbox)),
    )
    stop = threading.Event()
    running = threading.Thread(target=worker.run, args=(stop,), name="payments")
    cpu = time.process_time()
    running.start()
    committed_ms = _feed(engine, ids, rate_per_s, duration_s)
    fed_s = time.process_time() - cpu
    settled_s = _wait_settled(engine, len(committed_ms), timeout_s=120.0)
    stop.set()
    running.join()
    cpu = time.process_time() - cpu
    lags = _lags(engine, committed_ms)
    with Session(engine) as session:
        counts = dict(
            session.execute(
                select(col(Payment.status), func.count()).group_by(col(Payment.status))
            ).all()
        )
    client.close()
    engine.dispose()
    (workdir / "lags.json").write_text(json.dumps(lags))
    n = len(committed_ms)
    return {
        "charges_per_s": n / duration_s,
        "captured": float(counts.get("captured", 0)),
        "declined": float(counts.get("declined", 0)),
        "unsettled": float(n - counts.get("captured", 0) - counts.get("declined", 0)),
        "settled_s_after_feed": settled_s,
        "commit_to_captured_p50_ms": _percentile(lags, 50),
        "commit_to_captured_p99_ms": _percentile(lags, 99),
        "commit_to_captured_max_ms": max(lags, default=float("nan")),
        "process_cpu_us_per_payment": cpu / n * 1e6,
        "process_cpu_share_while_fed": fed_s / duration_s,
    }


def _feed(
    engine: Engine, riders: list[str], rate_per_s: float, duration_s: float
) -> dict[str, int]:
    """Commit `rate_per_s` charges a second in blocks of `_TICK_S`; commit time per trip."""
    committed: dict[str, int] = {}
    per_tick, n = rate_per_s * _TICK_S, 0
    began = time.monotonic()
    tick = 0
    while time.monotonic() - began < duration_s:
        due = round(per_tick * (tick + 1)) - round(per_tick * tick)
        rows = [
            {
                "record_index": 10**9 + n + i,
                "trip_event_id": f"lat-{n + i}",
                "rider_id": riders[(n + i) % len(riders)],
                "amount_fen": 200 + (n + i) % 700,
                "balance_after_fen": 0,
                "charged_at": datetime.now(UTC),
            }
            for i in range(due)
        ]
        with Session(engine) as session:
            session.execute(insert(Charge), rows)
            session.commit()
        at = int(time.time() * 1000)
        committed.update((str(r["trip_event_id"]), at) for r in rows)
        n += due
        tick += 1
        time.sleep(max(0.0, began + tick * _TICK_S - time.monotonic()))
    return committed


def _wait_settled(engine: Engine, charges: int, timeout_s: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        with Session(engine) as session:
            settled = session.scalar(
                select(func.count()).where(col(Payment.status).in_(["captured", "declined"]))
            )
        if settled == charges:
            return time.monotonic() - began
        time.sleep(0.25)
    return float("nan")


def _lags(engine: Engine, committed_ms: dict[str, int]) -> list[float]:
    with Session(engine) as session:
        rows = session.execute(
            text(
                "SELECT p.trip_event_id, b.created_at FROM payments p"
                " JOIN ledger_records r ON r.idx = p.record_index"
                " JOIN blocks b ON b.height = r.block_height WHERE p.status = 'captured'"
            )
        ).all()
    lags = []
    for event_id, created in rows:
        moment = created if created.tzinfo else created.replace(tzinfo=UTC)
        lags.append(moment.timestamp() * 1000 - committed_ms[event_id])
    return lags


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, round(q / 100 * len(ordered)) - 1)]
