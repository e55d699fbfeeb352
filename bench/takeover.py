"""How soon a batcher takes over from one killed with trip-ends read and unacknowledged.

Each round fills the stream with `events` metro trip-ends, then starts a stand-in for the
dead batcher: a process that takes the ledger lease as itself and reads every entry
under its consumer name, as a batcher does before it seals. It is killed (SIGKILL) and
reaped, as the supervisor does. Then a successor starts, and the figures are the seconds
from its start until it holds the lease, and until every entry the dead one had read is
sealed and acknowledged:
- `in_process`: a Batcher in this process (the takeover alone);
- `restarted`: `farechain batcher` as a new process, as the supervisor restarts it
  (Python's start and imports included; the supervisor's 0.25 s backoff is not).
Before the lease named its holder, a successor waited for the lease to lapse (10 s) and
then for the entries to idle past `reclaim_idle_ms` (30 s).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.seeded import seeded_world
from gates import keys, stream
from trips.batcher import Batcher, BatcherLimits
from trips.lease import Holder, Lease
from trips.models import Trip

__all__ = ["bench_takeover", "hold_and_read"]

_DEAD_CONSUMER = "batcher-killed"
_TIMEOUT_S = 60.0


def hold_and_read(redis_url: str, consumer: str) -> None:
    """The batcher about to die: hold the lease, read everything, then wait to be killed."""
    client = redis.Redis.from_url(redis_url)
    lease = Lease(client, keys.BATCHER_LEASE, Holder.this_process(consumer))
    assert lease.hold(), "the lease is held by someone else"
    client.xreadgroup(keys.GROUP, consumer, {keys.STREAM: ">"}, count=1_000_000)
    print("read", flush=True)
    time.sleep(3600)


_LIMITS = BatcherLimits(block_max_events=1000, block_max_wait_ms=50, reclaim_idle_ms=30_000)


def bench_takeover(
    database_url: str, redis_url: str, workdir: Path, *, events: int, rounds: int
) -> dict[str, float]:
    seeded = seeded_world(database_url, redis_url, workdir, riders=max(50, events))
    client, engine, world = seeded.client, seeded.engine, seeded.credentials
    seeded.batcher(_LIMITS).ensure_group()
    results: dict[str, list[float]] = {}
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "FARECHAIN_VAR_DIR": str(workdir),
    }
    for n in range(2 * rounds):
        mode = "in_process" if n % 2 == 0 else "restarted"
        _fill(client, world, events, f"t{n}-", seeded.stream_key)
        _kill_a_reader(redis_url)
        if mode == "in_process":
            # A new one each time: the other mode's batcher wrote meanwhile.
            batcher = seeded.batcher(_LIMITS)
            lease_s, sealed_s = _successor_in_process(batcher, engine, client)
        else:
            lease_s, sealed_s = _successor_process(env, engine, client)
        results.setdefault(f"{mode}_lease_s", []).append(lease_s)
        results.setdefault(f"{mode}_reread_s", []).append(sealed_s)
    sealed = _trips(engine)
    client.close()
    engine.dispose()
    figures = {
        "events_pending": float(events),
        "rounds": float(rounds),
        "trips_sealed": float(sealed),  # each round's, once: 2 x rounds x events
    }
    for name, values in results.items():
        figures[f"{name}_median"] = statistics.median(values)
        figures[f"{name}_max"] = max(values)
    return figures


def _fill(
    client: redis.Redis, world: dict[str, Any], n: int, prefix: str, stream_key: bytes
) -> None:
    gates = [d for d in world["devices"] if d["kind"] == "gate"]
    riders = [r["id"] for r in world["riders"]]
    now = datetime.now(UTC)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        entry, exit_ = gates[i % len(gates)], gates[(i + 5) % len(gates)]
        taps = [
            {
                "event_id": f"{prefix}{i}{suffix}",
                "device": gate["id"],
                "operator": gate["operator"],
                "at": at.isoformat(),
                "received_ms": int(now.timestamp() * 1000),
                "station": gate["station"],
            }
            for gate, suffix, at in ((entry, "-in", now - timedelta(minutes=30)), (exit_, "", now))
        ]
        event = {
            "rider": riders[i % len(riders)],
            "mode": "metro",
            "start": taps[0],
            "end": taps[1],
        }
        pipe.xadd(keys.STREAM, stream.encode_event(event, stream_key))  # type: ignore[arg-type]
    pipe.execute()


def _kill_a_reader(redis_url: str) -> None:
    call = f"hold_and_read({redis_url!r}, {_DEAD_CONSUMER!r})"
    code = f"from bench.takeover import hold_and_read; {call}"
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    ) as reader:
        assert reader.stdout is not None
        said = reader.stdout.readline().strip()
        reader.send_signal(signal.SIGKILL)
        reader.wait()  # reaped, as the supervisor reaps a dead child
    if said != "read":
        raise RuntimeError("the stand-in batcher did not read the stream")


def _settled(engine: Engine, client: redis.Redis) -> bool:
    pending: Any = client.xpending(keys.STREAM, keys.GROUP)
    return int(pending["pending"]) == 0 and not client.xlen(keys.STREAM)


def _trips(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Trip)) or 0


def _watch(
    began: float, holder_pid: int, engine: Engine, client: redis.Redis
) -> tuple[float, float]:
    lease = Lease(client, keys.BATCHER_LEASE, Holder.this_process("observer"))
    lease_s = None
    while True:
        now = time.perf_counter() - began
        if lease_s is None:
            holder = lease.current()
            if holder is not None and holder.pid == holder_pid:
                lease_s = now
        if lease_s is not None and _settled(engine, client):
            return lease_s, now
        if now > _TIMEOUT_S:
            raise RuntimeError(f"no takeover in {_TIMEOUT_S:g} s")
        time.sleep(0.005)


def _successor_in_process(
    batcher: Batcher, engine: Engine, client: redis.Redis
) -> tuple[float, float]:
    stop = threading.Event()
    thread = threading.Thread(target=batcher.run, args=(stop,))
    began = time.perf_counter()
    thread.start()
    try:
        return _watch(began, os.getpid(), engine, client)
    finally:
        stop.set()
        thread.join(timeout=30)


def _successor_process(
    env: dict[str, str], engine: Engine, client: redis.Redis
) -> tuple[float, float]:
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "farechain.cli", "batcher"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return _watch(began, process.pid, engine, client)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
