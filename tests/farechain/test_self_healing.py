"""`farechain up` heals itself: kill -9 the batcher, the API or Redis, and taps go on.

The whole system runs as a newcomer runs it (embedded Redis, SQLite) while riders tap
through the device API; a tap refused with 503 or unanswered is sent again with the same
event_id, as a gate does. Each child is killed by the pid in var/run/, and afterwards
every trip whose exit tap was accepted is on the ledger exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from farechain.supervisor import wait_for_http
from ridecodes.demo import read_demo_phones

CHILDREN = ("witness", "api", "sweeper", "batcher", "payments", "settler", "redis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Riders:
    """Riders tapping in and out one trip after another, resending what was not taken."""

    def __init__(self, base: str, var: Path) -> None:
        self.base = base
        credentials = json.loads((var / "demo-credentials.json").read_text())
        self.gates = [d for d in credentials["devices"] if d["kind"] == "gate"]
        phones = read_demo_phones(var / "demo-phones.tsv")
        self.phones = {rider: phone.handset() for rider, phone in list(phones.items())[:4]}
        self.accepted: list[str] = []  # exit taps' event ids: one trip each
        self.refusals: Counter[int] = Counter()
        self.stop = threading.Event()
        self._threads = [threading.Thread(target=self._ride, args=(r,)) for r in self.phones]

    def __enter__(self) -> Riders:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _ride(self, rider: str) -> None:
        n = 0
        while not self.stop.is_set():
            now = datetime.now(UTC)
            entry, exit_ = self.gates[n % len(self.gates)], self.gates[(n + 3) % len(self.gates)]
            n += 1
            for gate, kind, at in (
                (entry, "entry", now - timedelta(minutes=20)),
                (exit_, "exit", now),
            ):
                body = {
                    "event_id": uuid.uuid4().hex,
                    "ride_code": self.phones[rider].code_text(int(at.timestamp())),
                    "kind": kind,
                    "at": at.isoformat(),
                }
                self._send(gate, body)
            self.accepted.append(str(body["event_id"]))
            time.sleep(0.05)

    def _send(self, gate: dict[str, Any], body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.base}/v1/devices/{gate['id']}/taps",
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {gate['token']}",
            },
        )
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    assert answer.status == 202
                    return
            except urllib.error.HTTPError as error:
                assert error.code == 503, error.read()
                assert error.headers["Content-Type"] == "application/problem+json"
                self.refusals[503] += 1
            except OSError:  # the API is being restarted: nobody answers
                self.refusals[0] += 1
            assert time.monotonic() < deadline, "a tap was not accepted again within 40 s"
            time.sleep(0.1)


def _pid(var: Path, name: str) -> int:
    return int((var / "run" / f"{name}.pid").read_text())


def _kill_and_wait_for_restart(var: Path, name: str) -> float:
    old = _pid(var, name)
    os.kill(old, signal.SIGKILL)
    began = time.monotonic()
    while True:
        path = var / "run" / f"{name}.pid"
        if path.exists() and (new := int(path.read_text() or 0)) not in (0, old):
            os.kill(new, 0)  # it runs
            return time.monotonic() - began
        assert time.monotonic() - began < 15, f"{name} was not restarted"
        time.sleep(0.05)


def _trips_on_ledger(database: Path) -> Counter[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT body FROM ledger_records WHERE type = 'trip'").fetchall()
    found: Counter[str] = Counter()
    for (body,) in rows:
        record = json.loads(body)
        found[record["event_id"]] += 1  # the trip-end's: the exit tap's
    return found


def test_the_supervisor_restarts_killed_children_and_loses_no_trip(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # The sandbox declines 2% by default, and a declined rider is refused at the gate
    # (rightly): four riders tapping flat out would be blocked within the test.
    env["FARECHAIN_PAYMENTS__SANDBOX_DECLINE_RATE"] = "0"
    process = subprocess.Popen(
        [sys.executable, "-m", "farechain.cli", "up", "--riders", "8", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        wait_for_http(f"{base}/v1/ledger/key", timeout_s=60)
        for name in (*CHILDREN, "supervisor"):
            assert _pid(var, name) > 0, name
        with Riders(base, var) as riders:
            time.sleep(1.5)
            _kill_and_wait_for_restart(var, "batcher")
            time.sleep(2)
            assert riders.refusals.total() == 0  # the API stayed up while the batcher restarted
            _kill_and_wait_for_restart(var, "api")
            wait_for_http(f"{base}/v1/ledger/key", timeout_s=30)
            time.sleep(1)
            _kill_and_wait_for_restart(var, "redis")
            time.sleep(2)
        accepted = riders.accepted
        assert len(accepted) > 20
        deadline = time.monotonic() + 30
        while True:  # every accepted trip sealed, once
            on_ledger = _trips_on_ledger(var / "farechain.sqlite3")
            if all(on_ledger[event_id] for event_id in accepted):
                break
            missing = [e for e in accepted if not on_ledger[e]]
            if time.monotonic() > deadline:
                process.send_signal(signal.SIGINT)
                output, _ = process.communicate(timeout=90)
                raise AssertionError(
                    f"{len(missing)} accepted trips not sealed: {missing}\n{output}"
                )
            time.sleep(0.5)
        assert not [e for e in accepted if on_ledger[e] > 1]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=90)
    assert process.returncode == 0, output
    for name in ("batcher", "api", "redis"):
        assert f"supervisor: {name} died (killed by SIGKILL)" in output, output
        assert f"supervisor: {name} restarted as pid" in output, output
    assert not list((var / "run").glob("*.pid"))  # gone with the system
