"""`farechain up` as a newcomer runs it: embedded Redis, SQLite, Ctrl-C, resume."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from farechain.demo import run_demo
from farechain.supervisor import wait_for_http


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _up(cwd: Path, port: int) -> subprocess.Popen[str]:
    # The fresh-machine path: no Redis or database configured.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.Popen(
        [sys.executable, "-m", "farechain.cli", "up", "--riders", "20", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


def test_up_runs_the_whole_system_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = _up(tmp_path, port)
    try:
        wait_for_http(f"{base}/v1/ledger/key", timeout_s=60)
        summary = run_demo(base, tmp_path / "var" / "demo-credentials.json", 30)
        assert "all 30 trips" in summary, summary
        # The demo's tax-bureau witness cosigns the newest checkpoint within a few rounds.
        deadline = time.monotonic() + 30
        while True:
            with urllib.request.urlopen(f"{base}/v1/ledger/checkpoint") as answer:
                if "\u2014 tax.example/witness " in answer.read().decode():
                    break
            assert time.monotonic() < deadline, "the witness never cosigned"
            time.sleep(0.5)
        before_stop = _tree_size(base)
    finally:
        output = _stop(process)
    assert "farechain stopped" in output
    assert (tmp_path / "var" / "redis" / "appendonly.aof").exists() or any(
        (tmp_path / "var" / "redis").glob("appendonly*")
    )
    credentials = json.loads((tmp_path / "var" / "demo-credentials.json").read_text())
    assert len(credentials["riders"]) == 20
    _assert_private_state(tmp_path / "var")
    password = (tmp_path / "var" / "redis" / "password").read_text().strip()
    assert password not in output  # the embedded Redis's URL is printed without it

    process = _up(tmp_path, port)
    try:
        wait_for_http(f"{base}/v1/ledger/key", timeout_s=60)
        size = _tree_size(base)
        assert size >= before_stop  # nothing lost across the restart
        types = Counter(_get(f"{base}/v1/ledger/records/{i}")["type"] for i in range(size))
        # Each trip once, with its charge and invoice; the payment worker adds its own
        # records (the demo riders' agreements, then each trip's payment news) meanwhile.
        assert types["trip"] == types["charge"] == types["invoice"] == 30, types
    finally:
        _stop(process)
    verify = subprocess.run(
        [sys.executable, "-m", "farechain.cli", "verify"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
    )
    assert verify.returncode == 0, verify.stderr
    verified = re.search(r"verify OK: (\d+) records", verify.stdout)
    assert verified is not None and int(verified.group(1)) >= size, verify.stdout


def _assert_private_state(var: Path) -> None:
    """No state file of the system is open to other users (issue 20)."""
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    wanted = ["farechain.sqlite3", "redis/redis.log", "redis/password", "keys/ledger.key"]
    assert all((var / name).is_file() for name in wanted)
    assert any((var / "redis").glob("appendonly*"))
    exposed = {
        str(path.relative_to(var)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in var.rglob("*")
        if stat.S_IMODE(path.stat().st_mode) & 0o077
    }
    # The issuer keys gates trust are published (GET /v1/ride-codes/issuer-keys); var/
    # being 0700 keeps even that file from other users.
    exposed.pop("keys/ride-issuers.json", None)
    assert exposed == {}


def _get(url: str) -> Any:
    with urllib.request.urlopen(url) as answer:
        return json.loads(answer.read())


def _tree_size(base: str) -> int:
    [newest] = _get(f"{base}/v1/ledger/blocks?limit=1")
    return int(newest["tree_size"])
