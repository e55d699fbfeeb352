"""The batcher alone: drain a stream pre-filled with N trip-end events.

The events are shaped exactly as gates/taps.lua writes them (metro trips with both
taps, bus boardings, taxi meter reports, in the load test's mix) for seeded riders, so
the batcher prices, charges, invoices and seals them as in production. The figure is
trip-ends per second from the first read to the last commit, with the block size and
wait given, and the batcher's own CPU time per trip (the database server's is not in
it; on a shared machine it is the steadier figure); on PostgreSQL, the CPU time of every
`postgres` process on this machine over the same span (backend, WAL writer,
checkpointer: what sealing costs the server, if nothing else uses it meanwhile); the
batcher's resident memory before and after shows whether it grows.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import redis
from sqlalchemy import text

from bench.seeded import seeded_world
from gates import keys, stream
from loadtest.pgserver import cpu_seconds, server_pid
from trips.batcher import BatcherLimits


def bench_batcher(
    database_url: str,
    redis_url: str,
    workdir: Path,
    *,
    events: int,
    riders: int = 20_000,
    block_max_events: int = 1000,
    block_max_wait_ms: int = 50,
    seed_value: int = 1,
) -> dict[str, float]:
    seeded = seeded_world(database_url, redis_url, workdir, riders)
    client, engine = seeded.client, seeded.engine
    client.delete(keys.STREAM)
    filled_s = _prefill(
        client, seeded.credentials, events, random.Random(seed_value), seeded.stream_key
    )
    batcher = seeded.batcher(
        BatcherLimits(block_max_events, block_max_wait_ms, reclaim_idle_ms=600_000)
    )
    me = psutil.Process()
    rss_before = me.memory_info().rss
    postmaster = server_pid(engine)
    server_cpu_began = 0.0 if postmaster is None else cpu_seconds(postmaster)
    began, cpu_began = time.perf_counter(), time.process_time()
    sealed = batcher.drain()
    took, cpu_s = time.perf_counter() - began, time.process_time() - cpu_began
    server_cpu_s = 0.0 if postmaster is None else cpu_seconds(postmaster) - server_cpu_began
    rss_after = me.memory_info().rss
    with engine.connect() as connection:
        blocks = connection.execute(text("SELECT count(*) FROM blocks")).scalar_one()
    client.close()
    engine.dispose()
    figures = {
        "events": float(events),
        "trips_sealed": float(sealed),
        "seconds": took,
        "trips_per_s": sealed / took,
        "cpu_us_per_trip": 1e6 * cpu_s / max(1, sealed),
        "blocks": float(blocks),
        "ms_per_block": 1000 * took / max(1, blocks),
        "prefill_events_per_s": events / filled_s,
        "rss_growth_mb": (rss_after - rss_before) / 2**20,
    }
    if postmaster is not None:
        figures["db_server_cpu_us_per_trip"] = 1e6 * server_cpu_s / max(1, sealed)
    return figures


def _prefill(
    client: redis.Redis, world: dict[str, Any], n: int, rng: random.Random, stream_key: bytes
) -> float:
    """`n` trip-ends on the stream, sealed as the edge seals them (the batcher checks)."""
    gates = [d for d in world["devices"] if d["kind"] == "gate"]
    validators = [d for d in world["devices"] if d["kind"] == "validator"]
    meters = [d for d in world["devices"] if d["kind"] == "meter"]
    riders = [r["id"] for r in world["riders"]]
    now = datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    began = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        rider = riders[i % len(riders)]
        ended = now - timedelta(seconds=(n - i) * 60 * 24 / max(1, n))  # spread over a day
        roll = rng.random()
        if roll < 0.66:
            entry, exit_ = rng.sample(gates, 2)
            started = ended - timedelta(minutes=rng.uniform(8, 60))
            event = {
                "rider": rider,
                "mode": "metro",
                "start": _tap(f"b{i}-in", entry, started, now_ms, station=entry["station"]),
                "end": _tap(f"b{i}", exit_, ended, now_ms, station=exit_["station"]),
            }
        elif roll < 0.9:
            bus = rng.choice(validators)
            end = _tap(f"b{i}", bus, ended, now_ms, route=bus["route"])
            event = {"rider": rider, "mode": "bus", "start": None, "end": end}
        else:
            meter = rng.choice(meters)
            end = _tap(f"b{i}", meter, ended, now_ms)
            end["started_at"] = (ended - timedelta(minutes=rng.uniform(6, 50))).isoformat()
            end["distance_m"] = rng.randrange(1_000, 30_000)
            end["waiting_s"] = rng.randrange(0, 600)
            event = {"rider": rider, "mode": "taxi", "start": None, "end": end}
        pipe.xadd(keys.STREAM, stream.encode_event(event, stream_key))  # type: ignore[arg-type]
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    return time.perf_counter() - began


def _tap(
    event_id: str, device: dict[str, Any], at: datetime, received_ms: int, **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "device": device["id"],
        "operator": device["operator"],
        "at": at.isoformat(),
        "received_ms": received_ms,
        **extra,
    }
