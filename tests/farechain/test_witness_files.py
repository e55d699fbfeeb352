"""The witness's key and state files, and the witness against the real app over a socket."""

from __future__ import annotations

import os
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from farechain.witness import (
    EXIT_OK,
    LogClient,
    load_or_create_witness_key,
    load_state,
    run_witness,
    save_state,
)
from ledger import keyfiles
from ledger.checkpoint import verify_checkpoint
from ledger.keys import KeyType, Signer, Verifier
from ledger.records import encode_record
from ledger.store import LedgerWriter
from ledger.witness import WitnessState
from tests.builders import make_settings
from tests.farechain.test_witness_process import LOG_SIGNER, ORIGIN, WITNESS_NAME, _wait_for


def test_the_witness_key_is_created_once_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "witness.key"
    signer = load_or_create_witness_key(path, WITNESS_NAME)
    assert signer.key_type is KeyType.COSIGNATURE_V1
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == signer.skey + "\n"
    again = load_or_create_witness_key(path, WITNESS_NAME)
    assert again.verifier == signer.verifier
    with pytest.raises(ValueError, match=r"expected a key named 'other\.example/w'"):
        load_or_create_witness_key(path, "other.example/w")


def test_a_log_key_is_not_accepted_as_a_witness_key(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    path.write_text(Signer.generate(WITNESS_NAME).skey + "\n")
    with pytest.raises(ValueError, match=r"expected a cosigner key \(type 0x04\)"):
        load_or_create_witness_key(path, WITNESS_NAME)
    with pytest.raises(ValueError, match=r"expected type 0x04"):
        run_witness(
            "http://127.0.0.1:1",
            Signer.generate(WITNESS_NAME),
            [LOG_SIGNER.verifier],
            tmp_path / "s.json",
            once=True,
            interval_s=0,
        )


def test_the_state_file_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "witness.json"
    first = WitnessState(ORIGIN, 3, bytes(32), 1)
    second = WitnessState(ORIGIN, 9, bytes(range(32)), 2)
    save_state(path, first)
    inode = os.stat(path).st_ino
    save_state(path, second)
    assert load_state(path) == second
    assert os.stat(path).st_ino != inode  # a new file renamed over the old one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["witness.json"]  # no temp left


def test_the_witness_cosigns_the_real_app_over_a_real_socket(
    engine: Engine, var_dir: Path, database_url: str, redis_url: str
) -> None:
    """End to end with farechain's own ledger API (uvicorn in a thread, not a stand-in)."""
    from farechain.app import create_app

    settings = make_settings(var_dir, database_url, redis_url)
    keyfiles.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
    log_keys = [
        Verifier.parse(k) for k in keyfiles.load_verifier_keys(settings.ledger_public_keys_path)
    ]
    witness = load_or_create_witness_key(var_dir / "keys" / "witness.key", WITNESS_NAME)
    settings.witness_keys_path.write_text(witness.verifier.vkey + "\n")
    writer = LedgerWriter(
        origin=settings.ledger.origin,
        signers=keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin),
    )

    def seal(count: int) -> None:
        with Session(engine) as session:
            head = writer.lock_head(session)
            bodies = [
                ("test", encode_record({"type": "test", "v": 1, "n": head.tree_size + i}))
                for i in range(count)
            ]
            writer.append_block(session, head, bodies, datetime.now(UTC))
            session.commit()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings), log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: server.started)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        state_path = var_dir / "witness.json"

        def once() -> int:
            return run_witness(
                base, witness, log_keys, state_path, once=True, interval_s=0, timeout_s=10
            )

        assert once() == EXIT_OK  # the empty log: nothing yet
        seal(3)
        assert once() == EXIT_OK
        seal(5)
        seal(2)
        assert once() == EXIT_OK
        assert once() == EXIT_OK  # up to date
        note = LogClient(base).checkpoint()
        assert note is not None
        verified = verify_checkpoint(note, log_keys, [witness.verifier], quorum=1)
        assert verified.checkpoint.size == 10
        state = load_state(state_path)
        assert state is not None and (state.size, state.root) == (10, verified.checkpoint.root)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
