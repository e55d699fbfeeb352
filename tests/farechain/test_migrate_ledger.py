"""A ledger sealed by the release before migrations survives the upgrade: the audit
(`farechain verify`'s) passes before and after, and the batcher keeps sealing on it.

That release wrote version-1 records (personal fields in clear, no `ledger_openings`
table), so the old ledger is sealed by `SealerV1` on the baseline tables; before the
upgrade only the ledger's own audit can run (today's projection audit reads the
openings table, which that schema lacks)."""

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
from ledger import keyfiles
from ledger.audit import audit_ledger
from ledger.models import Block, LedgerRecord
from storage.engine import make_engine
from tests.builders import make_batcher, make_settings, make_world, post_trips, run_audit
from tests.farechain.scratch_db import scratch_database
from tests.v1_records import make_v1_batcher
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
                assert make_v1_batcher(engine, redis_client, settings).drain() == 30
                with Session(engine) as session:
                    old = audit_ledger(
                        session,
                        verifier_keys=keyfiles.load_verifier_keys(settings.ledger_public_keys_path),
                        origin=settings.ledger.origin,
                    )
                assert old.problem is None
                sealed = _ledger(engine)
                # a trip and a charge per trip, an invoice per paid one
                assert sealed[0] == 60 + _paid_trips(engine)

                assert upgrade(engine) == Upgrade(before=None, after=head(), adopted=True)
                assert current(engine) == head()
                assert _ledger(engine) == sealed
                assert run_audit(engine, settings) is None

                # and the next blocks (version 2 now) chain on from the old ones.
                post_trips(client, credentials, 5, seed=8)
                batcher = make_batcher(engine, redis_client, settings, block_max_events=10)
                assert batcher.drain() == 5
            assert _ledger(engine)[0] == 70 + _paid_trips(engine)
            assert run_audit(engine, settings) is None
        finally:
            engine.dispose()
