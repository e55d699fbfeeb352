"""The batcher: the ledger's single writer.

It reads trip-end events from the Redis stream through one consumer group, cuts a block
at `block_max_events` events or `block_max_wait_ms` after the first one, seals the block
in one database transaction, and only after the commit acknowledges (and deletes) the
events. A crash before the commit leaves the events pending: this batcher reads its own
pending entries first when it starts, and any batcher takes over entries that another,
dead consumer left idle for `reclaim_idle_ms` (XAUTOCLAIM). Replays are harmless because
sealing drops events whose id is already on the ledger. An entry that is not an event, or
whose taps lack the edge's MAC (written to Redis by anyone but the edge), goes to the
dead letters (`fc:dead`, with the reason) and is never priced.

Only the holder of a Redis lease (renewed at every block, 10 s long; trips.lease) seals;
a second batcher stands by and takes over when the lease lapses, or at once when the
holder is a process on this machine that is found dead. On taking the lease a batcher
re-reads its own pending entries and claims its predecessor's (XCLAIM), so a restarted
batcher re-reads what its dead predecessor had read within a second, not after
`reclaim_idle_ms`. The ledger head lock would keep two writers from corrupting the log
anyway; the lease keeps a stale batcher's in-memory rider histories from pricing trips.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gates import keys
from gates.stream import FIELD, MalformedEvent, TripEndEvent, open_event
from trips.lease import Holder, Lease
from trips.sealer import Sealer, SealResult

log = logging.getLogger(__name__)
_FIELD_BYTES = FIELD.encode()  # redis-py hands field names back as bytes


@dataclass(frozen=True, slots=True)
class BatcherLimits:
    block_max_events: int
    block_max_wait_ms: int
    reclaim_idle_ms: int
    pause_at: str | None = None
    pause_file: Path | None = None


Entry = tuple[bytes, dict[bytes, bytes]]

_LEASE_MS = 10_000
_GATHER_S = 0.02
# How often a standing-by batcher asks for the lease: a dead holder's is taken at once.
_STANDBY_POLL_S = 0.25
_CLAIM_CHUNK = 1_000
_OWN_PENDING_EVERY_S = 1.0


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a block is sealed.

    A block allocates some hundred thousand containers (stream entries, events, records,
    rows) that all live until the block ends and then die by reference counting.
    Collecting meanwhile only walks them again and again, and the full collections this
    triggers walk the whole heap, every rider's history included: that was a quarter to
    a third of the batcher's CPU. The batcher runs in a process of its own, so pausing the
    collector for a block hurts no one; cycles made during the block are collected after.
    """
    if not gc.isenabled():  # paused already (or by someone else): leave it to them
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Batcher:
    def __init__(
        self,
        *,
        client: redis.Redis,
        engine: Engine,
        sealer: Sealer,
        limits: BatcherLimits,
        stream_key: bytes,
        consumer: str = "batcher-1",
    ) -> None:
        """`stream_key` checks that each trip-end came from the edge (gates/stream.py)."""
        self.redis = client
        self._stream_key = stream_key
        self.engine = engine
        self.sealer = sealer
        self.limits = limits
        self.consumer = consumer
        self._last_reclaim = 0.0
        self._check_own_pending = True
        self._own_pending_checked = 0.0
        self.lease = Lease(
            client, keys.BATCHER_LEASE, Holder.this_process(consumer), ttl_ms=_LEASE_MS
        )

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(keys.STREAM, keys.GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def run(self, stop: threading.Event) -> None:
        self.ensure_group()
        standing_by = holding = False
        blocks = 0
        while not stop.is_set():
            try:
                if not self.hold_lease():
                    if not standing_by:
                        log.info("standing by: another batcher holds the ledger lease")
                        standing_by = True
                    holding = False
                    stop.wait(_STANDBY_POLL_S)
                    continue
                if not holding:
                    self._take_up(after_standing_by=standing_by)
                    holding, standing_by = True, False
                self.step()
                blocks += 1
                if blocks % 1000 == 0:
                    self.sealer.histories.prune(datetime.now(UTC))
            except redis.ResponseError as error:
                if "NOGROUP" in str(error):
                    log.warning("the consumer group is gone (Redis lost its data?); recreating")
                    self.ensure_group()
                else:
                    log.exception("batcher: Redis refused a command; retrying in 1 s")
                    stop.wait(1.0)
            except (redis.RedisError, OSError) as error:
                log.warning("batcher: %s; retrying in 1 s", error)
                self._check_own_pending = True  # a read's reply may have been lost
                stop.wait(1.0)
            except Exception:
                log.exception("batcher: block failed; its events stay pending and are retried")
                self._check_own_pending = True
                stop.wait(1.0)
        self._release_lease()

    def _release_lease(self) -> None:
        self.lease.release()

    def hold_lease(self) -> bool:
        """Take or renew the single-writer lease; False while another batcher holds it."""
        return self.lease.hold()

    def _take_up(self, *, after_standing_by: bool) -> None:
        """Just took the lease: pick up what the previous holder read and left pending."""
        if after_standing_by:
            # Another batcher wrote meanwhile: what memory holds may be stale.
            self.sealer.forget()
        # Our own pending entries are a previous life's of this consumer name; the
        # previous holder's (if it read under another name) are claimed to join them.
        self._check_own_pending = True
        predecessor, self.lease.predecessor = self.lease.predecessor, None
        if predecessor is None:
            return
        claimed = 0
        if predecessor.consumer != self.consumer:
            claimed = self.claim_pending_of(predecessor.consumer)
        log.info(
            "took the ledger lease after batcher pid %d on %s (consumer %s); claimed %d entries",
            predecessor.pid,
            predecessor.host,
            predecessor.consumer,
            claimed,
        )

    def claim_pending_of(self, consumer: str) -> int:
        """Make `consumer`'s unacknowledged entries ours (it is dead); how many there were."""
        claimed, start = 0, "-"
        while True:
            pending: Any = self.redis.xpending_range(
                keys.STREAM, keys.GROUP, start, "+", _CLAIM_CHUNK, consumername=consumer
            )
            if not pending:
                break
            ids = [entry["message_id"] for entry in pending]
            self.redis.xclaim(
                keys.STREAM, keys.GROUP, self.consumer, 0, message_ids=ids, justid=True
            )
            claimed += len(ids)
            # Past the last one (exclusive range): an entry deleted from the stream may
            # stay listed under its old consumer on Redis 6, and must not be met again.
            start = "(" + ids[-1].decode()
        with contextlib.suppress(redis.ResponseError):
            self.redis.xgroup_delconsumer(keys.STREAM, keys.GROUP, consumer)
        return claimed

    def step(self) -> SealResult | None:
        """Read one batch and seal it; None when nothing arrived in time."""
        with _cycle_collection_paused():
            return self._read_and_seal()

    def _read_and_seal(self) -> SealResult | None:
        # A function of its own so that the block's objects are freed when it returns,
        # before the collector resumes.
        entries = self._read_batch()
        if not entries:
            return None
        events: list[TripEndEvent] = []
        malformed: list[tuple[bytes, str]] = []
        for entry_id, fields in entries:
            try:
                events.append(open_event(fields[_FIELD_BYTES], self._stream_key))
            except (MalformedEvent, KeyError) as error:  # unsealed ones too: never priced
                malformed.append((entry_id, str(error)))
        now = datetime.now(UTC)
        with Session(self.engine) as session:
            try:
                result = self.sealer.seal(session, events, now)
                self._maybe_pause("before-commit")
                session.commit()
            except BaseException:
                self.sealer.forget()  # first: the rollback itself may fail
                self._check_own_pending = True
                session.rollback()
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
        now = time.monotonic()
        if self._check_own_pending or now - self._own_pending_checked >= _OWN_PENDING_EVERY_S:
            # Our own pending entries first: a previous life of this consumer read them
            # and died (or its block failed) before acknowledging. Looked at every second
            # besides: when Redis goes down mid-read, the client retries the read on its
            # own, and the entries whose delivery was lost with the reply are ours,
            # pending, yet never seen.
            self._own_pending_checked = now
            batch = self._xread("0", limit, None)
            if batch:
                return batch
            self._check_own_pending = False
        batch = self._reclaim(limit)
        if batch:
            return batch
        batch = self._xread(">", limit, self.limits.block_max_wait_ms)
        if not batch:
            return batch
        deadline = time.monotonic() + self.limits.block_max_wait_ms / 1000
        while len(batch) < limit:
            # The stream is drained: let trip-ends gather for a moment, rather than
            # asking Redis again for each one as it arrives (at 1,000 trips/s a blocking
            # read returns one or two entries; reads were 13% of py-spy's samples).
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                break
            time.sleep(min(left_s, _GATHER_S))
            batch += self._xread(">", limit - len(batch), None)
        return batch

    def _xread(self, start: str, count: int, block_ms: int | None) -> list[Entry]:
        reply: Any = self.redis.xreadgroup(
            keys.GROUP, self.consumer, {keys.STREAM: start}, count=count, block=block_ms
        )
        if not reply:
            return []
        entries = reply[0][1]
        gone = [entry_id for entry_id, fields in entries if not fields]
        if gone:  # deleted from the stream while pending: nothing to read, ever
            self.redis.xack(keys.STREAM, keys.GROUP, *gone)
        return [(entry_id, fields) for entry_id, fields in entries if fields]

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
