"""A batcher killed by a signal at the worst moments loses nothing and duplicates nothing.

The batcher runs as a real subprocess (`farechain batcher`) with fault injection that
stops it dead at a named point of a block; the test then SIGKILLs it there and lets a
fresh batcher (same consumer name, as after a restart) finish the work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from farechain.settings import Settings
from gates import keys
from invoicing.models import Invoice
from tests.builders import make_batcher, post_trips, run_audit
from trips.models import Charge, Trip


def _kill_batcher_at(point: str, settings: Settings) -> None:
    env = {
        **os.environ,
        "REDIS_URL": settings.redis_url or "",
        "DATABASE_URL": settings.database_url or "",
        "FARECHAIN_VAR_DIR": str(settings.var_dir),
        "FARECHAIN_BATCHER__PAUSE_AT": point,
    }
    paused = settings.var_dir / "paused"
    process = subprocess.Popen([sys.executable, "-m", "farechain.cli", "batcher"], env=env)
    try:
        deadline = time.monotonic() + 60
        while not paused.exists():
            assert process.poll() is None, "the batcher died before reaching the pause point"
            assert time.monotonic() < deadline, f"the batcher never reached {point}"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def _counts(engine: Engine) -> tuple[int, int, int]:
    """Trips, charges, and invoices plus free trips (which get none)."""
    with Session(engine) as session:
        free = select(func.count()).select_from(Trip).where(col(Trip.fare_fen) == 0)
        return (
            session.scalar(select(func.count()).select_from(Trip)) or 0,
            session.scalar(select(func.count()).select_from(Charge)) or 0,
            (session.scalar(select(func.count()).select_from(Invoice)) or 0)
            + (session.scalar(free) or 0),
        )


def test_killed_before_commit_loses_nothing(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 12)
    _kill_batcher_at("before-commit", settings)
    assert _counts(engine) == (0, 0, 0)
    assert redis_client.xpending(keys.STREAM, keys.GROUP)["pending"] == 12
    assert make_batcher(engine, redis_client, settings).drain() == 12
    assert _counts(engine) == (12, 12, 12)
    assert redis_client.xpending(keys.STREAM, keys.GROUP)["pending"] == 0
    assert run_audit(engine, settings) is None


def test_killed_after_commit_before_ack_duplicates_nothing(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 12)
    _kill_batcher_at("before-ack", settings)
    assert _counts(engine) == (12, 12, 12)
    assert redis_client.xpending(keys.STREAM, keys.GROUP)["pending"] == 12
    assert make_batcher(engine, redis_client, settings).drain() == 0
    assert _counts(engine) == (12, 12, 12)
    assert redis_client.xpending(keys.STREAM, keys.GROUP)["pending"] == 0
    assert run_audit(engine, settings) is None
