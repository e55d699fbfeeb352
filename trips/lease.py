"""The batcher's single-writer lease, and who holds it.

One Redis key names the batcher that may write the ledger; it lapses `ttl_ms` after the
holder's last renewal. The value says who holds it: host, boot id, process id, the
process's start time (in clock ticks since boot, from /proc) and its stream consumer.

That identity lets a batcher on the same machine tell a dead holder from a slow one
without waiting for the lapse: if the holder's process is gone, or its pid now belongs to
a process started at another time, nobody writes under that lease and it is taken at once
(compare-and-set on the exact value read, so a lease that changed meanwhile is left
alone). A holder on another host, or on a machine with no /proc, is never judged: its
lease is waited out. A live holder is never displaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

import redis

__all__ = ["Holder", "Lease", "holder_is_dead", "process_start"]

_PROC = Path("/proc")
# Renew the lease if we hold it, take it if it is free; atomically.
_HOLD_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder then return 0 end
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) and 1 or 0
"""
# Take the lease from the holder ARGV[1] (found dead) only if it still holds it.
_TAKE_OVER_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) and 1 or 0
"""
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class Holder:
    host: str
    boot_id: str  # "" where the kernel does not say
    pid: int
    started: str  # the process's start time in clock ticks since boot; "" if unknown
    consumer: str

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Holder | None:
        """The holder a lease value names; None for a value of another form."""
        try:
            fields = json.loads(raw)
            return cls(
                host=str(fields["host"]),
                boot_id=str(fields["boot_id"]),
                pid=int(fields["pid"]),
                started=str(fields["started"]),
                consumer=str(fields["consumer"]),
            )
        except (ValueError, TypeError, KeyError):
            return None

    @classmethod
    def this_process(cls, consumer: str) -> Holder:
        pid = os.getpid()
        return cls(
            host=socket.gethostname(),
            boot_id=_boot_id(),
            pid=pid,
            started=process_start(pid) or "",
            consumer=consumer,
        )


def process_start(pid: int) -> str | None:
    """When process `pid` started (ticks since boot); None if it is gone or a zombie."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (in parentheses) may hold spaces or ')': split after the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # a zombie writes nothing any more
        return None
    return fields[19]  # field 22 of proc(5); fields[0] is field 3


def holder_is_dead(holder: Holder, here: Holder) -> bool:
    """True only when this machine can tell for sure that `holder` no longer runs."""
    if holder.host != here.host or not holder.boot_id or holder.boot_id != here.boot_id:
        return False  # another machine, or this one rebooted: wait for the lapse
    if not holder.started:
        return False  # it could not say when it started, so a reused pid is undetectable
    return process_start(holder.pid) != holder.started


def _boot_id() -> str:
    try:
        return (_PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return ""


class Lease:
    """The single-writer lease at `key`, held as `holder`."""

    def __init__(
        self, client: redis.Redis, key: str, holder: Holder, *, ttl_ms: int = 10_000
    ) -> None:
        self.redis = client
        self.key = key
        self.holder = holder
        self.ttl_ms = ttl_ms
        # Whose lease this one follows: the dead holder taken over, or the last holder
        # seen before its lease lapsed. The batcher claims its unacknowledged entries.
        self.predecessor: Holder | None = None
        self._value = holder.encode()
        self._hold = client.register_script(_HOLD_SCRIPT)
        self._take_over = client.register_script(_TAKE_OVER_SCRIPT)
        self._release = client.register_script(_RELEASE_SCRIPT)

    def hold(self) -> bool:
        """Take or renew the lease; False while another, live batcher holds it."""
        if self._hold(keys=[self.key], args=[self._value, self.ttl_ms]):
            return True
        raw = self.redis.get(self.key)
        if raw is None:  # lapsed between the two calls: try again next time
            return False
        current = Holder.decode(raw)  # type: ignore[arg-type]
        if current is None:
            return False
        self.predecessor = current
        if not holder_is_dead(current, self.holder):
            return False
        return bool(self._take_over(keys=[self.key], args=[raw, self._value, self.ttl_ms]))

    def current(self) -> Holder | None:
        raw = self.redis.get(self.key)
        return None if raw is None else Holder.decode(raw)  # type: ignore[arg-type]

    def release(self) -> None:
        with contextlib.suppress(redis.RedisError):
            self._release(keys=[self.key], args=[self._value])
