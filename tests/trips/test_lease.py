"""The single-writer lease: a dead holder on this machine is replaced at once, a live
one never, and a new batcher re-reads what its dead predecessor had read."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlalchemy.orm import Session
from sqlmodel import select

from farechain.settings import Settings
from gates import keys
from tests.builders import make_batcher, post_trips
from trips.lease import Holder, Lease, holder_is_dead, process_start
from trips.models import Trip

here = Holder.this_process("batcher-test")
linux = pytest.mark.skipif(not here.boot_id, reason="needs /proc (Linux)")


@pytest.fixture
def live_process() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def _holder_of(process: subprocess.Popen[bytes], consumer: str = "batcher-old") -> Holder:
    started = process_start(process.pid)
    assert started is not None
    return dataclasses.replace(here, pid=process.pid, started=started, consumer=consumer)


def _dead_holder(consumer: str = "batcher-old") -> Holder:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    holder = _holder_of(process, consumer) if process.poll() is None else None
    process.wait()
    return holder or dataclasses.replace(here, pid=process.pid, consumer=consumer)


def test_the_holder_round_trips_and_other_values_name_no_one() -> None:
    assert Holder.decode(here.encode()) == here
    assert Holder.decode(b"host:1234") is None  # the lease's old form
    assert Holder.decode(b'{"host": "h"}') is None


@linux
def test_a_process_start_time_tells_a_live_process_from_a_gone_or_reused_pid(
    live_process: subprocess.Popen[bytes],
) -> None:
    live = _holder_of(live_process)
    assert not holder_is_dead(live, here)
    assert not holder_is_dead(here, here)
    assert holder_is_dead(dataclasses.replace(live, started=str(int(live.started) + 1)), here)
    live_process.kill()
    assert process_start(live_process.pid) is None or live_process.poll() is None  # zombie
    live_process.wait()
    assert holder_is_dead(live, here)


def test_a_holder_elsewhere_or_of_unknown_start_is_never_judged_dead() -> None:
    gone = dataclasses.replace(here, pid=2**22 + 7)  # beyond pid_max: no such process
    assert not holder_is_dead(dataclasses.replace(gone, host="other-host"), here)
    assert not holder_is_dead(dataclasses.replace(gone, boot_id="another-boot"), here)
    assert not holder_is_dead(dataclasses.replace(gone, started=""), here)


@linux
def test_a_live_holder_is_never_displaced(
    redis_client: redis.Redis, live_process: subprocess.Popen[bytes]
) -> None:
    holder = Lease(redis_client, keys.BATCHER_LEASE, _holder_of(live_process))
    assert holder.hold()
    contender = Lease(redis_client, keys.BATCHER_LEASE, here)
    for _ in range(20):
        assert not contender.hold()
    assert contender.current() == holder.holder
    assert contender.predecessor == holder.holder  # seen, and left alone


@linux
def test_a_dead_holders_lease_is_taken_at_once(redis_client: redis.Redis) -> None:
    dead = Lease(redis_client, keys.BATCHER_LEASE, _dead_holder())
    assert dead.hold()
    heir = Lease(redis_client, keys.BATCHER_LEASE, here)
    assert heir.hold()
    assert heir.current() == here and heir.predecessor == dead.holder
    assert (redis_client.pttl(keys.BATCHER_LEASE) or 0) > 9_000


def test_a_holder_of_another_host_is_waited_out(redis_client: redis.Redis) -> None:
    remote = dataclasses.replace(here, host="elsewhere", pid=2**22 + 7)
    Lease(redis_client, keys.BATCHER_LEASE, remote, ttl_ms=300).hold()
    heir = Lease(redis_client, keys.BATCHER_LEASE, here)
    assert not heir.hold()
    time.sleep(0.4)
    assert heir.hold()
    assert heir.predecessor == remote


def _trips(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Trip)) or 0


@linux
def test_a_new_batcher_re_reads_its_dead_predecessors_entries_within_a_second(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    batcher = make_batcher(engine, redis_client, settings)
    batcher.ensure_group()
    post_trips(client, creds, 5)
    # The predecessor read all five under its own consumer name, then died unacknowledged.
    read: Any = redis_client.xreadgroup(keys.GROUP, "batcher-old", {keys.STREAM: ">"}, count=10)
    assert len(read[0][1]) == 5
    Lease(redis_client, keys.BATCHER_LEASE, _dead_holder("batcher-old")).hold()
    stop = threading.Event()
    thread = threading.Thread(target=batcher.run, args=(stop,))
    began = time.monotonic()
    thread.start()
    try:
        while _trips(engine) < 5:
            assert time.monotonic() - began < 2.0, "not re-read within 2 s"
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert _trips(engine) == 5
    assert redis_client.xpending(keys.STREAM, keys.GROUP)["pending"] == 0
    consumers: Any = redis_client.xinfo_consumers(keys.STREAM, keys.GROUP)
    assert "batcher-old" not in {c["name"] for c in consumers}
