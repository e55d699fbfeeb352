"""The agreements bench signs every seeded rider once and says how fast."""

from __future__ import annotations

from pathlib import Path

from bench.agreements import bench_agreements
from bench.databases import bench_database, bench_redis


def test_the_agreements_bench_signs_every_rider(tmp_path: Path) -> None:
    with bench_redis(tmp_path) as redis_url, bench_database("sqlite", tmp_path) as url:
        figures = bench_agreements(tmp_path, database_url=url, redis_url=redis_url, riders=300)
    assert figures["agreements"] == 300 and figures["agreements_per_s"] > 0
