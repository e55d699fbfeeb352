"""The operators' benchmarks run end to end at a small size and count what they did."""

from __future__ import annotations

from pathlib import Path

from bench.databases import bench_database
from bench.operators import bench_reconcile, bench_settle


def test_the_reconcile_bench_matches_all_but_the_planted_differences() -> None:
    figures = bench_reconcile(3_000, chunk_rows=700)
    assert figures["lines"] == 3_000
    # every 500th tap is missing on the ledger; every 1,000th row differs in amount
    assert figures["matched"] == 3_000 - 6 - 3


def test_the_settle_bench_clears_every_trip(tmp_path: Path) -> None:
    with bench_database("sqlite", tmp_path) as url:
        figures = bench_settle(url, 3_000)
    assert figures["items"] == 3_000 and figures["statements"] == 2
