"""A ledger sealed by the release before migrations survives the upgrade: the audit
(`farechain verify`'s) passes before and after, and the batcher keeps sealing on it."""

from __future__ import annotations

from pathlib import Path

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

import farechain.tables  # noqa: F401  (every model on the metadata)
from farechain.app import create_app
from farechain.migrate import BASELINE_TABLES, Upgrade, current, head, upgrade
from ledger.models import Block, LedgerRecord
from storage.engine import make_engine
from tests.builders import make_batcher, make_settings, make_world, post_trips, run_audit
from tests.farechain.scratch_db import scratch_database
from trips.models import Trip


def _ledger(engine: Engine) -> tuple[int, bytes | None]:
    with Session(engine) as session:
        records = session.scalar(select(func.count()).select_from(LedgerRecord)) or 0
        newest = session.scalar(
            select(col(Block.block_hash)).order_by(col(Block.height).desc()).limit(1)
        )
    return records, newest


def _paid_trips(engine: Engine) -> int:
    # A senior's metro trip is free: recorded with its zero charge, not invoiced.
    with Session(engine) as session:
        paid = select(func.count()).select_from(Trip).where(col(Trip.fare_fen) > 0)
        return session.scalar(paid) or 0


def test_a_sealed_ledger_from_before_migrations_upgrades_and_still_verifies(
    database_url: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path, var_dir: Path
) -> None:
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        try:
            # What that release's create_schema did: create_all, no version recorded.
            SQLModel.metadata.create_all(
                engine, tables=[SQLModel.metadata.tables[name] for name in BASELINE_TABLES]
            )
            settings = make_settings(var_dir, url, redis_url)
            credentials = make_world(engine, redis_client, settings, riders=10)
            with TestClient(create_app(settings)) as client:
                post_trips(client, credentials, 30)
                batcher = make_batcher(engine, redis_client, settings, block_max_events=10)
                assert batcher.drain() == 30
                assert run_audit(engine, settings) is None
                sealed = _ledger(engine)
                # a trip and a charge per trip, an invoice per paid one
                assert sealed[0] == 60 + _paid_trips(engine)

                assert upgrade(engine) == Upgrade(before=None, after=head(), adopted=True)
                assert current(engine) == head()
                assert _ledger(engine) == sealed
                assert run_audit(engine, settings) is None

                # and the next blocks chain on from the old ones.
                post_trips(client, credentials, 5, seed=8)
                assert batcher.drain() == 5
            assert _ledger(engine)[0] == 70 + _paid_trips(engine)
            assert run_audit(engine, settings) is None
        finally:
            engine.dispose()
