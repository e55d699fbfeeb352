"""`farechain verify` reads one snapshot: blocks committed meanwhile do not exist for it."""

from __future__ import annotations

import threading
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlalchemy.orm import Session
from sqlmodel import select

from farechain.settings import Settings
from ledger.models import LedgerRecord
from storage.engine import snapshot_session
from tests.builders import make_batcher, post_trips, run_audit_in


def _records(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(LedgerRecord)) or 0


def test_a_snapshot_does_not_see_a_block_committed_after_it_began(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    batcher = make_batcher(engine, redis_client, settings)
    post_trips(client, creds, 3)
    assert batcher.drain() == 3
    with snapshot_session(engine) as snapshot:
        before = _records(snapshot)
        post_trips(client, creds, 4, seed=9)
        assert batcher.drain() == 4  # committed while the snapshot is open
        assert _records(snapshot) == before
        assert run_audit_in(snapshot, settings) is None
    with Session(engine) as session:
        assert _records(session) > before


def test_verify_while_the_batcher_seals_finds_no_false_failure(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    batcher = make_batcher(engine, redis_client, settings, block_max_events=4)
    stop = threading.Event()
    thread = threading.Thread(target=batcher.run, args=(stop,))
    thread.start()
    audits, sizes = 0, set()
    try:
        for round_ in range(12):
            post_trips(client, creds, 4, seed=round_)  # sealed meanwhile, a few per block
            with snapshot_session(engine) as snapshot:
                assert run_audit_in(snapshot, settings) is None
                sizes.add(_records(snapshot))
            audits += 1
    finally:
        stop.set()
        thread.join(timeout=30)
    assert audits == 12
    assert len(sizes) > 3  # the audits did see the ledger grow between them
