"""The batcher keeps the ledger's single writer and survives Redis losing its data."""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlalchemy.orm import Session
from sqlmodel import select

from farechain.settings import Settings
from farechain.stream_key import stream_mac_key
from gates import keys
from gates.stream import encode_event
from tests.builders import gate_tap_on_stream, make_batcher, minutes_ago, post_trips
from trips.batcher import _cycle_collection_paused
from trips.lease import Holder, Lease
from trips.models import Trip


def _trips(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Trip)) or 0


def test_only_one_batcher_holds_the_lease(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    _, _, settings = system
    first = make_batcher(engine, redis_client, settings)
    second = make_batcher(engine, redis_client, settings)
    # Another holder (its value differs); this process, the first's, is alive.
    second.lease = Lease(redis_client, keys.BATCHER_LEASE, Holder.this_process("batcher-2"))
    assert first.hold_lease() and first.hold_lease()  # taking and renewing
    assert not second.hold_lease()
    first._release_lease()
    assert second.hold_lease() and not first.hold_lease()


def test_a_batcher_recreates_its_group_when_redis_lost_the_stream(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    batcher = make_batcher(engine, redis_client, settings)
    stop = threading.Event()
    thread = threading.Thread(target=batcher.run, args=(stop,))
    thread.start()
    try:
        post_trips(client, creds, 3)
        _wait_for(lambda: _trips(engine) == 3)
        redis_client.delete(keys.STREAM)  # as after a Redis that lost its data
        post_trips(client, creds, 4, seed=11)
        _wait_for(lambda: _trips(engine) == 7)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert redis_client.get(keys.BATCHER_LEASE) is None  # released on the way out


def _wait_for(condition: Any, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_collector_pauses_for_a_block_only(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 3)
    batcher = make_batcher(engine, redis_client, settings)
    seal, collecting_while_sealing = batcher.sealer.seal, []

    def observed_seal(*args: Any, **kwargs: Any) -> Any:
        collecting_while_sealing.append(gc.isenabled())
        return seal(*args, **kwargs)

    batcher.sealer.seal = observed_seal  # type: ignore[method-assign]
    assert batcher.drain() == 3
    assert collecting_while_sealing == [False]
    assert gc.isenabled()
    with pytest.raises(RuntimeError), _cycle_collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("the block failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with _cycle_collection_paused():
            pass
        assert not gc.isenabled()  # whoever turned it off turns it back on
    finally:
        gc.enable()


def test_trip_ends_arriving_one_by_one_gather_into_one_block_in_few_reads(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, creds, settings = system
    rider = creds["riders"][0]["id"]
    began, ended = minutes_ago(30).isoformat(), minutes_ago(10).isoformat()
    events = [
        {
            "rider": rider,
            "mode": "metro",
            "start": gate_tap_on_stream(f"g{n}-in", began, "luohu"),
            "end": gate_tap_on_stream(f"g{n}", ended, "guomao"),
        }
        for n in range(300)
    ]
    batcher = make_batcher(
        engine, redis_client, settings, block_max_events=500, block_max_wait_ms=3000
    )
    batcher.ensure_group()
    reads = []
    read = redis_client.xreadgroup

    def counted_read(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        return read(*args, **kwargs)

    monkeypatch.setattr(redis_client, "xreadgroup", counted_read)

    key = stream_mac_key(settings)

    def trickle() -> None:  # 300 trip-ends over about 0.7 s
        for event in events:
            redis_client.xadd(keys.STREAM, encode_event(event, key))  # type: ignore[arg-type]
            time.sleep(0.002)

    feeder = threading.Thread(target=trickle)
    feeder.start()
    try:
        result = batcher.step()
    finally:
        feeder.join()
    assert result is not None and result.trips == 300
    # Its own pending entries first (none), one blocking read for the first new entry,
    # then one read per 20 ms until the block's 3 s are up: 152 at most. Reading each
    # trip-end as it arrives took about 300.
    assert len(reads) <= 2 + 3000 // 20
