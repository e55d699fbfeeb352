"""The stored-interior tree against the RFC 6962 reference definitions."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.exceptions import TreeError
from ledger.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    reference_consistency_proof,
    reference_inclusion_proof,
    root_of,
)
from ledger.tree import (
    NodeAddr,
    append,
    consistency_plan,
    consistency_proof,
    frontier_addresses,
    inclusion_plan,
    inclusion_proof,
    root_at,
)


def _leaves(size: int) -> list[bytes]:
    return [leaf_hash(b"record %d" % i) for i in range(size)]


def _build(leaves: list[bytes], blocks: list[int]) -> dict[NodeAddr, bytes]:
    """Append ``leaves`` in blocks of the given sizes, checking each step."""
    nodes: dict[NodeAddr, bytes] = {}
    frontier: tuple[bytes, ...] = ()
    size = 0
    for block in blocks:
        result = append(frontier, size, leaves[size : size + block])
        for addr, value in result.nodes:
            assert addr not in nodes, f"{addr} written twice"
            nodes[addr] = value
        size, frontier = result.size, result.frontier
        assert result.root == root_of(leaves[:size])
        assert list(frontier) == [nodes[a] for a in frontier_addresses(size)]
    return nodes


_blocks = st.lists(st.integers(1, 40), min_size=1, max_size=12)


def test_a_fresh_tree_has_the_empty_root() -> None:
    result = append((), 0, [])
    assert (result.size, result.root, result.frontier, result.nodes) == (0, EMPTY_ROOT, (), ())
    assert root_at(0, {}) == EMPTY_ROOT
    assert frontier_addresses(0) == []


def test_frontier_of_13_leaves_is_8_4_1() -> None:
    assert frontier_addresses(13) == [NodeAddr(3, 0), NodeAddr(2, 2), NodeAddr(0, 12)]


def test_appending_one_leaf_to_7_stores_the_completed_subtrees() -> None:
    leaves = _leaves(8)
    nodes = _build(leaves, [7])
    frontier = [nodes[a] for a in frontier_addresses(7)]
    result = append(frontier, 7, leaves[7:])
    assert [addr for addr, _ in result.nodes] == [
        NodeAddr(0, 7),
        NodeAddr(1, 3),
        NodeAddr(2, 1),
        NodeAddr(3, 0),
    ]
    assert result.frontier == (root_of(leaves),)


def test_appended_addresses_are_ordinary_node_addrs() -> None:
    # append() builds them without the dataclass __init__ (see tree._addr): they must be
    # indistinguishable from constructed ones, and still frozen.
    assert [f.name for f in dataclasses.fields(NodeAddr)] == ["level", "index"]
    addr, _ = append((), 0, _leaves(2)).nodes[-1]
    assert type(addr) is NodeAddr
    assert addr == NodeAddr(1, 0) and hash(addr) == hash(NodeAddr(1, 0))
    assert repr(addr) == "NodeAddr(level=1, index=0)"
    assert {addr: b"x"}[NodeAddr(1, 0)] == b"x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        addr.level = 2  # type: ignore[misc]


@given(_blocks, st.integers(0, 6))
@settings(deadline=None)
def test_min_level_returns_the_same_tree_without_the_lower_nodes(
    blocks: list[int], min_level: int
) -> None:
    leaves = _leaves(sum(blocks))
    full = _build(leaves, blocks)
    frontier: tuple[bytes, ...] = ()
    size, kept = 0, list[tuple[NodeAddr, bytes]]()
    for block in blocks:
        result = append(frontier, size, leaves[size : size + block], min_level=min_level)
        kept += result.nodes
        size, frontier = result.size, result.frontier
        assert result.root == root_of(leaves[:size])
    assert dict(kept) == {a: h for a, h in full.items() if a.level >= min_level}
    assert len(kept) == len(dict(kept))


@given(_blocks)
@settings(deadline=None)
def test_blocks_store_every_perfect_subtree_exactly_once(blocks: list[int]) -> None:
    size = sum(blocks)
    leaves = _leaves(size)
    nodes = _build(leaves, blocks)
    assert len(nodes) == 2 * size - bin(size).count("1")
    for addr, value in nodes.items():
        width = 1 << addr.level
        assert (addr.index + 1) * width <= size
        assert value == root_of(leaves[addr.index * width : (addr.index + 1) * width])


@given(_blocks, st.data())
@settings(deadline=None)
def test_inclusion_proofs_match_the_reference_at_every_past_size(
    blocks: list[int], data: st.DataObject
) -> None:
    leaves = _leaves(sum(blocks))
    nodes = _build(leaves, blocks)
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    plan = inclusion_plan(index, size)
    fetched = {addr: nodes[addr] for addr in plan}  # what the store's reads return
    assert inclusion_proof(index, size, fetched) == reference_inclusion_proof(leaves[:size], index)
    assert root_at(size, nodes) == root_of(leaves[:size])


@given(_blocks, st.data())
@settings(deadline=None)
def test_consistency_proofs_match_the_reference_between_any_sizes(
    blocks: list[int], data: st.DataObject
) -> None:
    leaves = _leaves(sum(blocks))
    nodes = _build(leaves, blocks)
    size2 = data.draw(st.integers(0, len(leaves)))
    size1 = data.draw(st.integers(0, size2))
    fetched = {addr: nodes[addr] for addr in consistency_plan(size1, size2)}
    expected = reference_consistency_proof(leaves[:size2], size1)
    assert consistency_proof(size1, size2, fetched) == expected


@given(st.integers(1, 2**48), st.data())
def test_plans_are_logarithmic_and_only_name_stored_nodes(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(0, size))
    bound = 2 * size.bit_length()
    for plan in (inclusion_plan(index, size), consistency_plan(size1, size)):
        assert len(plan) <= bound
        assert len(set(plan)) == len(plan)
        for addr in plan:
            assert (addr.index + 1) << addr.level <= size


def test_a_missing_node_is_named() -> None:
    nodes = _build(_leaves(6), [6])
    del nodes[NodeAddr(1, 2)]
    with pytest.raises(TreeError, match=r"NodeAddr\(level=1, index=2\)"):
        inclusion_proof(0, 6, nodes)


def test_append_checks_its_inputs() -> None:
    with pytest.raises(TreeError, match="expected 2 frontier hashes"):
        append([EMPTY_ROOT], 3, [])
    with pytest.raises(TreeError, match="32-byte"):
        append([], 0, [b"not a hash"])
    with pytest.raises(ValueError, match="index < size"):
        inclusion_plan(5, 5)
    with pytest.raises(ValueError, match="size1 <= size2"):
        consistency_plan(6, 5)
