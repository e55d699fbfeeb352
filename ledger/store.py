"""The ledger in the database: appending blocks and reading proofs.

Appending takes the single `ledger_head` row first, so concurrent writers queue up
behind it (PostgreSQL row lock, SQLite write lock) and can never append at the same
tree size. The writer keeps the tree's right edge (the frontier) in memory between
blocks and reloads it from the store whenever the head moved without it.

`merkle_nodes` keeps the perfect subtrees of level `STORED_FROM_LEVEL` (4) and up. The
four levels below are 15/16 of all nodes, and each of them is the hash of at most 8
leaves whose hashes `ledger_records` keeps anyway (its primary key is `idx`): a proof
reads those leaf hashes, a handful per 16-leaf span it touches, and rehashes them. So
a proof is two indexed reads (stored nodes, leaf hashes) and a block writes 1/8 of a
node row per record instead of 2.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger import merkle, records, tree
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.commitment import Opening
from ledger.keys import Signer
from ledger.models import Block, Cosignature, LedgerHead, LedgerOpening, LedgerRecord, MerkleNode
from ledger.note import add_signatures, parse_signature_line
from ledger.receipt import format_receipt
from storage.bulk import insert_tuples, stream_rows
from storage.types import core_table

GENESIS_HASH = bytes(32)
STORED_FROM_LEVEL = 4


def utc_text(moment: datetime) -> str:
    """RFC 3339 in UTC; a naive time (SQLite hands those back) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class SealedBlock:
    height: int
    first_index: int
    tree_size: int
    root: bytes
    block_hash: bytes
    checkpoint: str


def block_hash(
    *,
    height: int,
    first_index: int,
    tree_size: int,
    root: bytes,
    prev_hash: bytes,
    created_at: datetime,
    checkpoint_text: str,
) -> bytes:
    """The block header's hash: it links each block to the one before."""
    header = records.encode_record(
        {
            "type": "block",
            "v": 1,
            "height": height,
            "first_index": first_index,
            "tree_size": tree_size,
            "root": root.hex(),
            "prev": prev_hash.hex(),
            "time": utc_text(created_at),
            "checkpoint": checkpoint_text,
        }
    )
    return hashlib.sha256(header).digest()


class BlockAppender:
    """The records of a block being written: `add` streams one and names its place."""

    def __init__(self, first: int, height: int, write: Callable[[Sequence[Any]], None]) -> None:
        self.first = first
        self.height = height
        self.leaves: list[bytes] = []
        self.openings: list[tuple[int, str, bytes, bytes]] = []
        self.sealed: SealedBlock  # set when the block's `with` exits
        self._write = write

    def add(self, kind: str, body: bytes, opening: Opening | None = None) -> tuple[int, bytes]:
        """Append one record's canonical bytes (and the opening of its personal fields,
        kept in the private table); returns its index and leaf hash."""
        index, leaf = self.first + len(self.leaves), merkle.leaf_hash(body)
        self._write((index, kind, body, leaf, self.height))
        self.leaves.append(leaf)
        if opening is not None:
            self.openings.append((index, opening.subject, opening.salt, opening.personal))
        return index, leaf


class LedgerWriter:
    """Appends blocks of records; one instance per writing process."""

    def __init__(self, *, origin: str, signers: Sequence[Signer]) -> None:
        self.origin = origin
        self.signers = list(signers)
        self._size = -1
        self._head_hash = b""
        self._frontier: list[bytes] = []

    def lock_head(self, session: Session) -> LedgerHead:
        """Take the writer's lock for this transaction and return the head."""
        session.execute(update(LedgerHead).where(col(LedgerHead.id) == 1).values(id=1))
        head = session.get(LedgerHead, 1, populate_existing=True)
        if head is None:
            head = LedgerHead(id=1, tree_size=0, height=-1, block_hash=GENESIS_HASH)
            session.add(head)
            session.flush()
        return head

    def append_block(
        self,
        session: Session,
        head: LedgerHead,
        bodies: Sequence[tuple[str, bytes] | tuple[str, bytes, Opening | None]],
        now: datetime,
    ) -> SealedBlock:
        """Append (type, canonical bytes[, opening]) records as one signed block (a
        `ledger.commitment.CommittedRecord` is such a triple); no commit."""
        with self.open_block(session, head, now) as block:
            for entry in bodies:
                block.add(entry[0], entry[1], entry[2] if len(entry) > 2 else None)
        return block.sealed

    @contextmanager
    def open_block(
        self, session: Session, head: LedgerHead, now: datetime
    ) -> Iterator[BlockAppender]:
        """A block to add records to one by one; sealed and signed when the `with` exits.

        The records stream to the database as they are added (`storage.bulk.stream_rows`),
        so the session runs no statement inside the `with`. Read `sealed` after it.
        """
        if (self._size, self._head_hash) != (head.tree_size, head.block_hash):
            self._frontier = load_frontier(session, head.tree_size)
            self._size, self._head_hash = head.tree_size, head.block_hash
        first, height = head.tree_size, head.height + 1
        columns = ("idx", "type", "body", "leaf_hash", "block_height")
        with stream_rows(session, core_table(LedgerRecord), columns) as write:
            block = BlockAppender(first, height, write)
            yield block
        if block.openings:
            # After the records' stream has ended: a connection runs one COPY at a time.
            insert_tuples(
                session,
                core_table(LedgerOpening),
                ("idx", "subject", "salt", "personal"),
                block.openings,
            )
        block.sealed = self._seal(session, head, block, now)

    def _seal(
        self, session: Session, head: LedgerHead, block: BlockAppender, now: datetime
    ) -> SealedBlock:
        if not block.leaves:
            raise ValueError("a block needs at least one record")
        first, height = block.first, block.height
        result = tree.append(self._frontier, first, block.leaves, min_level=STORED_FROM_LEVEL)
        size = result.size
        signed = sign_checkpoint(Checkpoint(self.origin, size, result.root), self.signers)
        this_hash = block_hash(
            height=height,
            first_index=first,
            tree_size=size,
            root=result.root,
            prev_hash=head.block_hash,
            created_at=now,
            checkpoint_text=signed,
        )
        insert_tuples(
            session,
            core_table(MerkleNode),
            ("level", "idx", "hash"),
            [(a.level, a.index, h) for a, h in result.nodes],
        )
        session.execute(
            insert(Block).values(
                height=height,
                first_index=first,
                tree_size=size,
                root=result.root,
                prev_hash=head.block_hash,
                block_hash=this_hash,
                created_at=now,
                checkpoint=signed,
            )
        )
        head.tree_size, head.height, head.block_hash = size, height, this_hash
        session.flush()
        # The new frontier is only true once the transaction commits; a rollback shows
        # up as a head size that differs from ours, and the frontier is reloaded.
        self._frontier, self._size = list(result.frontier), size
        self._head_hash = this_hash
        return SealedBlock(height, first, size, result.root, this_hash, signed)

    def forget(self) -> None:
        """Call after a rollback: the next block reloads the frontier."""
        self._size = -1


def load_frontier(session: Session, size: int) -> list[bytes]:
    addresses = tree.frontier_addresses(size)
    nodes = fetch_nodes(session, addresses)
    return [nodes[a] for a in addresses]


def fetch_nodes(
    session: Session, addresses: Iterable[tree.NodeAddr], *, require_all: bool = True
) -> dict[tree.NodeAddr, bytes]:
    """Every perfect-subtree hash a proof needs: stored nodes, and low ones from leaves."""
    wanted = list(dict.fromkeys(addresses))
    stored = [a for a in wanted if a.level >= STORED_FROM_LEVEL]
    found = _stored_nodes(session, stored) if stored else {}
    low = [a for a in wanted if a.level < STORED_FROM_LEVEL]
    if low:
        found.update(_nodes_from_leaves(session, low))
    missing = [a for a in wanted if a not in found]
    if missing and require_all:
        raise LookupError(f"merkle nodes missing from the store: {missing[:3]}")
    return found


def _stored_nodes(session: Session, addresses: list[tree.NodeAddr]) -> dict[tree.NodeAddr, bytes]:
    by_level: dict[int, list[int]] = defaultdict(list)
    for address in addresses:
        by_level[address.level].append(address.index)
    # One disjunct per level, not a row-value IN: SQLite plans the latter as a full scan.
    rows = session.execute(
        select(col(MerkleNode.level), col(MerkleNode.idx), col(MerkleNode.hash)).where(
            or_(
                *(
                    and_(col(MerkleNode.level) == level, col(MerkleNode.idx).in_(indices))
                    for level, indices in by_level.items()
                )
            )
        )
    )
    return {tree.NodeAddr(level, idx): h for level, idx, h in rows}


def _nodes_from_leaves(
    session: Session, addresses: list[tree.NodeAddr]
) -> dict[tree.NodeAddr, bytes]:
    """Subtrees below the stored levels, hashed from their leaves' stored hashes."""
    spans = {a: range(a.index << a.level, (a.index + 1) << a.level) for a in addresses}
    indices = sorted({i for span in spans.values() for i in span})
    rows = session.execute(
        select(col(LedgerRecord.idx), col(LedgerRecord.leaf_hash)).where(
            col(LedgerRecord.idx).in_(indices)
        )
    )
    leaves = {idx: leaf for idx, leaf in rows}
    return {
        address: merkle.root_of([leaves[i] for i in span])
        for address, span in spans.items()
        if all(i in leaves for i in span)
    }


def latest_block(session: Session) -> Block | None:
    return session.scalars(select(Block).order_by(col(Block.height).desc()).limit(1)).first()


def block_at_size(session: Session, tree_size: int) -> Block | None:
    return session.scalars(select(Block).where(col(Block.tree_size) == tree_size)).first()


def cosignature_lines(session: Session, tree_size: int) -> list[str]:
    rows = session.scalars(
        select(col(Cosignature.signature_line))
        .where(col(Cosignature.tree_size) == tree_size)
        .order_by(col(Cosignature.witness))
    )
    return list(rows)


def record_at(session: Session, index: int) -> LedgerRecord | None:
    return session.get(LedgerRecord, index)


def index_of_leaf(session: Session, leaf: bytes) -> int | None:
    return session.scalar(
        select(col(LedgerRecord.idx)).where(col(LedgerRecord.leaf_hash) == leaf).limit(1)
    )


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    """RFC 6962 audit path of leaf `index` in the tree of `size` leaves: two reads."""
    nodes = fetch_nodes(session, tree.inclusion_plan(index, size))
    return tree.inclusion_proof(index, size, nodes)


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    nodes = fetch_nodes(session, tree.consistency_plan(first, second))
    return tree.consistency_proof(first, second, nodes)


def checkpoint_with_cosignatures(session: Session, block: Block) -> str:
    """The block's signed checkpoint with every witness cosignature collected for it."""
    lines = cosignature_lines(session, block.tree_size)
    return add_signatures(block.checkpoint, [parse_signature_line(line) for line in lines])


def receipt_for(
    session: Session, index: int, block: Block | None = None, *, with_opening: bool = False
) -> str:
    """A tlog-proof@v1 receipt for record `index` against `block` (default: the latest).

    `with_opening`: the receipt also carries the opening of the record's personal fields
    (when the store still has it), so its owner can prove them; only for the owner."""
    block = block or latest_block(session)
    record = record_at(session, index)
    if block is None or record is None or index >= block.tree_size:
        raise LookupError(f"record {index} is not in a sealed block")
    opening = session.get(LedgerOpening, index) if with_opening else None
    return format_receipt(
        record=record.body,
        opening=None if opening is None else opening.salt + opening.personal,
        index=index,
        proof=inclusion_proof(session, index, block.tree_size),
        checkpoint=checkpoint_with_cosignatures(session, block),
    )
