"""HTTP/1.1 as a gate speaks it: POST a JSON body on a kept-alive connection, read the reply.

With FastHttpUser's client (its session and user agent over geventhttpclient) Locust
took 0.46 ms of CPU per request on the 2-core development machine, with this one 0.27:
at 2,000 taps/s the difference is over a third of a core, which the system under test
lacked, since the load generator shares the machine. A device needs a small part of
HTTP: a request line, a few header lines and a body; a reply with a status, headers and
a body framed by Content-Length. A `Link` does that over one socket (cooperative under
Locust, which patches `socket` for gevent) and refuses any reply it does not fully
understand (chunked or unframed bodies, including the bodiless 1xx, 204 and 304 that the
device API never sends, and extra bytes after a reply) with `WireError`, as it does a
broken or silent connection. It never sends a request twice: resending is the caller's
decision, with the same event_id.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Link", "Reply", "WireError", "header_lines"]

_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024
# A connection idle this long is replaced before use rather than reused: uvicorn closes
# idle connections after 5 s, and a request sent as the server closes gets no reply (it
# would count as a failed attempt, and be sent again, with no fault in the system).
_IDLE_S = 2.0


class WireError(Exception):
    """No complete reply: the request may or may not have been processed."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def header_lines(headers: Mapping[str, str]) -> bytes:
    """Header lines to pass to `Link.post`, encoded once per device rather than per request."""
    for name, value in headers.items():
        if any(c in name + value for c in "\r\n") or not name.isascii():
            raise ValueError(f"expected a header without line breaks, got {name!r}")
    return b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items())


class Link:
    """One kept-alive connection to an `http://` server; reconnects when it is lost."""

    def __init__(self, base_url: str, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"expected an http:// URL, got {base_url!r}")
        self._address = (parts.hostname, parts.port or 80)
        self._host = parts.netloc.encode("ascii")
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._sock: socket.socket | None = None
        self._used_at = 0.0

    def post(self, path: str, body: bytes, headers: bytes = b"") -> Reply:
        """Send one POST and read its reply; `headers` comes from `header_lines`."""
        request = b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s\r\n%s" % (
            path.encode("ascii"),
            self._host,
            len(body),
            headers,
            body,
        )
        try:
            sock = self._connected()
            # send() before sendall(): a request fits the socket buffer, and gevent's
            # sendall sets up a timeout object per call.
            sent = sock.send(request)
            if sent < len(request):
                sock.sendall(request[sent:])
            reply, keep_alive = _read_reply(sock)
        except (OSError, WireError, ValueError) as error:  # socket timeouts are OSErrors
            self.close()
            if isinstance(error, WireError):
                raise
            raise WireError(f"{type(error).__name__}: {error}") from error
        if keep_alive:
            self._used_at = time.monotonic()
        else:
            self.close()
        return reply

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _connected(self) -> socket.socket:
        if self._sock is not None and time.monotonic() - self._used_at >= _IDLE_S:
            # The server may be closing it right now; a request sent then is lost.
            self.close()
        if self._sock is None:
            sock = socket.create_connection(self._address, timeout=self._connect_timeout_s)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self._read_timeout_s)
            self._sock = sock
        return self._sock


def _read_reply(sock: socket.socket) -> tuple[Reply, bool]:
    buffer = bytearray()
    while (end := buffer.find(_HEAD_END)) < 0:
        if len(buffer) > _MAX_HEAD:
            raise WireError(f"expected reply headers within {_MAX_HEAD} bytes")
        _receive(sock, buffer)
    status_line, *lines = buffer[:end].decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    code = rest[:3]
    if version not in ("HTTP/1.1", "HTTP/1.0") or not code.isdigit():
        raise WireError(f"expected an HTTP/1.x status line, got {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise WireError(f"expected a header line, got {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers:
        raise WireError(f"expected a Content-Length body, got {headers['transfer-encoding']}")
    length = headers.get("content-length", "")
    if not length.isdigit():
        raise WireError(f"expected a Content-Length, got {length!r}")
    total = end + len(_HEAD_END) + int(length)
    while len(buffer) < total:
        _receive(sock, buffer)
    if len(buffer) > total:
        raise WireError("expected one reply, got bytes after it")
    connection = {token.strip() for token in headers.get("connection", "").lower().split(",")}
    keep_alive = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
    return Reply(int(code), headers, bytes(buffer[end + len(_HEAD_END) :])), keep_alive


def _receive(sock: socket.socket, buffer: bytearray) -> None:
    chunk = sock.recv(65536)
    if not chunk:
        where = "in the middle of a reply" if buffer else "without a reply"
        raise WireError(f"the server closed the connection {where}")
    buffer += chunk
