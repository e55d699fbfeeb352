"""A farechain system started for one load-test run, and stopped after it.

It runs `farechain up` as a child (the same supervisor a person runs), with Redis and
the database chosen here: the embedded Redis under the system's directory unless a
Redis URL is given, and the database from the given URL or SQLite under the directory.
The directory persists between runs, so the riders are seeded once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

from storage.redis_server import EmbeddedRedis


@dataclass
class StartedSystem:
    url: str
    redis_url: str
    database_url: str | None  # None: SQLite under var_dir, farechain's default
    var_dir: Path
    process: subprocess.Popen[bytes]
    redis: EmbeddedRedis | None
    roles: dict[str, list[int]] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return system_env(self.var_dir, self.redis_url, self.database_url)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.redis is not None:
            self.redis.stop()


def system_env(var_dir: Path, redis_url: str, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "FARECHAIN_VAR_DIR": str(var_dir), "REDIS_URL": redis_url}
    # The simulated riders always pay: a sandbox decline would put a rider in arrears,
    # and the gate refusing a rider in debt is right but is not load (tests cover it).
    env.setdefault("FARECHAIN_PAYMENTS__SANDBOX_DECLINE_RATE", "0")
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
        env.pop("FARECHAIN_DATABASE_URL", None)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_system(
    var_dir: Path,
    *,
    riders: int,
    workers: int,
    port: int,
    database_url: str | None,
    redis_url: str | None,
    batcher: dict[str, int],
    log_path: Path,
    ready_timeout_s: float = 600.0,
    payments: bool = True,
) -> StartedSystem:
    """Start `farechain up` and wait until its API answers (seeding can take a while).

    `payments` False starts it without the payments worker: the same system, riders and
    ride codes otherwise, so a run with and one without differ only in payments."""
    var_dir = var_dir.resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    embedded = None
    if not redis_url:
        embedded = EmbeddedRedis(var_dir / "redis")
        redis_url = embedded.start()
    env = system_env(var_dir, redis_url, database_url)
    for name, value in batcher.items():
        env[f"FARECHAIN_BATCHER__{name.upper()}"] = str(value)
    command = [
        sys.executable, "-m", "farechain.cli", "up",
        "--riders", str(riders), "--workers", str(workers), "--port", str(port),
        "--payments" if payments else "--no-payments",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    system = StartedSystem(
        f"http://127.0.0.1:{port}", redis_url, database_url, var_dir, process, embedded
    )
    try:
        wait_until_up(system.process, system.url, ready_timeout_s, log_path)
    except BaseException:
        system.stop()
        raise
    system.roles = _roles(process.pid, redis_url, embedded)
    return system


def wait_until_up(
    process: subprocess.Popen[Any], url: str, timeout_s: float, log_path: Path
) -> None:
    """Wait for a started `farechain up` to answer at `url`; raise if it exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"farechain up exited with {process.returncode}; see {log_path}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/openapi.json", timeout=2),
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"farechain up did not answer in {timeout_s:.0f} s; see {log_path}")
        time.sleep(0.25)


def _roles(
    supervisor_pid: int, redis_url: str, embedded: EmbeddedRedis | None
) -> dict[str, list[int]]:
    """The processes of each role, found by their command lines."""
    roles: dict[str, list[int]] = {
        "api": [],
        "batcher": [],
        "sweeper": [],
        "payments": [],
        "redis": [],
    }
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(supervisor_pid).children():
            line = " ".join(child.cmdline())
            if "uvicorn" in line:
                roles["api"].append(child.pid)
            elif line.endswith(" batcher"):
                roles["batcher"].append(child.pid)
            elif line.endswith(" sweeper"):
                roles["sweeper"].append(child.pid)
            elif line.endswith(" payments-worker"):
                roles["payments"].append(child.pid)
    roles["redis"] = _redis_pids(redis_url, embedded)
    return {role: pids for role, pids in roles.items() if pids}


def _redis_pids(redis_url: str, embedded: EmbeddedRedis | None) -> list[int]:
    """The Redis we started, by its process; a machine's, by its TCP port.

    A machine's Redis named by a Unix socket URL has no port to tell it by: its CPU is
    then not sampled.
    """
    if embedded is not None and embedded.pid is not None:
        return [embedded.pid]
    port = urlsplit(redis_url).port
    if port is None:
        return []
    pids = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            line = " ".join(proc.info["cmdline"] or [])
            if "redis-server" in (proc.info["name"] or "") and (
                f":{port}" in line or f"--port {port}" in line
            ):
                pids.append(proc.pid)
    return pids
