"""`farechain bench takeover`: a killed batcher's entries are sealed, once, within seconds."""

from __future__ import annotations

from pathlib import Path

from bench.databases import bench_redis
from bench.takeover import bench_takeover


def test_the_takeover_bench_seals_every_entry_once_and_quickly(
    tmp_path: Path, database_url: str
) -> None:
    with bench_redis(tmp_path) as redis_url:
        figures = bench_takeover(
            f"sqlite:///{tmp_path / 'takeover.sqlite3'}",
            redis_url,
            tmp_path / "var",
            events=20,
            rounds=1,
        )
    assert figures["trips_sealed"] == 2 * 20
    # The takeover itself: no lease lapse (10 s) or idle reclaim (30 s) is waited for.
    assert figures["in_process_lease_s_max"] < 2
    assert figures["in_process_reread_s_max"] < 3
    assert figures["restarted_reread_s_max"] < 20  # a new Python process's start included
