"""The benchmark entry point runs and reports rates for each mode."""

from __future__ import annotations

from bench.fare import run_bench
from fare.synthetic import synthetic_network


def test_run_bench_reports_positive_rates() -> None:
    figures = run_bench(200)
    for key in ("metro_quotes_per_s", "taxi_quotes_per_s", "bus_quotes_per_s"):
        assert figures[key] > 0
    assert figures["network_stations"] == 405
    assert figures["network_lines"] == 18


def test_the_synthetic_network_is_connected_and_deterministic() -> None:
    one, two = synthetic_network(), synthetic_network()
    assert one.path("S1-end-a", "S18-end-b") == two.path("S1-end-a", "S18-end-b")
    # Crossing stations are shared by an east-west and a north-south line.
    assert one.stations["X3-4"].lines == frozenset({"S4", "S14"})
    assert one.path("S1-end-a", "S18-end-b").distance_m > 0
