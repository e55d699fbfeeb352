"""The ledger audit: recompute everything the database claims and name the first lie.

Block by block, in height order: every record's leaf hash from its bytes (and the bytes
must be canonical), every stored Merkle node the block added (proofs rehash the
levels below from the leaf hashes just checked), the root, the checkpoint's text
and its signature by a known log key, the block header's hash and its link to the
previous block. Then: no record, node or block beyond the last sealed one, and the head
row agrees. Memory is one block at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger import merkle, records, tree
from ledger.checkpoint import verify_checkpoint
from ledger.errors import LedgerError
from ledger.keys import Verifier
from ledger.models import Block, Cosignature, LedgerHead, LedgerRecord, MerkleNode
from ledger.note import add_signatures, open_note, parse_signature_line
from ledger.store import GENESIS_HASH, STORED_FROM_LEVEL, block_hash, fetch_nodes


@dataclass
class LedgerAudit:
    records: int = 0
    blocks: int = 0
    tree_size: int = 0
    root_hex: str = ""
    problem: str | None = None


def audit_ledger(
    session: Session, *, verifier_keys: Sequence[str], origin: str, witness_keys: Sequence[str] = ()
) -> LedgerAudit:
    verifiers = [Verifier.parse(k) for k in verifier_keys]
    witnesses = [Verifier.parse(k) for k in witness_keys]
    report = LedgerAudit()
    frontier: list[bytes] = []
    size, prev_hash, node_count = 0, GENESIS_HASH, 0
    for block in session.scalars(select(Block).order_by(col(Block.height))).yield_per(64):
        where = f"block {block.height}"
        if block.height != report.blocks:
            return _fail(report, f"{where}: expected height {report.blocks}")
        if block.first_index != size or block.tree_size <= size:
            return _fail(
                report,
                f"{where}: covers records [{block.first_index}, "
                f"{block.tree_size}), expected to start at {size}",
            )
        rows = session.execute(
            select(
                col(LedgerRecord.idx),
                col(LedgerRecord.body),
                col(LedgerRecord.leaf_hash),
                col(LedgerRecord.block_height),
            )
            .where(
                col(LedgerRecord.idx) >= block.first_index, col(LedgerRecord.idx) < block.tree_size
            )
            .order_by(col(LedgerRecord.idx))
        ).all()
        leaves = []
        for expected_idx, (idx, body, stored_leaf, height) in enumerate(
            rows, start=block.first_index
        ):
            if idx != expected_idx:
                return _fail(report, f"record {expected_idx} is missing ({where})")
            if height != block.height:
                return _fail(report, f"record {idx}: says block {height}, it is in {where}")
            try:
                records.decode_record(body)
            except ValueError as error:
                return _fail(report, f"record {idx}: not a canonical record: {error}")
            leaf = merkle.leaf_hash(body)
            if leaf != stored_leaf:
                return _fail(
                    report,
                    f"record {idx}: its bytes hash to {leaf.hex()}, "
                    f"the stored leaf hash is {stored_leaf.hex()}",
                )
            leaves.append(leaf)
        if len(leaves) != block.tree_size - block.first_index:
            return _fail(report, f"record {block.first_index + len(leaves)} is missing ({where})")
        result = tree.append(frontier, size, leaves, min_level=STORED_FROM_LEVEL)
        stored = fetch_nodes(session, [addr for addr, _ in result.nodes], require_all=False)
        for addr, value in result.nodes:
            if stored.get(addr) != value:
                return _fail(
                    report,
                    f"merkle node (level {addr.level}, index {addr.index}) "
                    f"does not match the records ({where})",
                )
        node_count += len(result.nodes)
        if result.root != block.root:
            return _fail(
                report,
                f"{where}: root {block.root.hex()} is not the root of its "
                f"records, {result.root.hex()}",
            )
        problem = _check_checkpoint(block, verifiers, origin, result.root)
        if problem:
            return _fail(report, f"{where}: {problem}")
        if block.prev_hash != prev_hash:
            return _fail(
                report,
                f"{where}: previous-block hash {block.prev_hash.hex()} "
                f"does not link to block {block.height - 1}",
            )
        expected_hash = block_hash(
            height=block.height,
            first_index=block.first_index,
            tree_size=block.tree_size,
            root=block.root,
            prev_hash=block.prev_hash,
            created_at=block.created_at,
            checkpoint_text=block.checkpoint,
        )
        if block.block_hash != expected_hash:
            return _fail(report, f"{where}: header hash does not match its fields")
        frontier, size, prev_hash = list(result.frontier), result.size, block.block_hash
        report.blocks += 1
        report.records = size
        report.root_hex = result.root.hex()
    report.tree_size = size
    extra_records = session.scalar(select(func.count()).where(col(LedgerRecord.idx) >= size))
    if extra_records:
        return _fail(report, f"{extra_records} records after the last block (index {size} on)")
    below = session.scalar(select(func.count()).where(col(MerkleNode.level) < STORED_FROM_LEVEL))
    if below:
        return _fail(
            report,
            f"{below} merkle nodes below level {STORED_FROM_LEVEL} are stored: the store "
            "keeps none (a ledger written before it stopped keeping them needs a fresh "
            "database)",
        )
    stored_nodes = session.scalar(select(func.count()).select_from(MerkleNode))
    if stored_nodes != node_count:
        return _fail(report, f"{stored_nodes} merkle nodes stored, the records make {node_count}")
    head = session.get(LedgerHead, 1)
    if size and (
        head is None
        or (head.tree_size, head.height, head.block_hash) != (size, report.blocks - 1, prev_hash)
    ):
        return _fail(report, "the ledger head does not point at the last block")
    problem = _check_cosignatures(session, witnesses)
    return _fail(report, problem) if problem else report


def _check_cosignatures(session: Session, witnesses: list[Verifier]) -> str | None:
    """Every stored cosignature must be a trusted witness's signature of its checkpoint."""
    rows = session.execute(
        select(Cosignature, col(Block.checkpoint)).join(
            Block, col(Block.tree_size) == col(Cosignature.tree_size), isouter=True
        )
    ).yield_per(500)
    for cosignature, checkpoint_note in rows:
        where = f"cosignature by {cosignature.witness} of tree size {cosignature.tree_size}"
        if checkpoint_note is None:
            return f"{where}: no block ends at that size"
        try:
            signature = parse_signature_line(cosignature.signature_line)
            opened = open_note(add_signatures(checkpoint_note, [signature]), witnesses)
        except ValueError as error:
            return f"{where}: does not verify: {error}"
        if cosignature.witness not in {v.name for v in opened.verified}:
            return f"{where}: not signed by a trusted witness of that name"
    return None


def _check_checkpoint(
    block: Block, verifiers: list[Verifier], origin: str, root: bytes
) -> str | None:
    try:
        signed = verify_checkpoint(block.checkpoint, verifiers).checkpoint
    except (ValueError, LedgerError) as error:
        return f"checkpoint does not verify: {error}"
    if (signed.origin, signed.size, signed.root) != (origin, block.tree_size, root):
        return (
            f"checkpoint says ({signed.origin}, {signed.size}, {signed.root.hex()}), "
            f"expected ({origin}, {block.tree_size}, {root.hex()})"
        )
    return None


def _fail(report: LedgerAudit, problem: str) -> LedgerAudit:
    report.problem = problem
    return report
