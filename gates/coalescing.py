"""Writes that leave a connection in one send per turn of the event loop.

An asyncio transport sends each `write` at once: a system call, and on loopback the
whole TCP path of the receiver too. uvicorn writes a response's head and its body
separately, so a tap's 60-byte answer took two sends, and the tap's Redis command a
third; py-spy (samples holding the GIL) put a third of an API worker's time in those
sends. Wrapped here, the writes a connection gets are held and sent joined by a
callback queued behind the writer (`call_soon`): a response leaves in one send, and the
Redis commands of all the taps handled before that callback runs leave together.

The delay is until the loop reaches that callback: the callbacks queued before it, and
under load one poll of the sockets. Back-pressure is kept: past `_FLUSH_AT` bytes the
writes go through at once, so the real transport can pause the writer as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["CoalescingTransport"]

_FLUSH_AT = 64 * 1024


class CoalescingTransport:
    """A transport whose writes are held until a callback queued behind them runs.

    The writing methods hold or flush; everything else is the wrapped transport's own.
    """

    __slots__ = ("_loop", "_pending", "_pending_bytes", "_transport")

    def __init__(self, transport: asyncio.BaseTransport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport: Any = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        chunk = bytes(data)
        if not chunk:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(chunk)
        self._pending_bytes += len(chunk)
        if self._pending_bytes >= _FLUSH_AT:
            self.flush()

    def writelines(self, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return int(self._transport.get_write_buffer_size()) + self._pending_bytes

    def flush(self) -> None:
        """Send what is held now; a closing transport drops it, as its own write would."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        # asyncio's close sends what it holds before closing; so does this.
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
