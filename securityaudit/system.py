"""The system under audit: the real `farechain up` supervisor in a work directory of its own.

No REDIS_URL is passed on, so the supervisor starts (and owns) its embedded Redis; the
database is SQLite under the directory unless a DATABASE_URL is given. The audit talks to
the system as an outsider does (HTTP, and the files a person on the machine can read),
plus the process table, to kill children the way a crash would.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil

from loadtest.system import wait_until_up

__all__ = ["AuditedSystem", "SystemBox", "restart", "start_audited_system"]

_REDIS_LINE = re.compile(r"embedded Redis \(AOF on\) at ([^\s,]+)")
# The supervisor's children, told apart by their command lines (`var/run/<child>.pid`
# files are preferred where the supervisor writes them).
_ROLE_MARKS = {
    "api": "uvicorn",
    "batcher": " batcher",
    "payments": " payments-worker",
    "sweeper": " sweeper",
    "redis": "redis-server",
}


@dataclass
class AuditedSystem:
    work_dir: Path
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    database_url: str | None
    port: int
    riders: int
    workers: int

    @property
    def var_dir(self) -> Path:
        return self.work_dir / "var"

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / "farechain.sqlite3"

    def credentials(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(
            (self.var_dir / "demo-credentials.json").read_text(encoding="utf-8")
        )
        return document

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def redis_url(self) -> str | None:
        """The URL the supervisor announced for its embedded Redis (the newest one).

        The announcement hides the password (`:***@`); the audit, a person on this
        machine, reads it from the file the embedded Redis keeps it in.
        """
        found = _REDIS_LINE.findall(self.log_path.read_text(encoding="utf-8", errors="replace"))
        if not found:
            return None
        url: str = found[-1]
        password_file = self.var_dir / "redis" / "password"
        if ":***@" in url and password_file.exists():
            password = quote(password_file.read_text(encoding="utf-8").strip(), safe="")
            url = url.replace(":***@", f":{password}@", 1)
        return url

    def env(self) -> dict[str, str]:
        return system_env(self.var_dir, self.database_url, self.redis_url())

    def pids(self, role: str) -> list[int]:
        """The live processes of a role: its pid file if there is one, else the command lines.

        The API's are always its workers, found in the process tree: its pid file would
        name the uvicorn process that forks them.
        """
        pid_file = self.var_dir / "run" / f"{role}.pid"
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().split()[0])
            if role != "api" and psutil.pid_exists(pid):
                return [pid]
        found = []
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.process.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    line = " ".join(child.cmdline())
                    mark = _ROLE_MARKS[role]
                    if role == "api":
                        if "spawn_main" in line and _is_worker(child):
                            found.append(child.pid)
                    elif line.endswith(mark) if mark.startswith(" ") else mark in line:
                        found.append(child.pid)
        return found

    def stop(self, timeout_s: float = 60.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _kill_leftovers(self.work_dir)


def _is_worker(process: psutil.Process) -> bool:
    """A uvicorn worker: a multiprocessing child of the uvicorn process."""
    with contextlib.suppress(psutil.Error):
        parent = process.parent()
        return parent is not None and "uvicorn" in " ".join(parent.cmdline())
    return False


def system_env(var_dir: Path, database_url: str | None, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.pop("FARECHAIN_DATABASE_URL", None)
    env["FARECHAIN_VAR_DIR"] = str(var_dir)
    # A sandbox decline would put a rider in arrears and refuse its taps: right, but not
    # what the audit measures.
    env["FARECHAIN_PAYMENTS__SANDBOX_DECLINE_RATE"] = "0"
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_audited_system(
    work_dir: Path,
    *,
    port: int,
    database_url: str | None,
    riders: int = 200,
    workers: int = 2,
    ready_timeout_s: float = 300.0,
) -> AuditedSystem:
    """Start `farechain up` under `work_dir` and wait until its API answers."""
    work_dir = work_dir.resolve()
    (work_dir / "var").mkdir(parents=True, exist_ok=True)
    log_path = work_dir / "system.log"
    env = system_env(work_dir / "var", database_url, None)
    command = [
        sys.executable, "-m", "farechain.cli", "up",
        "--riders", str(riders), "--workers", str(workers), "--port", str(port),
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=work_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    system = AuditedSystem(
        work_dir, f"http://127.0.0.1:{port}", process, log_path, database_url, port, riders, workers
    )
    try:
        wait_until_up(system.process, system.url, ready_timeout_s, system.log_path)
    except BaseException:
        system.stop()
        raise
    return system


def restart(system: AuditedSystem) -> AuditedSystem:
    """A broken (or stopped) system started again on the same directory.

    It is stopped hard: a child waiting on a dead Redis may take the supervisor's full
    grace period to leave, and a crash is what the audit simulates anyway.
    """
    system.stop(timeout_s=5.0)
    return start_audited_system(
        system.work_dir,
        port=system.port,
        database_url=system.database_url,
        riders=system.riders,
        workers=system.workers,
    )


def _kill_leftovers(work_dir: Path) -> None:
    """Children a killed supervisor left behind: they inherited its FARECHAIN_VAR_DIR,
    or (Redis, whose process title overwrites its environment) run in a directory of it."""
    mine = str(work_dir / "var")
    killed = []
    for proc in psutil.process_iter(["pid", "environ", "cwd"]):
        with contextlib.suppress(psutil.Error):
            environ = proc.info.get("environ") or {}
            cwd = proc.info.get("cwd") or ""
            ours = environ.get("FARECHAIN_VAR_DIR") == mine or cwd.startswith(mine + os.sep)
            if proc.pid != os.getpid() and ours:
                proc.kill()
                killed.append(proc)
    # Gone, not just signalled: a Redis still dying would still hold its socket and AOF.
    psutil.wait_procs(killed, timeout=10)


@dataclass
class SystemBox:
    """The system under audit, replaced when a check brought it down and it was restarted."""

    system: AuditedSystem
