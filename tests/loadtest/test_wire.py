"""The load generator's HTTP client against real sockets: framing, keep-alive, failures."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import pytest

from loadtest import wire
from loadtest.wire import Link, WireError, header_lines

ACCEPTED = (
    b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\n"
    b"Idempotent-Replayed: true\r\ncontent-length: 17\r\n\r\n"
    b'{"status":"open"}'
)


@dataclass
class Server:
    url: str
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)


Behaviour = Callable[[socket.socket, Server, int], None]


@contextmanager
def server(behaviour: Behaviour) -> Iterator[Server]:
    """A TCP server whose connection number n is handled by `behaviour(conn, server, n)`."""
    listener = socket.create_server(("127.0.0.1", 0))
    state = Server(url=f"http://127.0.0.1:{listener.getsockname()[1]}")

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            state.connections += 1
            number = state.connections
            threading.Thread(target=_handle, args=(conn, number), daemon=True).start()

    def _handle(conn: socket.socket, number: int) -> None:
        # The client hangs up as soon as it has seen a reply it refuses.
        with conn, suppress(ConnectionError):
            behaviour(conn, state, number)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield state
    finally:
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        listener.close()


def read_request(conn: socket.socket, state: Server) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = int(next(line for line in lines if line.startswith(b"Content-Length"))[15:])
    while len(body) < length:
        body += conn.recv(65536)
    state.requests.append(data[: len(head) + 4] + body)
    return body


def answer_with(*replies: bytes, then_close: bool = False, piece: int = 7) -> Behaviour:
    """Answer each request of a connection with the next reply, sent in pieces."""

    def behaviour(conn: socket.socket, state: Server, _: int) -> None:
        for reply in replies:
            if not read_request(conn, state):
                return
            for start in range(0, len(reply), piece):
                conn.sendall(reply[start : start + piece])
        if not then_close:
            read_request(conn, state)

    return behaviour


def link(url: str, read_timeout_s: float = 2.0) -> Link:
    return Link(url, connect_timeout_s=2.0, read_timeout_s=read_timeout_s)


def test_a_post_is_sent_as_http_and_its_reply_read_back() -> None:
    with server(answer_with(ACCEPTED)) as state:
        headers = header_lines({"Authorization": "Bearer t0k", "Content-Type": "application/json"})
        with link(state.url) as client:
            reply = client.post("/v1/devices/taps", b'{"a":1}', headers)
    assert reply.status == 202
    assert reply.headers["idempotent-replayed"] == "true"
    assert reply.body == b'{"status":"open"}'
    host = state.url.removeprefix("http://").encode()
    assert state.requests == [
        b"POST /v1/devices/taps HTTP/1.1\r\nHost: " + host + b"\r\nContent-Length: 7\r\n"
        b"Authorization: Bearer t0k\r\nContent-Type: application/json\r\n\r\n"
        b'{"a":1}'
    ]


def test_requests_share_one_connection_while_the_server_keeps_it() -> None:
    with server(answer_with(ACCEPTED, ACCEPTED, ACCEPTED)) as state, link(state.url) as client:
        statuses = [client.post("/x", b"{}").status for _ in range(3)]
    assert statuses == [202, 202, 202]
    assert state.connections == 1


def test_connection_close_in_a_reply_opens_a_new_connection_next_time() -> None:
    closing = ACCEPTED.replace(
        b"content-length", b"Connection: keep-alive, close\r\ncontent-length"
    )
    # The server would keep each connection for another request: only the header closes it.
    with server(answer_with(closing, closing)) as state, link(state.url) as client:
        assert [client.post("/x", b"{}").status for _ in range(2)] == [202, 202]
    assert state.connections == 2


@pytest.mark.parametrize(
    ("connection", "connections"), [(b"", 2), (b"Connection: Keep-Alive\r\n", 1)]
)
def test_an_http_1_0_reply_keeps_the_connection_only_when_it_says_so(
    connection: bytes, connections: int
) -> None:
    reply = b"HTTP/1.0 202 Accepted\r\n" + connection + b"Content-Length: 2\r\n\r\n{}"
    with server(answer_with(reply, reply)) as state, link(state.url) as client:
        assert [client.post("/x", b"{}").body for _ in range(2)] == [b"{}", b"{}"]
    assert state.connections == connections


def test_a_connection_idle_for_two_seconds_is_replaced_before_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wire, "_IDLE_S", 0.1)  # uvicorn closes idle ones after 5 s
    with server(answer_with(ACCEPTED, ACCEPTED)) as state, link(state.url) as client:
        assert client.post("/x", b"1").status == 202
        time.sleep(0.2)
        assert client.post("/x", b"2").status == 202
    assert state.connections == 2
    assert [r[-1:] for r in state.requests] == [b"1", b"2"]


def test_a_connection_the_server_closed_fails_the_request_once_and_is_replaced() -> None:
    # Each connection answers one request and closes: the request after it is not sent
    # again behind the caller's back (the caller resends it with the same event_id).
    with server(answer_with(ACCEPTED, then_close=True)) as state, link(state.url) as client:
        assert client.post("/x", b"1").status == 202
        time.sleep(0.1)  # the server has closed its end
        with pytest.raises(WireError, match=r"without a reply|Reset|Broken"):
            client.post("/x", b"2")
        assert client.post("/x", b"3").status == 202
    assert state.connections == 2
    assert [r[-1:] for r in state.requests] == [b"1", b"3"]


def test_a_new_connection_closed_without_a_reply_is_an_error() -> None:
    def hang_up(conn: socket.socket, state: Server, _: int) -> None:
        read_request(conn, state)

    with server(hang_up) as state, pytest.raises(WireError, match="without a reply"):
        link(state.url).post("/x", b"{}")
    assert state.connections == 1


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "chunked"),
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", "Content-Length"),
        (b"SMTP 220 ready\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}junk", "bytes after"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}", "middle of a reply"),
    ],
)
def test_replies_it_does_not_understand_are_errors(reply: bytes, reason: str) -> None:
    with (
        server(answer_with(reply, then_close=True, piece=len(reply))) as state,
        pytest.raises(WireError, match=reason),
    ):
        link(state.url).post("/x", b"{}")


def test_a_silent_server_times_out_and_the_next_request_reconnects() -> None:
    def silent_then_answer(conn: socket.socket, state: Server, number: int) -> None:
        if number == 1:
            read_request(conn, state)
            conn.recv(1)  # wait for the client to give up
            return
        answer_with(ACCEPTED)(conn, state, number)

    with server(silent_then_answer) as state, link(state.url, read_timeout_s=0.2) as client:
        with pytest.raises(WireError, match="timed out"):
            client.post("/x", b"{}")
        assert client.post("/x", b"{}").status == 202
    assert state.connections == 2


def test_a_refused_connection_is_an_error() -> None:
    spare = socket.create_server(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()
    with pytest.raises(WireError, match="ConnectionRefused"):
        link(f"http://127.0.0.1:{port}").post("/x", b"{}")


def test_header_lines_refuse_line_breaks_and_links_refuse_other_schemes() -> None:
    assert header_lines({"A": "1", "B": "two"}) == b"A: 1\r\nB: two\r\n"
    with pytest.raises(ValueError, match="line breaks"):
        header_lines({"X": "1\r\nInjected: yes"})
    with pytest.raises(ValueError, match="http://"):
        link("https://127.0.0.1:443")
