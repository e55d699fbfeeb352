"""The witness process (farechain.witness) against a small log served over a real socket.

``_Log`` is an in-memory tree built with ledger/ functions; ``_serve`` puts it behind
http.server on 127.0.0.1 with the three endpoints of the log's API, so the witness's
urllib client, timeouts and status handling run for real.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from farechain.witness import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_STATE,
    LogClient,
    LogClientError,
    load_state,
    run_witness,
)
from ledger import tree
from ledger._encoding import b64encode
from ledger.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from ledger.cosignature import open_cosignature
from ledger.keys import KeyType, Signer, Verifier
from ledger.merkle import leaf_hash
from ledger.note import parse_note, parse_signature_line

ORIGIN = "farechain.example/ledger"
WITNESS_NAME = "tax.example/witness"
LOG_SIGNER = Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32))
WITNESS = Signer(
    WITNESS_NAME, Ed25519PrivateKey.from_private_bytes(bytes([20]) * 32), KeyType.COSIGNATURE_V1
)


@dataclass
class _Log:
    """A log's tree, its checkpoints and the cosignatures it accepted."""

    witness: Verifier
    tag: str = "record"
    size: int = 0
    frontier: tuple[bytes, ...] = ()
    nodes: dict[tree.NodeAddr, bytes] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    cosignatures: dict[int, str] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)
    serve_size: int | None = None  # serve an older checkpoint than the newest
    reject_posts: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def grow(self, count: int) -> None:
        with self.lock:
            leaves = [leaf_hash(f"{self.tag} {self.size + i}".encode()) for i in range(count)]
            result = tree.append(self.frontier, self.size, leaves)
            self.nodes.update(result.nodes)
            self.size, self.frontier = result.size, result.frontier
            checkpoint = Checkpoint(ORIGIN, result.size, result.root)
            self.notes[result.size] = sign_checkpoint(checkpoint, [LOG_SIGNER])

    def rewrite(self, keep: int, total: int) -> None:
        """Replace history: the first ``keep`` records stay, the rest differ."""
        fresh = _Log(self.witness, tag=self.tag)
        fresh.grow(keep)
        fresh.tag = "rewritten"
        fresh.grow(total - keep)
        with self.lock:
            self.size, self.frontier, self.nodes = fresh.size, fresh.frontier, fresh.nodes
            self.notes, self.cosignatures = fresh.notes, {}

    def checkpoint(self) -> str | None:
        size = self.serve_size or self.size
        if size == 0:
            return None
        return self.notes[size] + self.cosignatures.get(size, "")

    def proof(self, first: int, second: int) -> dict[str, Any]:
        hashes = tree.consistency_proof(first, second, self.nodes)
        return {"first": first, "second": second, "proof": [b64encode(h) for h in hashes]}

    def accept(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.posts.append(body)
        note = self.notes.get(body["tree_size"])
        if note is None:
            return 404, {"detail": f"no checkpoint of size {body['tree_size']}"}
        sig = parse_signature_line(body["signature_line"])
        if self.reject_posts or (sig.name, sig.key_id) != (self.witness.name, self.witness.key_id):
            return 422, {"detail": f"witness {sig.name} is not trusted"}
        open_cosignature(parse_note(note).text, sig.signature, self.witness)
        self.cosignatures[body["tree_size"]] = body["signature_line"]
        return 201, {}


def _handler(log: _Log) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            with log.lock:
                if url.path == "/v1/ledger/checkpoint":
                    note = log.checkpoint()
                    if note is None:
                        self._send(404, "application/problem+json", b'{"detail": "empty"}')
                    else:
                        self._send(200, "text/plain; charset=utf-8", note.encode())
                elif url.path == "/v1/ledger/proofs/consistency":
                    query = {k: int(v[0]) for k, v in parse_qs(url.query).items()}
                    body = log.proof(query["first"], query["second"])
                    self._send(200, "application/json", json.dumps(body).encode())
                else:
                    self._send(404, "application/problem+json", b"{}")

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            assert self.headers["Content-Type"] == "application/json"
            with log.lock:
                status, answer = log.accept(body)
            self._send(status, "application/problem+json", json.dumps(answer).encode())

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output readable

    return Handler


@pytest.fixture
def log() -> _Log:
    return _Log(WITNESS.verifier)


@pytest.fixture
def base_url(log: _Log) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(log))
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def _once(base_url: str, state: Path) -> int:
    return run_witness(
        base_url, WITNESS, [LOG_SIGNER.verifier], state, once=True, interval_s=0, timeout_s=5
    )


def _verified_cosigners(log: _Log) -> list[str | None]:
    note = log.checkpoint()
    assert note is not None
    verified = verify_checkpoint(note, [LOG_SIGNER.verifier], [WITNESS.verifier], quorum=1)
    return [sig.name for sig in verified.cosignatures]


def test_first_run_trusts_on_first_use_and_posts_a_cosignature_that_verifies(
    log: _Log, base_url: str, tmp_path: Path
) -> None:
    log.grow(5)
    state_path = tmp_path / "witness.json"
    before = int(time.time())
    assert _once(base_url, state_path) == EXIT_OK
    assert [post["tree_size"] for post in log.posts] == [5]
    assert _verified_cosigners(log) == [WITNESS_NAME]
    state = load_state(state_path)
    assert state is not None
    assert (state.origin, state.size) == (ORIGIN, 5)
    assert state.root == Checkpoint.parse(parse_note(log.notes[5]).text).root
    assert before <= state.timestamp <= int(time.time())


def test_each_round_cosigns_growth_and_skips_what_it_already_cosigned(
    log: _Log, base_url: str, tmp_path: Path
) -> None:
    state_path = tmp_path / "witness.json"
    for grow in (3, 5, 1, 0, 24):
        if grow:  # 0: a round with nothing new
            log.grow(grow)
        assert _once(base_url, state_path) == EXIT_OK
    assert [post["tree_size"] for post in log.posts] == [3, 8, 9, 33]
    assert _verified_cosigners(log) == [WITNESS_NAME]
    state = load_state(state_path)
    assert state is not None
    assert (state.size, state.root) == (33, Checkpoint.parse(parse_note(log.notes[33]).text).root)


def test_a_log_that_rewrites_history_is_refused_and_nothing_is_posted(
    log: _Log, base_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state_path = tmp_path / "witness.json"
    log.grow(10)
    assert _once(base_url, state_path) == EXIT_OK
    saved = state_path.read_text()
    log.rewrite(keep=6, total=14)
    posts = len(log.posts)
    with caplog.at_level(logging.INFO, logger="farechain.witness"):
        assert _once(base_url, state_path) == EXIT_REFUSED
    assert len(log.posts) == posts
    assert state_path.read_text() == saved
    critical = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
    assert any(
        "REFUSED (inconsistent)" in m and "served size 14" in m and "cosigned size 10" in m
        for m in critical
    ), critical
    evidence = list((tmp_path / "witness.json.refused").iterdir())
    assert len(evidence) == 1 and evidence[0].name.startswith("inconsistent-")
    assert evidence[0].read_text() == log.checkpoint()  # the log's signed contradiction


def test_a_fork_at_the_same_size_and_a_rollback_are_refused(
    log: _Log, base_url: str, tmp_path: Path
) -> None:
    state_path = tmp_path / "witness.json"
    log.grow(4)
    log.grow(4)
    assert _once(base_url, state_path) == EXIT_OK
    log.serve_size = 4
    assert _once(base_url, state_path) == EXIT_REFUSED  # rollback to size 4
    log.serve_size = None
    log.rewrite(keep=2, total=8)
    assert _once(base_url, state_path) == EXIT_REFUSED  # another size-8 tree
    assert [post["tree_size"] for post in log.posts] == [8]
    kinds = sorted(p.name.split("-")[0] for p in (tmp_path / "witness.json.refused").iterdir())
    assert kinds == ["fork", "rollback"]


def test_a_checkpoint_signed_by_another_key_is_refused(
    log: _Log, base_url: str, tmp_path: Path
) -> None:
    log.grow(3)
    impostor = Signer.generate(ORIGIN)
    log.notes[3] = sign_checkpoint(Checkpoint.parse(parse_note(log.notes[3]).text), [impostor])
    assert _once(base_url, tmp_path / "witness.json") == EXIT_REFUSED
    assert log.posts == []
    assert not (tmp_path / "witness.json").exists()


def test_a_rejected_cosignature_is_posted_again_next_round(
    log: _Log, base_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state_path = tmp_path / "witness.json"
    log.grow(6)
    log.reject_posts = True
    with caplog.at_level(logging.ERROR, logger="farechain.witness"):
        assert _once(base_url, state_path) == EXIT_ERROR
    assert "expected HTTP 201, got 422: witness tax.example/witness is not trusted" in caplog.text
    # The state was saved before posting: a cosignature that may have left is remembered.
    state = load_state(state_path)
    assert state is not None and state.size == 6
    log.reject_posts = False
    assert _once(base_url, state_path) == EXIT_OK
    assert [post["tree_size"] for post in log.posts] == [6, 6]
    assert _verified_cosigners(log) == [WITNESS_NAME]


def test_an_empty_log_is_nothing_to_witness(log: _Log, base_url: str, tmp_path: Path) -> None:
    assert _once(base_url, tmp_path / "witness.json") == EXIT_OK
    assert log.posts == []
    assert not (tmp_path / "witness.json").exists()


def test_an_unreachable_log_fails_the_one_shot_quickly(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    assert _once(f"http://127.0.0.1:{port}", tmp_path / "witness.json") == EXIT_ERROR
    assert time.monotonic() - started < 5


def test_a_log_that_never_answers_times_out(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()  # accepts connections, never replies
        client = LogClient(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout_s=0.3)
        started = time.monotonic()
        with pytest.raises(LogClientError, match="timed out"):
            client.checkpoint()
        assert time.monotonic() - started < 3


def test_a_damaged_state_file_stops_the_witness(log: _Log, base_url: str, tmp_path: Path) -> None:
    log.grow(3)
    state_path = tmp_path / "witness.json"
    state_path.write_text('{"origin": "x"')
    assert _once(base_url, state_path) == EXIT_STATE
    assert log.posts == []
    assert state_path.read_text() == '{"origin": "x"'  # never silently reset


def test_the_loop_keeps_cosigning_then_keeps_refusing_a_fork_until_stopped(
    log: _Log, base_url: str, tmp_path: Path
) -> None:
    state_path = tmp_path / "witness.json"
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            run_witness(
                base_url,
                WITNESS,
                [LOG_SIGNER.verifier],
                state_path,
                once=False,
                interval_s=0.02,
                stop=stop,
                timeout_s=5,
            )
        ),
        daemon=True,
    )
    log.grow(2)
    thread.start()
    try:
        _wait_for(lambda: _cosigned_size(state_path) == 2)
        log.grow(7)
        _wait_for(lambda: _cosigned_size(state_path) == 9)
        log.rewrite(keep=1, total=12)
        _wait_for(lambda: (tmp_path / "witness.json.refused").exists())
        time.sleep(0.1)  # several more rounds against the rewritten log
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=5)
    assert result == [EXIT_REFUSED]
    assert [post["tree_size"] for post in log.posts] == [2, 9]
    assert _cosigned_size(state_path) == 9


def _cosigned_size(path: Path) -> int | None:
    state = load_state(path)
    return None if state is None else state.size


def _wait_for(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
