"""The supervisor's children: backoff, restarts with one line each, pid files, stop order."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from farechain.children import Backoff, ProcessChild, RedisChild, Supervision
from storage.redis_server import EmbeddedRedis

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def test_the_backoff_doubles_to_its_cap_and_resets_after_a_healthy_run() -> None:
    backoff = Backoff()
    delays = [backoff.after_death(ran_s=1.0) for _ in range(8)]
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert backoff.after_death(ran_s=30.0) == 0.25  # it had run 30 s: healthy again
    assert backoff.after_death(ran_s=29.9) == 0.5


def _watch_until(supervision: Supervision, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while True:
        supervision.check_once()
        if condition():
            return
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _pid(run: Path, name: str) -> int:
    return int((run / f"{name}.pid").read_text())


def test_a_killed_child_is_restarted_with_a_line_and_a_new_pid_file(tmp_path: Path) -> None:
    lines: list[str] = []
    supervision = Supervision(tmp_path / "run", say=lines.append)
    supervision.start(ProcessChild("sleeper", SLEEPER, os.environ))
    try:
        assert _pid(tmp_path / "run", "supervisor") == os.getpid()
        first = _pid(tmp_path / "run", "sleeper")
        os.kill(first, signal.SIGKILL)
        _watch_until(supervision, lambda: bool(lines))
        assert lines[0].startswith("sleeper died (killed by SIGKILL) after ")
        assert lines[0].endswith("restarting in 0.25 s")
        assert not (tmp_path / "run" / "sleeper.pid").exists()  # dead: no pid to find
        _watch_until(supervision, lambda: len(lines) > 1)
        second = _pid(tmp_path / "run", "sleeper")
        assert second != first and lines[1] == f"sleeper restarted as pid {second} (restart 1)"
        os.kill(second, 0)  # it runs
        os.kill(second, signal.SIGKILL)
        _watch_until(supervision, lambda: len(lines) > 2)
        assert lines[2].endswith("restarting in 0.5 s")  # doubled
    finally:
        supervision.stop_all()
    assert not list((tmp_path / "run").glob("*.pid"))


def test_children_stop_in_the_order_they_started(tmp_path: Path) -> None:
    log = tmp_path / "stopped"
    # Each writes its name when SIGTERM comes; the next one gets its SIGTERM only after.
    code = (
        "import signal, sys, time\n"
        "def bye(*_):\n"
        f"    open({str(log)!r}, 'a').write(sys.argv[1] + '\\n'); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    supervision = Supervision(tmp_path / "run", say=lambda _: None)
    names = ["api", "sweeper", "batcher"]
    for name in names:
        supervision.start(ProcessChild(name, [sys.executable, "-c", code, name], os.environ))
    time.sleep(1.5)  # each has set its handler
    supervision.stop_all()
    assert log.read_text().split() == names


def test_a_child_that_will_not_start_again_is_retried_later(tmp_path: Path) -> None:
    lines: list[str] = []
    supervision = Supervision(tmp_path / "run", say=lines.append)
    child = ProcessChild("flaky", SLEEPER, os.environ)
    supervision.start(child)
    try:
        child.command = [str(tmp_path / "no-such-program")]
        os.kill(_pid(tmp_path / "run", "flaky"), signal.SIGKILL)
        _watch_until(supervision, lambda: len(lines) > 1)
        assert lines[1].startswith("flaky did not start again (")
        assert lines[1].endswith("trying in 0.5 s")
        child.command = SLEEPER
        _watch_until(supervision, lambda: len(lines) > 2)
        assert lines[2].startswith("flaky restarted as pid ")
    finally:
        supervision.stop_all()


def test_redis_is_restarted_on_its_address_with_its_data(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    url = server.start()
    lines: list[str] = []
    supervision = Supervision(tmp_path / "run", say=lines.append)
    assert server.pid is not None
    supervision.adopt(RedisChild(server), server.pid)
    client = redis.Redis.from_url(url)
    try:
        client.set("kept", "yes")
        time.sleep(1.2)  # the append-only file is written each second
        os.kill(_pid(tmp_path / "run", "redis"), signal.SIGKILL)
        with pytest.raises(redis.ConnectionError):
            redis.Redis.from_url(url, retry=None).ping()
        _watch_until(supervision, lambda: len(lines) > 1)
        assert lines[1].startswith("redis restarted as pid ")
        assert server.url == url
        assert client.get("kept") == b"yes"  # the same client, reconnected
    finally:
        client.close()
        supervision.stop_all()
