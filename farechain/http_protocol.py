"""uvicorn's httptools protocol, with each response sent in one write.

Run with `uvicorn --http farechain.http_protocol:HttpProtocol`. uvicorn writes a
response's status line and headers, then its body, each at once; behind this protocol
both go out in one send a moment later (see gates.coalescing). A tap costs the API
worker one send instead of two, and the device one read.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gates.coalescing import CoalescingTransport

__all__ = ["HttpProtocol"]


class HttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
