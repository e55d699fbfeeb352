"""A rollback of whole blocks passes the log's own audit; the witnesses' memory catches it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger import records, store
from ledger.audit import audit_ledger
from ledger.keys import Signer
from ledger.models import Block, Cosignature, LedgerHead, LedgerRecord, MerkleNode
from ledger.witness import WitnessState
from ledger.witnessed import compare_with_witnesses

ORIGIN = "test.example/log"
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
SIGNER = Signer.generate(ORIGIN)


def _append(
    engine: Engine, writer: store.LedgerWriter, first: int, count: int, tag: str = "a"
) -> store.SealedBlock:
    body = [
        ("test", records.encode_record({"type": "test", "v": 1, "n": i, "tag": tag}))
        for i in range(first, first + count)
    ]
    with Session(engine) as session:
        head = writer.lock_head(session)
        block = writer.append_block(session, head, body, NOW)
        session.commit()
    return block


def remove_last_block(session: Session) -> None:
    """Every row of the newest block, removed together: what a careful rollback does."""
    last = session.scalars(select(Block).order_by(col(Block.height).desc())).first()
    assert last is not None
    previous = session.get(Block, last.height - 1)
    assert previous is not None
    session.execute(delete(LedgerRecord).where(col(LedgerRecord.idx) >= last.first_index))
    for node in session.scalars(select(MerkleNode)).all():
        if (node.idx + 1) << node.level > last.first_index:  # covers a removed leaf
            session.delete(node)
    session.execute(delete(Cosignature).where(col(Cosignature.tree_size) == last.tree_size))
    session.delete(last)
    head = session.get(LedgerHead, 1)
    assert head is not None
    head.tree_size, head.height, head.block_hash = (
        previous.tree_size,
        previous.height,
        previous.block_hash,
    )
    session.commit()


def _audit(session: Session) -> str | None:
    return audit_ledger(session, verifier_keys=[SIGNER.verifier.vkey], origin=ORIGIN).problem


def test_a_rollback_of_the_last_block_is_caught_by_the_witness_state(engine: Engine) -> None:
    writer = store.LedgerWriter(origin=ORIGIN, signers=[SIGNER])
    _append(engine, writer, 0, 20)
    last = _append(engine, writer, 20, 17)  # past a stored node level: nodes go too
    remembered = [("tax", WitnessState(ORIGIN, last.tree_size, last.root, 1))]
    with Session(engine) as session:
        assert _audit(session) is None
        assert compare_with_witnesses(session, remembered, origin=ORIGIN) is None
        remove_last_block(session)
        assert _audit(session) is None  # consistent in itself: the log cannot tell
        problem = compare_with_witnesses(session, remembered, origin=ORIGIN)
    assert problem is not None
    assert "size 37, the ledger holds 20 records: the ledger shrank" in problem
    # Another log's witness state says nothing about this one.
    other = [("other", WitnessState("other.example/log", 99, bytes(32), 1))]
    with Session(engine) as session:
        assert compare_with_witnesses(session, other, origin=ORIGIN) is None


def test_a_block_rewritten_at_the_same_size_is_a_fork(engine: Engine) -> None:
    writer = store.LedgerWriter(origin=ORIGIN, signers=[SIGNER])
    _append(engine, writer, 0, 5)
    last = _append(engine, writer, 5, 5)
    remembered = [("tax", WitnessState(ORIGIN, last.tree_size, last.root, 1))]
    with Session(engine) as session:
        remove_last_block(session)
    writer.forget()
    rewritten = _append(engine, writer, 5, 5, tag="b")
    assert rewritten.tree_size == last.tree_size and rewritten.root != last.root
    with Session(engine) as session:
        assert _audit(session) is None
        problem = compare_with_witnesses(session, remembered, origin=ORIGIN)
    assert problem is not None and "(a fork)" in problem and last.root.hex() in problem
    # A witness that cosigned at a size no block ends at any more: history rewritten too.
    with Session(engine) as session:
        gone = [("tax", WitnessState(ORIGIN, 7, last.root, 1))]
        assert "no block of the ledger ends there" in (
            compare_with_witnesses(session, gone, origin=ORIGIN) or ""
        )
