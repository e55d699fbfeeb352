"""Writes that leave a connection once per event-loop round.

An asyncio transport sends each `write` at once: a syscall, and on loopback the whole
TCP path of the receiver too. uvicorn writes a response's head and its body separately,
so a tap's 60-byte answer left in two segments, and the tap's Redis command in a third;
py-spy put a fifth of an API worker's time in those sends. Wrapped here, the writes made
while the loop runs one round of callbacks are joined and sent when the round ends: a
response leaves in one segment, and the Redis commands of all the taps handled in that
round leave together.

The delay is the rest of the round (microseconds). Back-pressure is kept: past
`_FLUSH_AT` bytes the writes go through at once, so the real transport can pause the
writer as before.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["CoalescingTransport"]

_FLUSH_AT = 64 * 1024


class CoalescingTransport:
    """A transport whose writes are held until the end of the loop's current round.

    Everything but `write` and `close` is the wrapped transport's own.
    """

    __slots__ = ("_loop", "_pending", "_pending_bytes", "_transport")

    def __init__(self, transport: asyncio.BaseTransport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport: Any = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))
        self._pending_bytes += len(data)
        if self._pending_bytes >= _FLUSH_AT:
            self.flush()

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
