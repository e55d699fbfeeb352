"""Chaos: kill -9 the supervisor's children under a steady tap load, time the recovery.

For each of the batcher, one API worker, the embedded Redis and the payments worker:
kill it with SIGKILL while `TapLoad` posts taps, then wait until the system works again.
"Works again" is, for the batcher, every trip-end that was on the stream at the kill
sealed and acknowledged by a new batcher; for an API worker, the full set of workers
back and a tap accepted; for Redis, a tap accepted again; for the payments worker, a new
one running. A supervisor that exits instead fails the check (and is started again, so
the next kill is measured). At the end the load stops, the stream drains and the
exactly-once audit (`loadtest.audit`) and `farechain verify` run over the whole run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from gates import keys
from loadtest.audit import audit_run
from loadtest.journal import expect_ledger, read_journals
from securityaudit.http import call
from securityaudit.load import TapLoad
from securityaudit.outcome import GroupResult
from securityaudit.system import AuditedSystem, SystemBox, restart
from storage.engine import make_engine

__all__ = ["ChaosOptions", "run_chaos"]

TARGETS = ("batcher", "api", "redis", "payments")


@dataclass(frozen=True)
class ChaosOptions:
    recover_limit_s: float = 15.0  # a kill not recovered from in this long fails
    warm_up_s: float = 4.0
    between_s: float = 3.0
    taps_per_s: float = 12.0
    drain_timeout_s: float = 60.0


def run_chaos(box: SystemBox, options: ChaosOptions) -> GroupResult:
    result = GroupResult("chaos")
    system = box.system
    from_height = _height(system)
    journal_dir = system.work_dir / "chaos-journal"
    load = TapLoad(
        system.url,
        system.credentials(),
        system.var_dir / "demo-phones.tsv",
        journal_dir,
        taps_per_s=options.taps_per_s,
    ).start()
    try:
        time.sleep(options.warm_up_s)
        for target in TARGETS:
            _kill_and_time(box, load, target, options, result)
            time.sleep(options.between_s)
    finally:
        load.stop()
    _drain(box.system, options.drain_timeout_s)
    _audit(box.system, load, from_height, result)
    return result


def _kill_and_time(
    box: SystemBox, load: TapLoad, target: str, options: ChaosOptions, result: GroupResult
) -> None:
    system = box.system
    victims = system.pids(target)
    if not victims:
        result.fail(f"kill {target}: no {target} process found under the supervisor")
        return
    victim = victims[0]
    before = set(victims)
    stream_tip = _stream_tip(system)
    stopping_before = len(_stopping_lines(system))
    killed_at = time.monotonic()
    killed_wall = time.time()
    os.kill(victim, signal.SIGKILL)
    recovered = _recovery_check(system, load, target, before, stream_tip, killed_wall)
    while time.monotonic() - killed_at < options.recover_limit_s:
        giving_up = _stopping_lines(system)[stopping_before:]
        if not system.alive or giving_up:
            said = giving_up[0] if giving_up else f"exit status {system.process.returncode}"
            result.fail(
                f"kill -9 {target} (pid {victim}): expected the supervisor to restart it, "
                f"got `farechain up` stopping the whole system ({said})"
            )
            _restart(box, result)
            return
        if recovered():
            took = time.monotonic() - killed_at
            result.check(True, "")
            result.note(f"kill -9 {target}: recovered in {took:.1f} s")
            return
        time.sleep(0.2)
    result.fail(
        f"kill -9 {target} (pid {victim}): expected recovery within "
        f"{options.recover_limit_s:.0f} s, got none ({_what_is_missing(system, target)})"
    )
    _restart(box, result)


def _stopping_lines(system: AuditedSystem) -> list[str]:
    """The supervisor's lines saying it stops everything because a child died."""
    text = system.log_path.read_text(encoding="utf-8", errors="replace")
    return [line for line in text.splitlines() if " exited with " in line and "stopping" in line]


def _restart(box: SystemBox, result: GroupResult) -> None:
    """Start the system again by hand, so the next kill is measured too."""
    began = time.monotonic()
    box.system = restart(box.system)
    result.note(f"the audit restarted the system by hand in {time.monotonic() - began:.1f} s")


def _recovery_check(
    system: AuditedSystem,
    load: TapLoad,
    target: str,
    before: set[int],
    stream_tip: bytes | None,
    killed_wall: float,
) -> Callable[[], bool]:
    def new_process() -> bool:
        return bool(set(system.pids(target)) - before)

    if target == "batcher":
        return lambda: new_process() and _sealed_up_to(system, stream_tip)
    if target == "api":
        return lambda: (
            len(system.pids("api")) >= system.workers
            and new_process()
            and load.accepted_since(killed_wall + 0.5) > 0
        )
    if target == "redis":
        return lambda: new_process() and load.accepted_since(killed_wall + 0.5) > 0
    return new_process


def _what_is_missing(system: AuditedSystem, target: str) -> str:
    alive = system.pids(target)
    probe = call("GET", f"{system.url}/v1/ledger/blocks?limit=1", timeout_s=3).status
    return f"{len(alive)} {target} process(es) alive; GET /v1/ledger/blocks answered {probe}"


def _client(system: AuditedSystem) -> redis.Redis | None:
    url = system.redis_url()
    return None if url is None else redis.Redis.from_url(url, socket_timeout=3)


def _stream_tip(system: AuditedSystem) -> bytes | None:
    """The id of the newest trip-end on the stream now."""
    client = _client(system)
    if client is None:
        return None
    with contextlib.suppress(redis.RedisError), client:
        newest: list[tuple[bytes, dict[bytes, bytes]]] = client.xrevrange(keys.STREAM, count=1)  # type: ignore[assignment]
        return newest[0][0] if newest else None
    return None


def _sealed_up_to(system: AuditedSystem, tip: bytes | None) -> bool:
    """Every stream entry up to `tip` delivered to a batcher and acknowledged."""
    client = _client(system)
    if client is None or tip is None:
        return tip is None
    with contextlib.suppress(redis.RedisError), client:
        groups = client.xinfo_groups(keys.STREAM)
        delivered = next(
            (
                g["last-delivered-id"]
                for g in groups
                if g["name"] in (keys.GROUP, keys.GROUP.encode())
            ),
            b"0-0",
        )
        if _stream_id(delivered) < _stream_id(tip):
            return False
        pending = client.xpending_range(keys.STREAM, keys.GROUP, "-", tip, 1)
        return not pending
    return False


def _stream_id(value: bytes | str) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else value
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _height(system: AuditedSystem) -> int:
    answer = call("GET", f"{system.url}/v1/ledger/blocks?limit=1")
    blocks = answer.json() if answer.status == 200 else []
    return int(blocks[0]["height"]) if blocks else 0


def _drain(system: AuditedSystem, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    tip = _stream_tip(system)
    while time.monotonic() < deadline and not _sealed_up_to(system, tip):
        time.sleep(0.5)


def _audit(system: AuditedSystem, load: TapLoad, from_height: int, result: GroupResult) -> None:
    expected = expect_ledger(read_journals(load.journal_dir))
    engine = make_engine(system.database_url or f"sqlite:///{system.sqlite_path}")
    try:
        check = audit_run(
            engine,
            _client(system),
            expected,
            id_prefix=load.id_prefix,
            from_height=from_height,
            block_seen_ms={},
        )
    finally:
        engine.dispose()
    problems = [*expected.problems, *check.problems]
    result.note(
        f"load: {expected.taps_accepted} taps accepted, {expected.refused} refused, "
        f"{expected.lost} lost in flight; {check.checked} trip-ends checked"
    )
    if result.check(
        check.checked > 0 and not problems,
        "exactly-once audit: " + ("; ".join(problems) or "no trip-end was accepted at all"),
    ):
        result.note(f"exactly-once: {check.checked} accepted trip-ends on the ledger once each")
    verify = subprocess.run(
        [sys.executable, "-m", "farechain.cli", "verify"],
        env=system.env(),
        cwd=system.work_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result.check(
        verify.returncode == 0,
        f"farechain verify after the chaos: {(verify.stdout + verify.stderr).strip()[-200:]}",
    )
