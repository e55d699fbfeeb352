"""Samples the system while the load runs: queue depth, blocks committed, CPU by role.

A background thread in the `farechain loadtest` process (not in Locust's, whose gevent
loop must not block on a database) polls a few times a second:
- the trip-end stream's length (XLEN) and the consumer group's pending count. The
  batcher deletes an entry only after acknowledging it, so XLEN already counts the
  pending ones: it is the queue depth, events accepted and not yet committed;
- the newest block's height and tree size, remembering when each height was first seen
  (an upper bound, by one interval, on when that block's transaction committed);
- the CPU used by each role's processes (API workers, batcher, Redis, Locust, and a
  PostgreSQL server on this machine) and by the whole machine, which shows what the two
  cores were spent on.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis
from sqlalchemy import Engine, text

from gates import keys


@dataclass(frozen=True, slots=True)
class Sample:
    t: float  # epoch seconds
    queue: int
    pending: int
    height: int
    tree_size: int
    cpu: dict[str, float] = field(default_factory=dict)  # role -> % of one core


class _CpuMeter:
    """Per-role CPU, summing each role's processes and their descendants.

    Finding a process's descendants reads every process's stat file; done at each
    reading (4 a second) that cost the load-test process a tenth of a core, CPU taken
    from the system under test. So the families are looked up again every `rescan_s`
    (and when a role is added), which still finds workers that start or restart.
    """

    def __init__(self, roles: Mapping[str, list[int]], *, rescan_s: float = 5.0) -> None:
        self._roles = {role: list(pids) for role, pids in roles.items()}
        self._procs: dict[int, psutil.Process] = {}
        self._families: dict[str, list[psutil.Process]] = {}
        self._rescan_s = rescan_s
        self._scanned_at = -rescan_s

    def add(self, role: str, pid: int) -> None:
        self._roles.setdefault(role, []).append(pid)
        self._scanned_at = -self._rescan_s

    def read(self) -> dict[str, float]:
        now = time.monotonic()
        if now - self._scanned_at >= self._rescan_s:
            self._families = {role: self._family(pids) for role, pids in self._roles.items()}
            self._scanned_at = now
        figures = {"machine": psutil.cpu_percent(interval=None) * (psutil.cpu_count() or 1)}
        for role, family in self._families.items():
            total = 0.0
            for proc in family:
                try:
                    total += proc.cpu_percent(interval=None)
                except psutil.Error:
                    self._procs.pop(proc.pid, None)
            figures[role] = total
        return figures

    def _family(self, pids: list[int]) -> list[psutil.Process]:
        found = []
        for pid in pids:
            try:
                root = self._procs.setdefault(pid, psutil.Process(pid))
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for proc in family:
                found.append(self._procs.setdefault(proc.pid, proc))
        return found


class Sampler:
    def __init__(
        self,
        client: redis.Redis,
        engine: Engine,
        *,
        interval_s: float = 0.25,
        roles: Mapping[str, list[int]] | None = None,
    ) -> None:
        self._redis = client
        self._engine = engine
        self._interval_s = interval_s
        self._cpu = _CpuMeter(roles or {})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loadtest-sampler", daemon=True)
        self.samples: list[Sample] = []
        self.block_seen_ms: dict[int, int] = {}
        self.errors = 0

    def add_role(self, role: str, pid: int) -> None:
        self._cpu.add(role, pid)

    def sample(self) -> Sample:
        """One reading, also taken before the load starts (the run's starting head)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.xlen(keys.STREAM)
        pipe.xpending(keys.STREAM, keys.GROUP)
        try:
            queue, pending_info = pipe.execute()
        except redis.ResponseError:  # no consumer group yet: the batcher has not started
            queue, pending_info = self._redis.xlen(keys.STREAM), {"pending": 0}
        with self._engine.connect() as connection:
            row = connection.execute(
                text("SELECT height, tree_size FROM blocks ORDER BY height DESC LIMIT 1")
            ).first()
        height, tree_size = (int(row[0]), int(row[1])) if row else (-1, 0)
        now = time.time()
        last = max(self.block_seen_ms, default=height)
        for h in range(last + 1, height + 1):
            self.block_seen_ms[h] = int(now * 1000)
        if not self.block_seen_ms:
            self.block_seen_ms[height] = int(now * 1000)
        reading = Sample(
            now, int(queue), int(pending_info["pending"]), height, tree_size, self._cpu.read()
        )
        self.samples.append(reading)
        return reading

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.sample()
            except Exception:  # a slow or busy database must not end the run
                self.errors += 1

    def save(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as handle:
            for s in self.samples:
                handle.write(json.dumps(asdict(s)) + "\n")


def load_samples(path: Path) -> list[Sample]:
    samples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            data: dict[str, Any] = json.loads(line)
            samples.append(Sample(**data))
    return samples
