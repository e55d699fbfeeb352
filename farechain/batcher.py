"""The batcher: the ledger's single writer.

It reads trip-end events from the Redis stream through one consumer group, cuts a block
at `block_max_events` events or `block_max_wait_ms` after the first one, seals the block
in one database transaction, and only after the commit acknowledges (and deletes) the
events. A crash before the commit leaves the events pending: this batcher reads its own
pending entries first when it starts, and any batcher takes over entries that another,
dead consumer left idle for `reclaim_idle_ms` (XAUTOCLAIM). Replays are harmless because
sealing drops events whose id is already on the ledger.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from farechain.events import MalformedEvent, TripEndEvent, parse_event
from farechain.sealing import Sealer, SealResult
from gates import keys

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BatcherLimits:
    block_max_events: int
    block_max_wait_ms: int
    reclaim_idle_ms: int
    pause_at: str | None = None
    pause_file: Path | None = None


Entry = tuple[bytes, dict[bytes, bytes]]


class Batcher:
    def __init__(
        self,
        *,
        client: redis.Redis,
        engine: Engine,
        sealer: Sealer,
        limits: BatcherLimits,
        consumer: str = "batcher-1",
    ) -> None:
        self.redis = client
        self.engine = engine
        self.sealer = sealer
        self.limits = limits
        self.consumer = consumer
        self._last_reclaim = 0.0

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(keys.STREAM, keys.GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def run(self, stop: threading.Event) -> None:
        self.ensure_group()
        while not stop.is_set():
            try:
                self.step()
            except (redis.ConnectionError, OSError) as error:
                log.warning("batcher: %s; retrying in 1 s", error)
                stop.wait(1.0)
            except Exception:
                log.exception("batcher: block failed; its events stay pending and are retried")
                stop.wait(1.0)

    def step(self) -> SealResult | None:
        """Read one batch and seal it; None when nothing arrived in time."""
        entries = self._read_batch()
        if not entries:
            return None
        events: list[TripEndEvent] = []
        malformed: list[tuple[bytes, str]] = []
        for entry_id, fields in entries:
            try:
                events.append(parse_event(fields[b"e"]))
            except (MalformedEvent, KeyError) as error:
                malformed.append((entry_id, str(error)))
        now = datetime.now(UTC)
        with Session(self.engine) as session:
            try:
                result = self.sealer.seal(session, events, now)
                self._maybe_pause("before-commit")
                session.commit()
            except BaseException:
                session.rollback()
                self.sealer.forget()
                raise
        self._maybe_pause("before-ack")
        self._acknowledge([entry_id for entry_id, _ in entries], result, malformed)
        if result.block is not None:
            lag_ms = time.time() * 1000 - min(e.received_ms for e in events)
            log.info(
                "block %d: %d trips, %d duplicates, %d rejected, size %d, oldest lag %.0f ms",
                result.block.height,
                result.trips,
                result.duplicates,
                len(result.rejected),
                result.block.tree_size,
                lag_ms,
            )
        return result

    def drain(self, idle_rounds: int = 1) -> int:
        """Seal until the stream has nothing left; returns the trips sealed (for tests)."""
        self.ensure_group()
        sealed, idle = 0, 0
        while idle < idle_rounds:
            result = self.step()
            if result is None:
                idle += 1
            else:
                sealed += result.trips
        return sealed

    def _read_batch(self) -> list[Entry]:
        limit = self.limits.block_max_events
        # Our own pending entries first: a previous life of this consumer read them and
        # died (or its block failed) before acknowledging.
        batch = self._xread("0", limit, None)
        if batch:
            return batch
        batch = self._reclaim(limit)
        if batch:
            return batch
        deadline: float | None = None
        while len(batch) < limit:
            if deadline is None:
                wait_ms = self.limits.block_max_wait_ms
            else:
                wait_ms = int((deadline - time.monotonic()) * 1000)
                if wait_ms <= 0:
                    break
            got = self._xread(">", limit - len(batch), wait_ms)
            if not got:
                break
            batch += got
            if deadline is None:
                deadline = time.monotonic() + self.limits.block_max_wait_ms / 1000
        return batch

    def _xread(self, start: str, count: int, block_ms: int | None) -> list[Entry]:
        reply: Any = self.redis.xreadgroup(
            keys.GROUP, self.consumer, {keys.STREAM: start}, count=count, block=block_ms
        )
        if not reply:
            return []
        return [(entry_id, fields) for entry_id, fields in reply[0][1] if fields]

    def _reclaim(self, count: int) -> list[Entry]:
        now = time.monotonic()
        if now - self._last_reclaim < self.limits.reclaim_idle_ms / 1000 / 2:
            return []
        self._last_reclaim = now
        reply: Any = self.redis.xautoclaim(
            keys.STREAM,
            keys.GROUP,
            self.consumer,
            min_idle_time=self.limits.reclaim_idle_ms,
            start_id="0-0",
            count=count,
        )
        return [(entry_id, fields) for entry_id, fields in reply[1] if fields]

    def _maybe_pause(self, point: str) -> None:
        if self.limits.pause_at != point:
            return
        log.warning("paused at %s for a crash test; waiting to be killed", point)
        if self.limits.pause_file is not None:
            self.limits.pause_file.touch()
        while True:
            time.sleep(3600)

    def _acknowledge(
        self, entry_ids: list[bytes], result: SealResult, malformed: list[tuple[bytes, str]]
    ) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for event, reason in result.rejected:
            log.error("trip-end %s rejected: %s", event.event_id, reason)
            pipe.xadd(keys.DEAD_LETTERS, {"event_id": event.event_id, "reason": reason})
        for entry_id, reason in malformed:
            log.error("stream entry %s dropped: %s", entry_id, reason)
            pipe.xadd(keys.DEAD_LETTERS, {"entry": entry_id, "reason": reason})
        pipe.xack(keys.STREAM, keys.GROUP, *entry_ids)
        pipe.xdel(keys.STREAM, *entry_ids)
        pipe.execute()
