"""The ledger store on a real database: proofs read from stored nodes and leaf hashes.

`merkle_nodes` keeps levels 4 and up only; the lower levels come from the leaf hashes in
`ledger_records`. Every proof the store assembles must equal RFC 6962's recursive
definition (ledger.merkle's reference builders), at tree sizes on and off the 16-leaf
boundaries, and a writer that lost its memory must pick up the frontier from the store.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.orm import Session
from sqlmodel import select

from ledger import merkle, records, store
from ledger.keys import Signer
from ledger.models import MerkleNode
from ledger.tree import NodeAddr

ORIGIN = "test.example/log"
NOW = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)


def _body(i: int) -> bytes:
    return records.encode_record({"type": "test", "v": 1, "n": i})


def _append(engine: Engine, writer: store.LedgerWriter, indices: range) -> store.SealedBlock:
    with Session(engine) as session:
        head = writer.lock_head(session)
        block = writer.append_block(session, head, [("test", _body(i)) for i in indices], NOW)
        session.commit()
    return block


def test_proofs_equal_the_reference_at_every_size_around_the_stored_levels(
    engine: Engine,
) -> None:
    writer = store.LedgerWriter(origin=ORIGIN, signers=[Signer.generate(ORIGIN)])
    rng = random.Random(6962)
    sizes, size = [], 0
    while size < 70:
        count = rng.randint(1, 19)
        block = _append(engine, writer, range(size, size + count))
        size = block.tree_size
        sizes.append(size)
    leaves = [merkle.leaf_hash(_body(i)) for i in range(size)]
    with Session(engine) as session:
        for n in sizes:
            for index in range(n):
                assert store.inclusion_proof(session, index, n) == (
                    merkle.reference_inclusion_proof(leaves[:n], index)
                ), (index, n)
            for first in range(1, n):
                assert store.consistency_proof(session, first, n) == (
                    merkle.reference_consistency_proof(leaves[:n], first)
                ), (first, n)
        stored = session.scalar(select(func.count()).select_from(MerkleNode))
        levels = set(session.scalars(select(MerkleNode.level)))
    # Perfect subtrees of 16, 32 and 64 leaves in a tree of `size` leaves.
    assert stored == size // 16 + size // 32 + size // 64
    assert min(levels) == store.STORED_FROM_LEVEL


def test_a_writer_without_memory_reloads_the_frontier_from_leaves_and_nodes(
    engine: Engine,
) -> None:
    signer = Signer.generate(ORIGIN)
    _append(engine, store.LedgerWriter(origin=ORIGIN, signers=[signer]), range(37))
    # 37 = 32 + 4 + 1: one stored node and two subtrees rebuilt from leaf hashes.
    fresh = store.LedgerWriter(origin=ORIGIN, signers=[signer])
    block = _append(engine, fresh, range(37, 50))
    assert block.root == merkle.root_of([merkle.leaf_hash(_body(i)) for i in range(50)])


def test_a_missing_leaf_is_named_not_guessed(engine: Engine) -> None:
    writer = store.LedgerWriter(origin=ORIGIN, signers=[Signer.generate(ORIGIN)])
    _append(engine, writer, range(20))
    with Session(engine) as session:
        plan = [NodeAddr(2, 5), NodeAddr(4, 1)]  # leaves 20..23 and 16..31: not all there
        assert store.fetch_nodes(session, plan, require_all=False) == {}
        with pytest.raises(LookupError, match=r"NodeAddr\(level=2, index=5\)"):
            store.fetch_nodes(session, plan)


def test_after_a_failed_block_the_same_writer_appends_the_right_next_one(
    engine: Engine,
) -> None:
    writer = store.LedgerWriter(origin=ORIGIN, signers=[Signer.generate(ORIGIN)])
    _append(engine, writer, range(21))
    with Session(engine) as session:  # fails while its records stream
        with (
            pytest.raises(RuntimeError),
            writer.open_block(session, writer.lock_head(session), NOW) as failing,
        ):
            failing.add("test", _body(21))
            raise RuntimeError("the batcher failed mid-block")
        session.rollback()
    with Session(engine) as session:  # sealed, then rolled back: memory is ahead
        writer.append_block(session, writer.lock_head(session), [("test", b"{}")], NOW)
        session.rollback()
    block = _append(engine, writer, range(21, 40))
    assert block.root == merkle.root_of([merkle.leaf_hash(_body(i)) for i in range(40)])
