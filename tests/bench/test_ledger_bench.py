"""The benchmark runs end to end on a small log and reports logarithmic proof reads."""

from __future__ import annotations

from bench.ledger import run_bench


def test_bench_reports_every_figure_for_each_size() -> None:
    figures = run_bench((1000, 5000), block=64, samples=50)
    for label in ("1e3", "5e3"):
        for name in ("append_us_per_record", "inclusion_proof_us", "consistency_proof_us"):
            assert figures[f"{name}@{label}"] > 0
    assert 0 < figures["inclusion_nodes_mean@5e3"] <= 2 * (5000).bit_length()
    assert 0 < figures["consistency_nodes_mean@5e3"] <= 2 * (5000).bit_length()
