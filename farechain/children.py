"""The supervisor's children: started, watched, restarted when they die, stopped in order.

Each child runs in a session of its own, so Ctrl-C reaches only the supervisor, and so a
dead child's leftovers (a uvicorn master's workers) can be ended with its whole group.
A child that dies unexpectedly is restarted after a backoff that starts at 0.25 s and
doubles with each death up to 10 s; once a child has run 30 s it counts as healthy and
the next death waits 0.25 s again. Every death and every restart prints one line.

While a child runs, `<run_dir>/<name>.pid` holds its process id (the embedded Redis's as
`redis.pid`, the supervisor's own as `supervisor.pid`), so an operator, a test or a
chaos audit can find a child and kill it; the files go when the system stops.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from storage.redis_server import EmbeddedRedis

__all__ = ["Backoff", "Child", "ProcessChild", "RedisChild", "Supervision"]

FIRST_DELAY_S = 0.25
MAX_DELAY_S = 10.0
HEALTHY_AFTER_S = 30.0
_POLL_S = 0.1


class Backoff:
    """The delay before a child's next restart: doubling per death, reset by health."""

    def __init__(
        self,
        first_s: float = FIRST_DELAY_S,
        cap_s: float = MAX_DELAY_S,
        healthy_after_s: float = HEALTHY_AFTER_S,
    ) -> None:
        self.first_s, self.cap_s, self.healthy_after_s = first_s, cap_s, healthy_after_s
        self._next_s = first_s

    def after_death(self, ran_s: float) -> float:
        """How long to wait before restarting a child that died after running `ran_s`."""
        if ran_s >= self.healthy_after_s:
            self._next_s = self.first_s
        delay = self._next_s
        self._next_s = min(self._next_s * 2, self.cap_s)
        return delay


class Child(Protocol):
    name: str

    def start(self) -> int:
        """Start it; its process id."""
        ...

    def exit_code(self) -> int | None:
        """None while it runs."""
        ...

    def stop(self) -> None: ...

    def clean_up_after_death(self) -> None:
        """End whatever the dead child left running."""
        ...


class ProcessChild:
    """A command run as a child process in a session of its own."""

    def __init__(self, name: str, command: Sequence[str], env: Mapping[str, str]) -> None:
        self.name = name
        self.command = list(command)
        self.env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        self._process = subprocess.Popen(self.command, env=self.env, start_new_session=True)
        return self._process.pid

    def exit_code(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.clean_up_after_death()

    def clean_up_after_death(self) -> None:
        if self._process is None:
            return
        # The session's id is the child's pid; processes it started may outlive it
        # (uvicorn's workers hold the listening socket a new master needs).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)


class RedisChild:
    """The embedded Redis as a child: restarted on the same port and socket, with its
    data (the append-only file), so clients reconnect to the address they know."""

    name = "redis"

    def __init__(self, server: EmbeddedRedis) -> None:
        self.server = server

    def start(self) -> int:
        self.server.start()
        pid = self.server.pid
        assert pid is not None  # start() returns once it serves
        return pid

    def exit_code(self) -> int | None:
        return self.server.exit_code()

    def stop(self) -> None:
        self.server.stop()

    def clean_up_after_death(self) -> None:
        pass  # redis-server starts no processes that outlive it


def _say(line: str) -> None:
    print(f"supervisor: {line}", file=sys.stderr, flush=True)


class Supervision:
    """Children started in order, restarted when they die, stopped in the same order."""

    def __init__(
        self,
        run_dir: Path,
        *,
        say: Callable[[str], None] = _say,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.run_dir = run_dir
        self.say = say
        self._new_backoff = backoff
        self._children: list[Child] = []
        self._backoffs: dict[str, Backoff] = {}
        self._started_at: dict[str, float] = {}
        self._restart_at: dict[str, float] = {}
        self.restarts: dict[str, int] = {}
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._write_pid("supervisor", os.getpid())

    def start(self, child: Child) -> None:
        """Start `child` now (in the order given: that is the order they stop in)."""
        self._children.append(child)
        self._backoffs[child.name] = self._new_backoff()
        self.restarts[child.name] = 0
        self._launch(child)

    def adopt(self, child: Child, pid: int) -> None:
        """Watch `child`, started already (Redis, before the seeding); it stops after those
        started before it is adopted."""
        self._children.append(child)
        self._backoffs[child.name] = self._new_backoff()
        self.restarts[child.name] = 0
        self._started_at[child.name] = time.monotonic()
        self._write_pid(child.name, pid)

    def watch(self, stop: threading.Event) -> None:
        """Restart children that die until `stop` is set."""
        while not stop.wait(_POLL_S):
            self.check_once(stop)

    def check_once(self, stop: threading.Event | None = None) -> None:
        now = time.monotonic()
        for child in self._children:
            if stop is not None and stop.is_set():
                return
            due = self._restart_at.get(child.name)
            if due is not None:
                if now >= due:
                    del self._restart_at[child.name]
                    self.restarts[child.name] += 1
                    self._launch(child, restart=True)
                continue
            code = child.exit_code()
            if code is None:
                continue
            ran_s = now - self._started_at[child.name]
            delay = self._backoffs[child.name].after_death(ran_s)
            child.clean_up_after_death()
            self._pid_file(child.name).unlink(missing_ok=True)
            self.say(
                f"{child.name} died ({_describe(code)}) after {ran_s:.1f} s; "
                f"restarting in {delay:g} s"
            )
            self._restart_at[child.name] = now + delay

    def stop_all(self) -> None:
        """Stop every child, in the order they were started."""
        for child in self._children:
            child.stop()
            self._pid_file(child.name).unlink(missing_ok=True)
        self._pid_file("supervisor").unlink(missing_ok=True)

    def _launch(self, child: Child, *, restart: bool = False) -> None:
        try:
            pid = child.start()
        except Exception as error:  # a restart that fails is tried again, later
            if not restart:
                raise
            delay = self._backoffs[child.name].after_death(0.0)
            self.say(f"{child.name} did not start again ({error}); trying in {delay:g} s")
            self._restart_at[child.name] = time.monotonic() + delay
            return
        self._started_at[child.name] = time.monotonic()
        self._write_pid(child.name, pid)
        if restart:
            self.say(f"{child.name} restarted as pid {pid} (restart {self.restarts[child.name]})")

    def _pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def _write_pid(self, name: str, pid: int) -> None:
        path = self._pid_file(name)
        partial = path.with_suffix(".pid.tmp")
        partial.write_text(f"{pid}\n")
        partial.replace(path)  # a reader never sees half a number


def _describe(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"
