"""The pipelined script runner against a real Redis: replies in order, failures as redis-py's."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from redis.exceptions import ConnectionError, ResponseError, TimeoutError

from gates.script_runner import ScriptRunner
from storage.redis_server import EmbeddedRedis
from tests.gates.conftest import LoopFactory, in_loop

_T = TypeVar("_T")

# Stores ARGV[1] under KEYS[1] and answers with both: each reply says which call it is.
ECHO = "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}"
PICKY = "if ARGV[1] == 'bad' then return redis.error_reply('ERR refused: bad') end\n" + ECHO


def _run(
    loop_factory: LoopFactory,
    url: str,
    script: str,
    use: Callable[[ScriptRunner], Awaitable[_T]],
) -> _T:
    async def scenario() -> _T:
        runner = ScriptRunner(url, script)
        try:
            return await use(runner)
        finally:
            await runner.aclose()

    return in_loop(loop_factory, scenario())


def test_many_calls_in_flight_each_get_their_own_reply(
    loop_factory: LoopFactory, redis_url: str, redis_client: redis.Redis
) -> None:
    async def use(runner: ScriptRunner) -> list[object]:
        calls = [runner([f"k{n}"], [f"v{n}", n]) for n in range(500)]
        return list(await asyncio.gather(*calls))

    replies = _run(loop_factory, redis_url, ECHO, use)

    assert replies == [[f"k{n}".encode(), f"v{n}".encode(), n + 1] for n in range(500)]
    assert redis_client.get("k499") == b"v499"


def test_calls_go_over_a_unix_socket_too(loop_factory: LoopFactory, tmp_path: Path) -> None:
    # The embedded Redis hands out a Unix socket URL, with a database number in it.
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    try:
        assert url.startswith("unix://") and url.endswith("?db=0")
        replies = _run(
            loop_factory,
            url.replace("?db=0", "?db=3"),
            ECHO,
            lambda r: asyncio.gather(*(r([f"u{n}"], ["over the socket", n]) for n in range(50))),
        )
        assert replies == [[f"u{n}".encode(), b"over the socket", n + 1] for n in range(50)]
        with redis.Redis.from_url(url.replace("?db=0", "?db=3")) as client:
            assert client.get("u49") == b"over the socket"
    finally:
        server.stop()


def test_calls_go_to_the_database_the_url_names(
    loop_factory: LoopFactory, redis_url: str, redis_client: redis.Redis
) -> None:
    db = (redis_client.connection_pool.connection_kwargs.get("db", 0) + 1) % 16
    other = redis.Redis.from_url(_with_db(redis_url, db))
    other.delete("k-db")
    try:
        _run(loop_factory, _with_db(redis_url, db), ECHO, lambda r: r(["k-db"], ["here", 0]))
        assert (other.get("k-db"), redis_client.get("k-db")) == (b"here", None)
    finally:
        other.delete("k-db")
        other.close()


def test_a_cancelled_call_leaves_the_others_their_own_replies(
    loop_factory: LoopFactory, redis_url: str
) -> None:
    async def use(runner: ScriptRunner) -> list[object]:
        calls = [asyncio.ensure_future(runner([f"k{n}"], [f"v{n}", n])) for n in range(99)]
        await asyncio.sleep(0)  # every call has written its command
        for call in calls[::3]:
            call.cancel()
        return list(await asyncio.gather(*calls, return_exceptions=True))

    replies = _run(loop_factory, redis_url, ECHO, use)

    for n, reply in enumerate(replies):
        if n % 3 == 0:
            assert isinstance(reply, asyncio.CancelledError)
        else:
            assert reply == [f"k{n}".encode(), f"v{n}".encode(), n + 1]


def test_a_runner_refuses_a_second_event_loop(redis_url: str) -> None:
    runner = ScriptRunner(redis_url, ECHO)

    async def first() -> object:
        try:
            return await runner(["k"], ["v", 0])
        finally:
            await runner.aclose()

    assert asyncio.run(first()) == [b"k", b"v", 1]
    with pytest.raises(RuntimeError, match="one event loop"):
        asyncio.run(runner(["k"], ["v", 0]))


def test_url_options_it_would_ignore_are_refused() -> None:
    with pytest.raises(ValueError, match="ssl_cert_reqs"):
        ScriptRunner("rediss://127.0.0.1:6380/0?ssl_cert_reqs=none", ECHO)


def _with_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def test_an_error_reply_fails_its_own_call_only(loop_factory: LoopFactory, redis_url: str) -> None:
    async def use(runner: ScriptRunner) -> list[object]:
        calls = [runner([f"k{n}"], ["bad" if n % 2 else f"v{n}", n]) for n in range(4)]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    replies = _run(loop_factory, redis_url, PICKY, use)

    assert replies[0] == [b"k0", b"v0", 1]
    assert replies[2] == [b"k2", b"v2", 3]
    for refused in (replies[1], replies[3]):
        assert isinstance(refused, ResponseError)
        assert str(refused) == "ERR refused: bad"


def test_a_flushed_script_cache_is_refilled(
    loop_factory: LoopFactory, redis_url: str, redis_client: redis.Redis
) -> None:
    async def use(runner: ScriptRunner) -> tuple[object, object]:
        before = await runner(["a"], ["1", 1])
        redis_client.script_flush()  # as after a Redis restart
        return before, await runner(["b"], ["2", 2])

    assert _run(loop_factory, redis_url, ECHO, use) == ([b"a", b"1", 2], [b"b", b"2", 3])
    # the fallback also put the script back in the cache, for the calls after it
    assert redis_client.script_exists(hashlib.sha1(ECHO.encode()).hexdigest()) == [True]


def test_a_refused_connection_is_a_connection_error(
    loop_factory: LoopFactory,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def use(runner: ScriptRunner) -> object:
        return await runner(["k"], ["v", 0])

    with pytest.raises(ConnectionError, match="cannot connect"):
        _run(loop_factory, f"redis://127.0.0.1:{port}/0", ECHO, use)


def test_a_dropped_connection_is_replaced_on_the_next_call(
    loop_factory: LoopFactory, redis_url: str, redis_client: redis.Redis
) -> None:
    # Kill only the runner's own connection: the server may be shared with other suites.
    db = redis_client.connection_pool.connection_kwargs.get("db", 0)
    before = {c["id"] for c in redis_client.client_list()}

    async def use(runner: ScriptRunner) -> object:
        await runner(["k"], ["v", 0])
        ours = [
            c["id"]
            for c in redis_client.client_list()
            if c["id"] not in before
            and int(c["db"]) == db
            and c["id"] != str(redis_client.client_id())
        ]
        assert len(ours) == 1
        redis_client.client_kill_filter(_id=ours[0])
        line = runner._line
        deadline = time.monotonic() + 5
        while line is not None and line.is_open and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # until the close reaches us
        return await runner(["k"], ["again", 1])

    assert _run(loop_factory, redis_url, ECHO, use) == [b"k", b"again", 2]


def test_a_silent_server_fails_the_call_in_flight_after_the_timeout(
    loop_factory: LoopFactory,
) -> None:
    async def scenario() -> tuple[float, bytes]:
        async with _silent_server() as (port, received):
            runner = ScriptRunner(f"redis://127.0.0.1:{port}", ECHO, reply_timeout_s=0.2)
            started = time.monotonic()
            try:
                with pytest.raises(TimeoutError, match=r"no reply in 0\.2 s"):
                    await runner(["k"], ["v", 0])
                waited = time.monotonic() - started
            finally:
                await runner.aclose()
            await asyncio.sleep(0.05)  # the server reads to the end
        return waited, bytes(received)

    waited, received = in_loop(loop_factory, scenario())
    assert 0.2 <= waited < 2.0
    sha = hashlib.sha1(ECHO.encode()).hexdigest().encode()
    # it did send the call, in RESP: an array of bulk strings
    assert received == b"*6\r\n$7\r\nEVALSHA\r\n$40\r\n" + sha + (
        b"\r\n$1\r\n1\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\n0\r\n"
    )


def test_calls_waiting_on_a_connection_that_never_logs_in_fail_together(
    loop_factory: LoopFactory,
) -> None:
    async def scenario() -> tuple[float, list[object]]:
        async with _silent_server() as (port, _):  # accepts, never answers AUTH
            runner = ScriptRunner(f"redis://u:p@127.0.0.1:{port}", ECHO, reply_timeout_s=0.3)
            started = time.monotonic()
            try:
                calls = [runner(["k"], ["v", n]) for n in range(5)]
                outcomes = list(await asyncio.gather(*calls, return_exceptions=True))
                waited = time.monotonic() - started
            finally:
                await runner.aclose()
        return waited, outcomes

    waited, outcomes = in_loop(loop_factory, scenario())
    # one attempt for the five calls, not five attempts in a row
    assert 0.3 <= waited < 1.2
    assert all(isinstance(o, TimeoutError) and "no connection" in str(o) for o in outcomes)


def test_it_logs_in_as_the_user_the_url_names(
    loop_factory: LoopFactory, redis_url: str, redis_client: redis.Redis
) -> None:
    user, password = "farechain-test-runner", "s3cret-for-the-test"
    redis_client.acl_setuser(
        user, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all"]
    )
    try:
        parts = urlsplit(redis_url)
        host = parts.netloc.rpartition("@")[2]

        def as_user(secret: str) -> str:
            return urlunsplit(parts._replace(netloc=f"{user}:{secret}@{host}"))

        async def use(runner: ScriptRunner) -> object:
            return await runner(["who"], [user, 0])

        assert _run(loop_factory, as_user(password), ECHO, use) == [b"who", user.encode(), 1]
        with pytest.raises(ResponseError, match="WRONGPASS"):
            _run(loop_factory, as_user("wrong"), ECHO, use)
    finally:
        redis_client.acl_deluser(user)


@contextlib.asynccontextmanager
async def _silent_server() -> AsyncIterator[tuple[int, bytearray]]:
    """A server that accepts and never answers; yields its port and what it received."""
    received = bytearray()

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.extend(await reader.read())  # until the client drops the connection
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], received
    finally:
        server.close()
        await server.wait_closed()
