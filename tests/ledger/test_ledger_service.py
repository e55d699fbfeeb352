"""The ledger in the database: proofs from the API, receipts verified offline in a
separate process, witness cosignatures, key rotation, and an audit that catches every
rewrite of history."""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.settings import Settings
from ledger import keyfiles, merkle, records
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import cosign
from ledger.keys import KeyType, Signer
from ledger.models import Block, LedgerHead, LedgerRecord, MerkleNode
from ledger.note import NoteSignature, parse_note
from ledger.store import STORED_FROM_LEVEL
from tests.builders import (
    make_batcher,
    post_trips,
    rider_headers,
    run_audit,
    run_audit_in,
)
from trips.models import Trip

WITNESS = "tax.example/witness"


@pytest.fixture(autouse=True)
def witness(var_dir: Path) -> Signer:
    """A trusted witness, listed before the app starts (autouse fixtures run first)."""
    signer = Signer.generate(WITNESS, KeyType.COSIGNATURE_V1)
    path = var_dir / "keys" / "witnesses.pub"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(signer.verifier.vkey + "\n")
    return signer


def _sealed(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
    trips: int = 6,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, trips)
    make_batcher(engine, redis_client, settings, block_max_events=4).drain()


def _cosign_latest(client: TestClient, witness: Signer) -> None:
    note = client.get("/v1/ledger/checkpoint").text
    size = int(note.split("\n")[1])
    signature = cosign(parse_note(note).text, witness, int(time.time()))
    line = NoteSignature(witness.name, witness.key_id, signature).line
    answer = client.post(
        "/v1/ledger/cosignatures", json={"tree_size": size, "signature_line": line}
    )
    assert answer.status_code == 201, answer.text


def _verify_offline(tmp_path: Path, receipt: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`farechain verify-receipt` in a process that has no database or Redis to reach."""
    path = tmp_path / "receipt.tlog-proof"
    path.write_text(receipt)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-m", "farechain.cli", "verify-receipt", str(path), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def _trip_receipt(client: TestClient, creds: dict[str, Any], engine: Engine) -> str:
    with Session(engine) as session:
        trip = session.scalars(select(Trip).order_by(col(Trip.record_index))).first()
    assert trip is not None
    answer = client.get(
        f"/v1/me/trips/{trip.event_id}/receipt", headers=rider_headers(creds, trip.rider_id)
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_receipt_verifies_offline_and_every_forgery_fails(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
    witness: Signer,
    tmp_path: Path,
) -> None:
    client, creds, settings = system
    _sealed(system, engine, redis_client)
    log_key = client.get("/v1/ledger/key").text.split()[-1]
    receipt = _trip_receipt(client, creds, engine)
    ok = _verify_offline(tmp_path, receipt, "--log-key", log_key)
    assert ok.returncode == 0 and "valid: trip record" in ok.stdout, ok.stderr
    assert "personal fields opened and match the commitment: rider r" in ok.stdout

    # Someone else's rider id in the opening: the commitment does not match.
    lines = receipt.split("\n")
    opening = base64.b64decode(lines[2].removeprefix("opening "))
    swapped = opening.replace(b'"rider":"r', b'"rider":"x', 1)
    assert swapped != opening
    changed = "\n".join([*lines[:2], "opening " + base64.b64encode(swapped).decode(), *lines[3:]])
    other = _verify_offline(tmp_path, changed, "--log-key", log_key)
    assert other.returncode == 1 and "opening: " in other.stderr, other.stderr

    # Too few cosignatures, until the witness cosigns.
    quorum = ["--log-key", log_key, "--witness-key", witness.verifier.vkey, "--quorum", "1"]
    few = _verify_offline(tmp_path, receipt, *quorum)
    assert few.returncode == 1 and "cosignature" in few.stderr
    _cosign_latest(client, witness)
    cosigned = _trip_receipt(client, creds, engine)
    assert _verify_offline(tmp_path, cosigned, *quorum).returncode == 0
    time.sleep(1.1)
    stale = _verify_offline(tmp_path, cosigned, *quorum, "--max-age-s", "1")
    assert stale.returncode == 1 and "stale" in stale.stderr

    # A tampered amount: the record no longer hashes to the proven leaf.
    lines = receipt.split("\n")
    record = json.loads(base64.b64decode(lines[1].removeprefix("extra ")))
    record["quote"]["amount_fen"] += 1
    forged_record = base64.b64encode(records.encode_record(record)).decode()
    tampered = "\n".join([lines[0], f"extra {forged_record}", *lines[2:]])
    bad = _verify_offline(tmp_path, tampered, "--log-key", log_key)
    assert bad.returncode == 1 and "inclusion proof" in bad.stderr

    # A forged checkpoint: right origin, wrong key.
    head, _, note = receipt.partition("\n\n")
    parsed = Checkpoint.parse(parse_note(note).text)
    impostor = Signer.generate(settings.ledger.origin)
    forged = head + "\n\n" + sign_checkpoint(parsed, [impostor])
    bad = _verify_offline(tmp_path, forged, "--log-key", log_key)
    assert bad.returncode == 1 and "checkpoint" in bad.stderr

    # An older checkpoint that does not hold the record, or holds it at another root.
    first_size = client.get("/v1/ledger/blocks").json()[-1]["tree_size"]
    older = client.get(f"/v1/ledger/checkpoints/{first_size}").text
    bad = _verify_offline(tmp_path, head + "\n\n" + older, "--log-key", log_key)
    assert bad.returncode == 1 and "inclusion proof" in bad.stderr


def test_proofs_from_the_api_verify_against_the_checkpoints(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, _, _ = system
    _sealed(system, engine, redis_client, trips=9)
    blocks = client.get("/v1/ledger/blocks").json()
    sizes = sorted(b["tree_size"] for b in blocks)
    roots = {b["tree_size"]: bytes.fromhex(b["root_hex"]) for b in blocks}
    for size in sizes:
        for index in range(0, size, 5):
            proof = client.get(f"/v1/ledger/proofs/inclusion?index={index}&tree_size={size}").json()
            leaf = base64.b64decode(proof["leaf_hash"])
            path = [base64.b64decode(h) for h in proof["proof"]]
            merkle.verify_inclusion(leaf, index, size, path, roots[size])
    for first in sizes:
        for second in sizes:
            if first <= second:
                answer = client.get(f"/v1/ledger/proofs/consistency?first={first}&second={second}")
                path = [base64.b64decode(h) for h in answer.json()["proof"]]
                merkle.verify_consistency(first, second, path, roots[first], roots[second])
    record = client.get("/v1/ledger/records/3").json()
    by_hash = client.get(f"/v1/ledger/proofs/inclusion?leaf_hash={record['leaf_hash_hex']}").json()
    assert by_hash["index"] == 3
    assert client.get("/v1/ledger/proofs/inclusion?index=999").status_code == 422
    assert client.get("/v1/ledger/proofs/consistency?first=0&second=3").status_code == 422
    assert client.get("/v1/ledger/checkpoints/2").status_code == 404


def test_a_cosignature_from_an_unknown_witness_is_refused(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, _, settings = system
    _sealed(system, engine, redis_client, trips=2)
    stranger = Signer.generate("stranger.example/witness", KeyType.COSIGNATURE_V1)
    note = client.get("/v1/ledger/checkpoint").text
    line = NoteSignature(
        stranger.name, stranger.key_id, cosign(parse_note(note).text, stranger, int(time.time()))
    ).line
    answer = client.post("/v1/ledger/cosignatures", json={"tree_size": 6, "signature_line": line})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert run_audit(engine, settings) is None


def test_key_rotation_keeps_old_receipts_valid(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
    tmp_path: Path,
) -> None:
    client, creds, settings = system
    path, origin = settings.ledger_key_path, settings.ledger.origin
    old_key = keyfiles.load_verifier_keys(settings.ledger_public_keys_path)[0]
    _sealed(system, engine, redis_client, trips=2)
    first_receipt = _trip_receipt(client, creds, engine)
    keyfiles.start_rotation(path, origin)
    post_trips(client, creds, 2, seed=8)
    make_batcher(engine, redis_client, settings).drain()
    overlap = client.get("/v1/ledger/checkpoint").text
    assert overlap.count("\u2014 " + origin) == 2  # both keys sign during the overlap
    keyfiles.finish_rotation(path, origin)
    post_trips(client, creds, 2, seed=9)
    make_batcher(engine, redis_client, settings).drain()
    assert client.get("/v1/ledger/checkpoint").text.count("\u2014 " + origin) == 1
    assert _verify_offline(tmp_path, first_receipt, "--log-key", old_key).returncode == 0
    assert run_audit(engine, settings) is None


def _flip(data: bytes, rng: random.Random) -> bytes:
    position = rng.randrange(len(data))
    return (
        data[:position] + bytes([data[position] ^ (1 << rng.randrange(8))]) + data[position + 1 :]
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_audit_catches_every_rewrite_of_history(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
    seed: int,
) -> None:
    _, _, settings = system
    _sealed(system, engine, redis_client, trips=8)
    assert run_audit(engine, settings) is None
    rng = random.Random(seed)
    with Session(engine) as session:
        size = session.scalar(select(Block.tree_size).order_by(col(Block.height).desc()))
        assert size is not None
        target = rng.randrange(size)
        record = session.get(LedgerRecord, target)
        other = session.get(LedgerRecord, (target + 1) % size)
        assert record is not None and other is not None
        mutations = [
            update(LedgerRecord)
            .where(col(LedgerRecord.idx) == target)
            .values(body=_flip(record.body, rng)),
            update(LedgerRecord)
            .where(col(LedgerRecord.idx) == target)
            .values(leaf_hash=_flip(record.leaf_hash, rng)),
            # A node below the stored levels: nothing a proof reads, but not the log's.
            insert(MerkleNode).values(level=0, idx=target, hash=record.leaf_hash),
            update(MerkleNode)
            .where(col(MerkleNode.level) == STORED_FROM_LEVEL, col(MerkleNode.idx) == 0)
            .values(hash=bytes(32)),
            update(Block)
            .where(col(Block.height) == 1)
            .values(
                checkpoint=select(Block.checkpoint).where(col(Block.height) == 0).scalar_subquery()
            ),
            delete(Block).where(col(Block.height) == 1),
            # Each record and trip row names its block; the head names the last one.
            update(LedgerRecord)
            .where(col(LedgerRecord.idx) == target)
            .values(block_height=col(LedgerRecord.block_height) + 1),
            update(Trip).values(block_height=col(Trip.block_height) + 1),
            update(LedgerHead).values(height=col(LedgerHead.height) - 1),
        ]
        for statement in mutations:
            with session.begin_nested():
                session.execute(statement)
                problem = run_audit_in(session, settings)
                assert problem is not None, statement
                session.rollback()
            assert run_audit_in(session, settings) is None
        # Two records swapped, with their hashes: the tree does not match the nodes.
        with session.begin_nested():
            session.execute(
                update(LedgerRecord)
                .where(col(LedgerRecord.idx) == target)
                .values(body=other.body, leaf_hash=other.leaf_hash)
            )
            session.execute(
                update(LedgerRecord)
                .where(col(LedgerRecord.idx) == other.idx)
                .values(body=record.body, leaf_hash=record.leaf_hash)
            )
            assert run_audit_in(session, settings) is not None
            session.rollback()
