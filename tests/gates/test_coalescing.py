"""The coalescing transport: a round's writes leave together, and nothing is lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gates.coalescing import CoalescingTransport
from tests.gates.conftest import LoopFactory, in_loop


class _Recorder(asyncio.Transport):
    """The far side of the wrapper: records each write it is handed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def write_eof(self) -> None:
        self.writes.append(b"<EOF>")

    def get_write_buffer_size(self) -> int:
        return 5

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


async def _next_round() -> None:
    await asyncio.sleep(0)


def _wrapped() -> tuple[_Recorder, CoalescingTransport]:
    """A recording transport and the wrapper around it, on the running loop."""
    inner = _Recorder()
    return inner, CoalescingTransport(inner, asyncio.get_running_loop())


def test_writes_of_one_round_leave_in_one_write_when_the_round_ends(
    loop_factory: LoopFactory,
) -> None:
    async def scenario() -> None:
        inner, outer = _wrapped()
        outer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        outer.write(bytearray(b"{}"))
        outer.write(b"")
        assert inner.writes == []
        await _next_round()
        assert inner.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
        outer.write(b"next")
        await _next_round()
        assert inner.writes[1:] == [b"next"]

    in_loop(loop_factory, scenario())


def test_past_64_kib_the_held_writes_go_through_at_once(
    loop_factory: LoopFactory,
) -> None:
    async def scenario() -> None:
        inner, outer = _wrapped()
        outer.write(b"a")
        outer.write(b"b" * 70_000)
        assert inner.writes == [b"a" + b"b" * 70_000]
        await _next_round()
        assert len(inner.writes) == 1

    in_loop(loop_factory, scenario())


def test_close_sends_what_is_held_first_and_a_closed_transport_gets_nothing(
    loop_factory: LoopFactory,
) -> None:
    async def scenario() -> None:
        inner, outer = _wrapped()
        outer.write(b"last words")
        outer.close()
        assert inner.writes == [b"last words"]
        assert inner.closed
        outer.write(b"too late")
        await _next_round()
        assert inner.writes == [b"last words"]

    in_loop(loop_factory, scenario())


def test_writelines_and_write_eof_keep_the_order_of_what_is_held(
    loop_factory: LoopFactory,
) -> None:
    async def scenario() -> None:
        inner, outer = _wrapped()
        outer.writelines([b"a", bytearray(b"b"), memoryview(b"c")])
        assert outer.get_write_buffer_size() == 5 + 3
        outer.write_eof()
        assert inner.writes == [b"abc", b"<EOF>"]
        await _next_round()
        assert inner.writes == [b"abc", b"<EOF>"]

    in_loop(loop_factory, scenario())


def test_everything_else_is_the_wrapped_transports(loop_factory: LoopFactory) -> None:
    async def scenario() -> None:
        _, outer = _wrapped()
        assert outer.get_extra_info("peername") == ("127.0.0.1", 1)
        with pytest.raises(AttributeError):
            outer.no_such_method  # noqa: B018

    in_loop(loop_factory, scenario())


def test_over_a_real_connection_the_peer_gets_every_byte_in_order(
    loop_factory: LoopFactory,
) -> None:
    async def scenario() -> None:
        received = bytearray()
        done = asyncio.Event()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.extend(await reader.read())
            done.set()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        outer = CoalescingTransport(transport, loop)
        expected = b""
        for n in range(200):
            chunk = str(n).encode() * (n * 50)  # some rounds pass the 64 KiB mark
            outer.write(chunk)
            expected += chunk
            if n % 7 == 0:
                await _next_round()
        outer.close()
        await asyncio.wait_for(done.wait(), 5)
        server.close()
        await server.wait_closed()
        assert bytes(received) == expected

    in_loop(loop_factory, scenario())
