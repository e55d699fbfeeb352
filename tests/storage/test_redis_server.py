"""The embedded Redis that `farechain up` starts on a machine without one."""

from __future__ import annotations

import os
import socket
import stat
import time
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from storage.private_files import ExposedSecret
from storage.redis_server import EmbeddedRedis, redacted


def test_embedded_redis_keeps_an_append_only_file_and_rewrites_it_rarely(
    tmp_path: Path,
) -> None:
    server = EmbeddedRedis(tmp_path)
    client = redis.Redis.from_url(server.start(), decode_responses=True)
    try:
        login = f":{server.password}@"
        assert server.url == f"unix://{login}{tmp_path.resolve() / 'redis.sock'}?db=0"
        client.set("tap", "kept")
        with redis.Redis.from_url(server.tcp_url, decode_responses=True) as over_tcp:
            assert over_tcp.get("tap") == "kept"
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("auto-aof-rewrite-min-size") == {
            "auto-aof-rewrite-min-size": str(512 * 1024 * 1024)
        }
        assert client.config_get("auto-aof-rewrite-percentage") == {
            "auto-aof-rewrite-percentage": "300"
        }
    finally:
        client.close()
        server.stop()
    assert any(tmp_path.rglob("appendonly*"))


# 15,000 keys, each taking at least 100 µs to load: 1.5 s or more in all. Redis answers
# LOADING between every 1,000 commands of an append-only file it reads (every ~0.15 s).
_SLOW_LOADING = ["--key-load-delay", "100"]
_KEYS = 15_000


def _append_only_file(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    commands = (f"*3\r\n$3\r\nSET\r\n${len(str(n))}\r\n{n}\r\n$1\r\nv\r\n" for n in range(_KEYS))
    (directory / "appendonly.aof").write_text("".join(commands))


def test_a_server_still_loading_its_data_is_waited_for_past_the_answer_timeout(
    tmp_path: Path,
) -> None:
    _append_only_file(tmp_path)
    server = EmbeddedRedis(tmp_path, options=_SLOW_LOADING)
    began = time.monotonic()
    url = server.start(timeout_s=1.0)
    try:
        assert time.monotonic() - began > 1.0
        with redis.Redis.from_url(url) as client:
            assert client.dbsize() == _KEYS
    finally:
        server.stop()


def test_a_server_that_does_not_come_up_in_time_is_stopped_not_left_behind(
    tmp_path: Path,
) -> None:
    _append_only_file(tmp_path)
    server = EmbeddedRedis(tmp_path, options=_SLOW_LOADING)
    with pytest.raises(RuntimeError, match=r"did not load its data in 0\.5 s"):
        server.start(timeout_s=1.0, load_timeout_s=0.5)
    assert server.pid is None  # killed and reaped
    with pytest.raises(redis.ConnectionError) as refused:
        redis.Redis(port=server.port, retry=Retry(NoBackoff(), 0)).ping()
    assert type(refused.value) is redis.ConnectionError  # not LOADING: nobody listens


def test_a_second_server_on_the_same_data_is_refused_and_the_first_keeps_serving(
    tmp_path: Path,
) -> None:
    first = EmbeddedRedis(tmp_path)
    url = first.start()
    try:
        with pytest.raises(RuntimeError, match="another Redis already serves"):
            EmbeddedRedis(tmp_path).start()
        with redis.Redis.from_url(url) as client:
            assert client.ping()
    finally:
        first.stop()
    # A socket file left by a server that died does not stop the next one.
    (tmp_path / "redis.sock").touch()
    second = EmbeddedRedis(tmp_path)
    try:
        with redis.Redis.from_url(second.start()) as client:
            assert client.ping()
    finally:
        second.stop()


def test_a_data_directory_too_deep_for_a_unix_socket_gets_tcp_alone(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    server = EmbeddedRedis(deep)
    url = server.start()
    try:
        assert server.socket_path is None
        assert url == server.tcp_url
        with redis.Redis.from_url(url) as client:
            assert client.ping()
    finally:
        server.stop()
    assert not any(deep.glob("*.sock"))


def test_a_server_that_exits_at_start_says_so(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, options=["--no-such-option", "1"])
    with pytest.raises(RuntimeError, match="exited at start"):
        server.start(timeout_s=5)


def _raw_ping(connect: socket.socket, address: tuple[str, int] | str) -> bytes:
    """PING without logging in, as any local user's `redis-cli` would send it."""
    with connect as sock:
        sock.settimeout(5)
        sock.connect(address)
        sock.sendall(b"PING\r\n")
        return sock.recv(200)


def test_the_embedded_redis_refuses_a_client_without_its_password(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        over_tcp = _raw_ping(socket.socket(), ("127.0.0.1", server.port))
        assert over_tcp.startswith(b"-NOAUTH"), over_tcp
        assert server.socket_path is not None
        over_socket = _raw_ping(socket.socket(socket.AF_UNIX), os.fspath(server.socket_path))
        assert over_socket.startswith(b"-NOAUTH"), over_socket
        wrong = server.tcp_url.replace(server.password, "not-the-password")
        with pytest.raises(redis.AuthenticationError), redis.Redis.from_url(wrong) as client:
            client.ping()
        with redis.Redis.from_url(server.tcp_url) as client:
            assert client.xadd("fc:trip-ends", {"e": "{}"})
    finally:
        server.stop()


def test_the_password_is_private_kept_across_restarts_and_never_in_argv(
    tmp_path: Path,
) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        password = server.password
        assert len(password) >= 32
        assert stat.S_IMODE(server.password_path.stat().st_mode) == 0o600
        assert server.password_path.read_text().strip() == password
        assert server.pid is not None
        argv = Path(f"/proc/{server.pid}/cmdline").read_bytes()
        assert password.encode() not in argv
        assert password not in redacted(server.url) and password not in redacted(server.tcp_url)
        assert redacted(server.tcp_url) == f"redis://:***@127.0.0.1:{server.port}/0"
    finally:
        server.stop()
    again = EmbeddedRedis(tmp_path)
    again.start()
    try:
        assert again.password == password
        with redis.Redis.from_url(again.url) as client:
            assert client.ping()
    finally:
        again.stop()


def test_redis_state_is_private_to_its_user(tmp_path: Path) -> None:
    data = tmp_path / "redis"
    data.mkdir(mode=0o755)
    (data / "redis.log").write_text("written by an older version\n")
    (data / "redis.log").chmod(0o644)
    server = EmbeddedRedis(data)
    server.start()
    try:
        with redis.Redis.from_url(server.url) as client:
            client.set("k", "v")
            client.execute_command("BGREWRITEAOF")
    finally:
        server.stop()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"redis.log", "password"}
    assert any(p.name.startswith("appendonly") for p in data.rglob("*"))
    assert {p.name: stat.S_IMODE(p.stat().st_mode) & 0o077 for p in files} == {
        p.name: 0 for p in files
    }


def test_a_password_file_others_can_read_is_refused(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("x" * 40 + "\n")
    (tmp_path / "password").chmod(0o644)
    with pytest.raises(ExposedSecret, match=r"mode 0644, expected 0600"):
        EmbeddedRedis(tmp_path).start()
