"""One Lua script, many calls in flight on one pipelined Redis connection.

Every tap is one EVALSHA of gates/taps.lua. Through redis-py's asyncio client a call
cost an API worker about 200 µs of CPU on the development machine (pool checkout,
retry and timeout wrappers, a socket write and a read per call): a third of the
worker's time per tap. Here the calls of one process share one connection: a call
writes its command and waits on a future; replies arrive in order (Redis answers a
connection's commands in the order sent) and hiredis parses them in bulk. Measured with
a redis-py micro-benchmark on the same machine: ~55 µs per call.

Failures are redis-py's exception types, so callers handle them as before: an error
reply is a `ResponseError`; a refused, dropped or silent connection fails every call in
flight with `ConnectionError` or `TimeoutError`, and the next call connects again. A
Redis that lost its script cache (restarted, SCRIPT FLUSH) gets the script's text once.
"""

from __future__ import annotations

import asyncio
import builtins
import collections
import hashlib
import socket
import ssl
import time
from collections.abc import Sequence
from typing import Any, cast

import hiredis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection, parse_url
from redis.exceptions import ConnectionError, ResponseError, TimeoutError

from gates.coalescing import CoalescingTransport
from storage.redis_server import redacted

__all__ = ["ScriptRunner"]

Arg = str | bytes | int


class ScriptRunner:
    """Runs one Lua script on the Redis at `url` (redis://, rediss:// or unix://).

    One runner serves one event loop (an API process's); the lifespan makes it and
    closes it.
    """

    def __init__(self, url: str, script: str, *, reply_timeout_s: float = 5.0) -> None:
        self._options = _connection_options(url)
        self._url = redacted(url)  # for messages only: they end up in logs
        self._script = script.encode()
        self._sha = hashlib.sha1(self._script).hexdigest().encode()
        self._reply_timeout_s = reply_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._line: _Line | None = None
        self._connecting: asyncio.Task[_Line] | None = None

    async def __call__(self, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        line = await self._open_line()
        reply = await line.send(_command(b"EVALSHA", self._sha, len(keys), *keys, *args))
        if isinstance(reply, ResponseError) and str(reply).startswith("NOSCRIPT"):
            reply = await line.send(_command(b"EVAL", self._script, len(keys), *keys, *args))
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def aclose(self) -> None:
        if self._line is not None:
            self._line.close()
            self._line = None

    async def _open_line(self) -> _Line:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("a ScriptRunner serves the one event loop it was first used in")
        line = self._line
        if line is not None and line.is_open:
            return line
        # One connection attempt, bounded in time, for all the calls waiting on it: they
        # succeed or fail together instead of queueing one attempt each.
        if self._connecting is None:
            self._connecting = loop.create_task(self._connect())
            self._connecting.add_done_callback(self._connected)
        return await asyncio.shield(self._connecting)

    def _connected(self, attempt: asyncio.Task[_Line]) -> None:
        self._connecting = None
        if not attempt.cancelled() and attempt.exception() is None:
            self._line = attempt.result()

    async def _connect(self) -> _Line:
        try:
            async with asyncio.timeout(self._reply_timeout_s):
                return await _connect(self._options, self._url, self._reply_timeout_s)
        except builtins.TimeoutError as error:
            detail = f"no connection to Redis at {self._url} in {self._reply_timeout_s} s"
            raise TimeoutError(detail) from error


_URL_OPTIONS = {"host", "port", "db", "username", "password", "path", "connection_class"}


def _connection_options(url: str) -> dict[str, Any]:
    options: dict[str, Any] = dict(parse_url(url))
    # Refused at start-up rather than ignored: a TLS or socket option the redis-py client
    # honours and this runner did not would make every tap fail while the rest works.
    unsupported = sorted(set(options) - _URL_OPTIONS)
    if unsupported:
        raise ValueError(f"the tap script runner does not support Redis URL options {unsupported}")
    return options


async def _connect(options: dict[str, Any], url: str, reply_timeout_s: float) -> _Line:
    loop = asyncio.get_running_loop()

    def protocol() -> _Line:
        return _Line(loop, reply_timeout_s)

    try:
        if options.get("connection_class") is UnixDomainSocketConnection:
            _, line = await loop.create_unix_connection(protocol, options["path"])
        else:
            secure = options.get("connection_class") is SSLConnection
            _, line = await loop.create_connection(
                protocol,
                options.get("host", "localhost"),
                options.get("port", 6379),
                ssl=ssl.create_default_context() if secure else None,
            )
    except OSError as error:
        raise ConnectionError(f"cannot connect to Redis at {url}: {error}") from error
    hello: list[bytes] = []
    if options.get("password"):
        user = [options["username"]] if options.get("username") else []
        hello.append(_command(b"AUTH", *user, options["password"]))
    if options.get("db"):
        hello.append(_command(b"SELECT", options["db"]))
    try:
        for command in hello:
            reply = await line.send(command)
            if isinstance(reply, ResponseError):
                raise reply
    except BaseException:
        line.close()
        raise
    return line


class _Line(asyncio.Protocol):
    """One connection: commands go out as they come, replies resolve futures in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, reply_timeout_s: float) -> None:
        self.loop = loop
        self.is_open = False
        self._reader = hiredis.Reader(replyError=ResponseError)
        self._waiting: collections.deque[tuple[float, asyncio.Future[Any]]] = collections.deque()
        self._transport: asyncio.Transport | None = None
        self._reply_timeout_s = reply_timeout_s
        self._watchdog: asyncio.TimerHandle | None = None

    def send(self, command: bytes) -> asyncio.Future[Any]:
        if self._transport is None or not self.is_open:
            raise ConnectionError("the Redis connection is closed")
        future = self.loop.create_future()
        self._waiting.append((time.monotonic(), future))
        self._transport.write(command)
        if self._watchdog is None:
            self._watch()
        return future

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they write alike.
        # The commands of the taps handled before its flush callback runs leave together.
        self._transport = cast(asyncio.Transport, CoalescingTransport(transport, self.loop))
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # An idle connection cut by the network is noticed without waiting for a tap.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.is_open = True

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        try:
            while (reply := self._reader.gets()) is not False:
                if not self._waiting:
                    raise hiredis.ProtocolError("a reply nobody asked for")
                _, future = self._waiting.popleft()
                if not future.done():  # its caller may have been cancelled meanwhile
                    future.set_result(reply)
        except hiredis.ProtocolError as error:
            self._fail(ConnectionError(f"Redis sent something unreadable: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"the Redis connection was lost: {exc or 'closed'}"))

    def _fail(self, error: Exception) -> None:
        self.is_open = False
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        while self._waiting:
            _, future = self._waiting.popleft()
            if not future.done():
                future.set_exception(error)

    def _watch(self) -> None:
        # One timer per connection, not one per call: a call's own timeout (wait_for)
        # would cost more CPU than the call. A Redis silent past the limit fails every
        # call in flight and the connection is dropped.
        self._watchdog = None
        if not self._waiting:
            return
        sent_at = self._waiting[0][0]
        overdue = time.monotonic() - sent_at - self._reply_timeout_s
        if overdue >= 0:
            self._fail(TimeoutError(f"Redis gave no reply in {self._reply_timeout_s} s"))
            self.close()
            return
        self._watchdog = self.loop.call_later(-overdue, self._watch)


def _command(*parts: Arg) -> bytes:
    """A command in RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)
