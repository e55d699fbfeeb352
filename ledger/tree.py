"""The log's stored interior: append and proof planning over perfect subtrees.

A node is addressed by ``(level, index)``: the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``. Level 0 nodes are the leaf hashes.
Only perfect subtrees are stored, and each is written once, when its last leaf
arrives; nothing is ever rewritten, which suits an append-only table. A store may keep
only the upper levels (``append(..., min_level=)``) and rehash the lower ones from the
leaf hashes it keeps anyway (ledger.store does).

Every hash an RFC 6962 proof needs is the hash of a leaf range that is either a
perfect subtree or a right-edge range ``[start, size)``; the latter is the fold of
the perfect subtrees in the binary decomposition of its length. So a proof is
planned as O(log n) node addresses, fetched from the store, and assembled here:

    nodes = store.fetch(inclusion_plan(index, size))
    proof = inclusion_proof(index, size, nodes)

The *frontier* of a tree of ``size`` leaves is its decomposition into perfect
subtrees, largest first (``frontier_addresses``); it is all ``append`` needs, so
appending a block costs O(block + log n) hashes whatever the size of the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ledger.exceptions import TreeError
from ledger.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = [
    "AppendResult",
    "NodeAddr",
    "append",
    "consistency_plan",
    "consistency_proof",
    "frontier_addresses",
    "inclusion_plan",
    "inclusion_proof",
    "root_at",
]


@dataclass(frozen=True, slots=True)
class NodeAddr:
    """The perfect subtree over leaves [index * 2**level, (index + 1) * 2**level)."""

    level: int
    index: int


# append() makes a NodeAddr for every node it returns: two per leaf from level 0. The frozen
# dataclass __init__ goes through object.__setattr__ per field; setting the two slots
# directly costs a third of that. Same class and values, so the result is equal to, and
# hashes like, NodeAddr(level, index) (tests/ledger/test_ledger_tree.py holds them so).
_new_object = object.__new__
_set_level = NodeAddr.__dict__["level"].__set__
_set_index = NodeAddr.__dict__["index"].__set__


def _addr(level: int, index: int) -> NodeAddr:
    addr: NodeAddr = _new_object(NodeAddr)
    _set_level(addr, level)
    _set_index(addr, index)
    return addr


@dataclass(frozen=True)
class AppendResult:
    """The outcome of appending leaves: what to store and the new tree head."""

    size: int
    root: bytes
    frontier: tuple[bytes, ...]  # hashes at frontier_addresses(size), largest first
    nodes: tuple[tuple[NodeAddr, bytes], ...]  # new perfect subtrees of min_level and up


def frontier_addresses(size: int) -> list[NodeAddr]:
    """The perfect subtrees that make up a tree of ``size`` leaves, largest first."""
    _check_size(size)
    return _range_addrs(0, size)


def append(
    frontier: Sequence[bytes], size: int, leaf_hashes: Iterable[bytes], *, min_level: int = 0
) -> AppendResult:
    """Append ``leaf_hashes`` to the tree whose frontier at ``size`` is ``frontier``.

    ``nodes`` lists the new perfect subtrees of ``min_level`` and above; a store that
    recomputes the lower ones from leaf hashes asks for only what it keeps.
    """
    levels = [addr.level for addr in frontier_addresses(size)]
    if len(frontier) != len(levels):
        raise TreeError(
            f"expected {len(levels)} frontier hashes for size {size}, got {len(frontier)}"
        )
    stack = list(zip(levels, frontier, strict=True))
    nodes: list[tuple[NodeAddr, bytes]] = []
    for leaf in leaf_hashes:
        if len(leaf) != HASH_SIZE:
            raise TreeError(f"leaf {size}: expected a {HASH_SIZE}-byte hash, got {len(leaf)}")
        level, index, value = 0, size, leaf
        if level >= min_level:
            nodes.append((_addr(level, index), value))
        # Equal neighbours on the stack are siblings: merge them into their parent.
        while stack and stack[-1][0] == level:
            value = node_hash(stack.pop()[1], value)
            level += 1
            index >>= 1
            if level >= min_level:
                nodes.append((_addr(level, index), value))
        stack.append((level, value))
        size += 1
    hashes = tuple(value for _, value in stack)
    return AppendResult(size=size, root=_fold(hashes), frontier=hashes, nodes=tuple(nodes))


def root_at(size: int, nodes: Mapping[NodeAddr, bytes]) -> bytes:
    """The tree head at ``size``, from the nodes at ``frontier_addresses(size)``."""
    return _fold(_fetch(frontier_addresses(size), nodes))


def inclusion_plan(index: int, size: int) -> list[NodeAddr]:
    """The nodes that ``inclusion_proof(index, size, ...)`` needs."""
    return [
        addr for start, end in _inclusion_ranges(index, size) for addr in _range_addrs(start, end)
    ]


def inclusion_proof(index: int, size: int, nodes: Mapping[NodeAddr, bytes]) -> list[bytes]:
    """The RFC 6962 audit path for leaf ``index`` in the tree of ``size`` leaves."""
    return [_range_hash(start, end, nodes) for start, end in _inclusion_ranges(index, size)]


def consistency_plan(size1: int, size2: int) -> list[NodeAddr]:
    """The nodes that ``consistency_proof(size1, size2, ...)`` needs."""
    ranges = _consistency_ranges(size1, size2)
    return [addr for start, end in ranges for addr in _range_addrs(start, end)]


def consistency_proof(size1: int, size2: int, nodes: Mapping[NodeAddr, bytes]) -> list[bytes]:
    """The RFC 6962 consistency proof from the tree of ``size1`` leaves to ``size2``."""
    return [_range_hash(start, end, nodes) for start, end in _consistency_ranges(size1, size2)]


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PATH(index, D[0:size]), leaf side first."""
    _check_size(size)
    if not 0 <= index < size:
        raise ValueError(f"expected 0 <= index < size {size}, got {index}")
    siblings: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append((mid, hi))
            hi = mid
        else:
            siblings.append((lo, mid))
            lo = mid
    return siblings[::-1]


def _consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PROOF(size1, D[0:size2]), innermost first."""
    _check_size(size2)
    if not 0 <= size1 <= size2:
        raise ValueError(f"expected 0 <= size1 <= size2 {size2}, got {size1}")
    if size1 in (0, size2):
        return []
    siblings: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        mid = lo + _split(hi - lo)
        if m <= mid - lo:
            siblings.append((mid, hi))
            hi = mid
        else:
            siblings.append((lo, mid))
            m -= mid - lo
            lo = mid
            complete = False
    # When the old tree is itself a subtree here, the verifier already holds its hash.
    head = [] if complete else [(lo, hi)]
    return head + siblings[::-1]


def _range_addrs(start: int, end: int) -> list[NodeAddr]:
    """Perfect subtrees covering [start, end), largest first.

    ``start`` is a multiple of the largest power of two in ``end - start`` for every
    range a proof asks for, so each piece is an aligned perfect subtree.
    """
    addrs: list[NodeAddr] = []
    remaining = end - start
    while remaining:  # one step per set bit, largest first
        level = remaining.bit_length() - 1
        addrs.append(NodeAddr(level, start >> level))
        start += 1 << level
        remaining -= 1 << level
    return addrs


def _range_hash(start: int, end: int, nodes: Mapping[NodeAddr, bytes]) -> bytes:
    return _fold(_fetch(_range_addrs(start, end), nodes))


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive perfect subtrees, largest first: they nest to the right."""
    if not hashes:
        return EMPTY_ROOT
    value = hashes[-1]
    for left in reversed(hashes[:-1]):
        value = node_hash(left, value)
    return value


def _fetch(addrs: Sequence[NodeAddr], nodes: Mapping[NodeAddr, bytes]) -> list[bytes]:
    try:
        return [nodes[addr] for addr in addrs]
    except KeyError as exc:
        raise TreeError(f"expected node {exc.args[0]} in the store, got none") from exc


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_size(size: int) -> None:
    if size < 0:
        raise ValueError(f"expected a tree size >= 0, got {size}")
