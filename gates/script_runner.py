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
import collections
import hashlib
import ssl
import time
from collections.abc import Sequence
from typing import Any, cast

import hiredis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection, parse_url
from redis.exceptions import ConnectionError, ResponseError, TimeoutError

__all__ = ["ScriptRunner"]

Arg = str | bytes | int


class ScriptRunner:
    """Runs one Lua script on the Redis at `url` (redis://, rediss:// or unix://)."""

    def __init__(self, url: str, script: str, *, reply_timeout_s: float = 5.0) -> None:
        self._url = url
        self._script = script.encode()
        self._sha = hashlib.sha1(self._script).hexdigest().encode()
        self._reply_timeout_s = reply_timeout_s
        self._line: _Line | None = None
        # Made in the loop that uses them: a test may run the app in several loops.
        self._connecting: asyncio.Lock | None = None
        self._connecting_loop: asyncio.AbstractEventLoop | None = None

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
        line = self._line
        if line is not None and line.loop is loop and line.is_open:
            return line
        if self._connecting is None or self._connecting_loop is not loop:
            self._connecting, self._connecting_loop = asyncio.Lock(), loop
        async with self._connecting:  # one connection attempt for all the waiting calls
            line = self._line
            if line is None or line.loop is not loop or not line.is_open:
                line = self._line = await _connect(self._url, self._reply_timeout_s)
            return line


async def _connect(url: str, reply_timeout_s: float) -> _Line:
    options = parse_url(url)
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
                options["host"],
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
    for command in hello:
        reply = await line.send(command)
        if isinstance(reply, ResponseError):
            line.close()
            raise reply
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
        self._transport = cast(asyncio.Transport, transport)
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
