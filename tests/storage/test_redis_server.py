"""The embedded Redis that `farechain up` starts on a machine without one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from storage.redis_server import EmbeddedRedis


def test_embedded_redis_keeps_an_append_only_file_and_rewrites_it_rarely(
    tmp_path: Path,
) -> None:
    server = EmbeddedRedis(tmp_path)
    client = redis.Redis.from_url(server.start(), decode_responses=True)
    try:
        assert server.url == f"unix://{tmp_path.resolve() / 'redis.sock'}?db=0"
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
