"""RFC 6962 / RFC 9162 Merkle tree hashing and proof verification.

Leaves are hashed as SHA-256(0x00 || record) and interior nodes as
SHA-256(0x01 || left || right), so a leaf can never be passed off as a node. The
tree over n leaves splits at the largest power of two below n (RFC 6962, 2.1).

``verify_inclusion`` and ``verify_consistency`` follow the verification algorithms of
RFC 9162, sections 2.1.3.2 and 2.1.4.2. ``root_of`` and the two ``reference_*`` proof
builders are the plain recursive definitions from RFC 6962, 2.1.1 and 2.1.2; they cost
O(n). The builders exist for tests and audits; ``root_of`` also rehashes the small
subtrees the store does not keep. The log builds proofs from stored subtrees
(ledger.tree).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger.exceptions import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "leaf_hash",
    "node_hash",
    "reference_consistency_proof",
    "reference_inclusion_proof",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(record: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + record).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The tree head over ``leaf_hashes``, in O(n) hashes."""
    if not leaf_hashes:
        return EMPTY_ROOT
    # Pairing level by level and promoting an odd last node unchanged builds exactly
    # the RFC 6962 left-balanced tree, without recursion or slicing.
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def reference_inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[0:n]) of RFC 6962, 2.1.1, computed from every leaf."""
    if not 0 <= index < len(leaf_hashes):
        raise ValueError(f"expected 0 <= index < {len(leaf_hashes)}, got {index}")
    if len(leaf_hashes) == 1:
        return []
    k = _split(len(leaf_hashes))
    if index < k:
        return [*reference_inclusion_proof(leaf_hashes[:k], index), root_of(leaf_hashes[k:])]
    return [*reference_inclusion_proof(leaf_hashes[k:], index - k), root_of(leaf_hashes[:k])]


def reference_consistency_proof(leaf_hashes: Sequence[bytes], size1: int) -> list[bytes]:
    """PROOF(size1, D[0:n]) of RFC 6962, 2.1.2, computed from every leaf."""
    if not 0 <= size1 <= len(leaf_hashes):
        raise ValueError(f"expected 0 <= size1 <= {len(leaf_hashes)}, got {size1}")
    if size1 in (0, len(leaf_hashes)):
        return []
    return _subproof(leaf_hashes, size1, complete=True)


def _subproof(leaves: Sequence[bytes], m: int, *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root_of(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves[:k], m, complete=complete), root_of(leaves[k:])]
    return [*_subproof(leaves[k:], m - k, complete=False), root_of(leaves[:k])]


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` leaves with ``root``."""
    if not 0 <= index < size:
        raise ProofError(f"expected 0 <= index < size {size}, got index {index}")
    _check_hash(leaf, "leaf hash")
    _check_hash(root, "root")
    for i, item in enumerate(proof):
        _check_hash(item, f"proof[{i}]")
    fn, sn = index, size - 1
    r = leaf
    for item in proof:
        if sn == 0:
            raise ProofError(f"expected a shorter proof for index {index} of size {size}")
        if fn & 1 or fn == sn:
            r = node_hash(item, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, item)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"expected a longer proof for index {index} of size {size}")
    if r != root:
        raise ProofError(f"expected root {root.hex()}, got {r.hex()}")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` leaves with ``root2`` extends the one of ``size1``."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"expected 0 <= size1 <= size2, got size1 {size1}, size2 {size2}")
    if size1 == size2 or size1 == 0:
        if proof:
            raise ProofError(f"expected an empty proof, got {len(proof)} hashes")
        if size1 == 0 and root1 != EMPTY_ROOT:
            raise ProofError(f"expected root1 {EMPTY_ROOT.hex()} (empty tree), got {root1.hex()}")
        if size1 == size2 and root1 != root2:
            raise ProofError(f"expected root2 {root1.hex()} (= root1), got {root2.hex()}")
        if size1 < size2:
            # Nothing ties root2 to the empty tree, but it must still be a tree head.
            _check_hash(root2, "root2")
        return
    if not proof:
        raise ProofError("expected a non-empty proof")
    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    for i, item in enumerate(proof):
        _check_hash(item, f"proof[{i}]")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for item in path[1:]:
        if sn == 0:
            raise ProofError(f"expected a shorter proof from size {size1} to {size2}")
        if fn & 1 or fn == sn:
            fr = node_hash(item, fr)
            sr = node_hash(item, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, item)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"expected a longer proof from size {size1} to {size2}")
    if fr != root1:
        raise ProofError(f"expected root1 {root1.hex()}, got {fr.hex()}")
    if sr != root2:
        raise ProofError(f"expected root2 {root2.hex()}, got {sr.hex()}")


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what}: expected {HASH_SIZE} bytes, got {len(value)}")
