"""Micro-benchmark of the log's pure math, with nodes kept in an in-memory dict.

For each size it builds a log by appending blocks of leaves, then assembles random
inclusion and consistency proofs through the same plan -> fetch -> assemble path the
store uses, with every level in the dict. The database adds the cost of its two
indexed reads per proof (stored nodes, and the leaf hashes the lower levels are
rehashed from); `farechain bench proofs` measures that. Run with ``python -m bench.ledger``.
"""

from __future__ import annotations

import random
import time

from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.tree import (
    NodeAddr,
    append,
    consistency_plan,
    consistency_proof,
    inclusion_plan,
    inclusion_proof,
    root_at,
)

__all__ = ["run_bench"]


def run_bench(
    sizes: tuple[int, ...] = (10**4, 10**5, 10**6),
    *,
    block: int = 1000,
    samples: int = 2000,
    seed: int = 6962,
) -> dict[str, float]:
    """Per size: append µs/record, proof assembly µs, and nodes fetched per proof."""
    rng = random.Random(seed)
    figures: dict[str, float] = {}
    for size in sizes:
        leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(size)]
        nodes: dict[NodeAddr, bytes] = {}
        frontier: tuple[bytes, ...] = ()
        current = 0
        started = time.perf_counter()
        for start in range(0, size, block):
            result = append(frontier, current, leaves[start : start + block])
            nodes.update(result.nodes)
            frontier, current = result.frontier, result.size
        label = _label(size)
        figures[f"append_us_per_record@{label}"] = _us(started) / size

        indices = [rng.randrange(size) for _ in range(samples)]
        started = time.perf_counter()
        fetched = 0
        for index in indices:
            plan = inclusion_plan(index, size)
            fetched += len(plan)
            inclusion_proof(index, size, {addr: nodes[addr] for addr in plan})
        figures[f"inclusion_proof_us@{label}"] = _us(started) / samples
        figures[f"inclusion_nodes_mean@{label}"] = fetched / samples

        olds = [rng.randrange(1, size) for _ in range(samples)]
        started = time.perf_counter()
        fetched = 0
        for old in olds:
            plan = consistency_plan(old, size)
            fetched += len(plan)
            consistency_proof(old, size, {addr: nodes[addr] for addr in plan})
        figures[f"consistency_proof_us@{label}"] = _us(started) / samples
        figures[f"consistency_nodes_mean@{label}"] = fetched / samples

        # Sanity: the figures are for proofs that verify.
        root = root_at(size, nodes)
        index, old = indices[0], olds[0]
        verify_inclusion(leaves[index], index, size, inclusion_proof(index, size, nodes), root)
        proof = consistency_proof(old, size, nodes)
        verify_consistency(old, size, proof, root_at(old, nodes), root)
    return figures


def _label(size: int) -> str:
    short = f"{size:.0e}".replace("+0", "").replace("+", "")
    return short if float(short) == size else str(size)


def _us(started: float) -> float:
    return (time.perf_counter() - started) * 1e6


if __name__ == "__main__":
    for name, value in run_bench().items():
        print(f"{name:36} {value:10.2f}")
