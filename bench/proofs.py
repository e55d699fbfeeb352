"""Inclusion proofs read from the database, at 10^4, 10^5 and 10^6 records.

For each size it fills the store as the ledger writer does (leaf hashes in
`ledger_records`, perfect subtrees of level 4 and up in `merkle_nodes`, appended in
blocks), then times random proofs through the production read path:
`ledger.store.fetch_nodes` (two indexed queries: stored nodes, and the leaf hashes the
lower levels are rehashed from) and `ledger.tree.inclusion_proof`, and checks one proof
against the root. The figures are per proof, from the query to the
assembled path, on a warm connection.
"""

from __future__ import annotations

import hashlib
import random
import time

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ledger.merkle import verify_inclusion
from ledger.models import LedgerRecord, MerkleNode
from ledger.store import STORED_FROM_LEVEL, fetch_nodes
from ledger.tree import append, frontier_addresses, inclusion_plan, inclusion_proof, root_at
from loadtest.stats import percentile
from storage.engine import make_engine
from storage.types import core_table

_BLOCK = 5_000


def bench_proofs(
    database_url: str, size: int, *, samples: int = 500, seed: int = 6962
) -> dict[str, float]:
    engine = make_engine(database_url)
    for model in (LedgerRecord, MerkleNode):
        core_table(model).create(engine, checkfirst=True)
    rng = random.Random(seed)
    frontier: tuple[bytes, ...] = ()
    current = 0
    began = time.perf_counter()
    with Session(engine) as session:
        while current < size:
            count = min(_BLOCK, size - current)
            block = [
                hashlib.sha256(i.to_bytes(8, "big")).digest()
                for i in range(current, current + count)
            ]
            result = append(frontier, current, block, min_level=STORED_FROM_LEVEL)
            session.execute(
                insert(LedgerRecord),
                [
                    {"idx": i, "type": "bench", "body": b"", "leaf_hash": h, "block_height": 0}
                    for i, h in enumerate(block, start=current)
                ],
            )
            session.execute(
                insert(MerkleNode),
                [{"level": a.level, "idx": a.index, "hash": h} for a, h in result.nodes],
            )
            frontier, current = tuple(result.frontier), result.size
            session.commit()
        fill_s = time.perf_counter() - began
        indices = [rng.randrange(size) for _ in range(samples)]
        timings, fetched = [], 0
        for index in indices:
            started = time.perf_counter()
            plan = inclusion_plan(index, size)
            nodes = fetch_nodes(session, plan)
            inclusion_proof(index, size, nodes)
            timings.append((time.perf_counter() - started) * 1e6)
            fetched += len(plan)
        index = indices[0]
        root = root_at(size, fetch_nodes(session, frontier_addresses(size)))
        proof = inclusion_proof(index, size, fetch_nodes(session, inclusion_plan(index, size)))
        verify_inclusion(
            hashlib.sha256(index.to_bytes(8, "big")).digest(), index, size, proof, root
        )
    engine.dispose()
    return {
        "records": float(size),
        "fill_s": fill_s,
        "proof_p50_us": percentile(timings, 50),
        "proof_p99_us": percentile(timings, 99),
        "nodes_per_proof": fetched / samples,
        "queries_per_proof": 2.0,
    }
