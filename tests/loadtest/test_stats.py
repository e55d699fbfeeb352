"""Percentiles and sustained rates."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from loadtest import percentile, plan_held, steady_rates


def test_nearest_rank_percentiles() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1), st.floats(0, 100))
def test_a_percentile_is_one_of_the_values_and_ordered(values: list[float], q: float) -> None:
    p = percentile(values, q)
    assert p in values
    assert percentile(values, 0) <= p <= percentile(values, 100)


def test_steady_rates_skip_the_warm_up_and_the_last_partial_second() -> None:
    per_second = {1000 + s: (10 if s < 5 else 100) for s in range(0, 125)}
    per_second[1124] = 3  # the run stopped early in its last second
    rates = steady_rates(per_second)
    assert rates.mean == 100
    assert rates.p5 == 100
    assert rates.best_60s == 100
    assert rates.seconds == 119


def test_a_gap_counts_as_a_second_with_no_taps() -> None:
    per_second = {s: 100 for s in range(0, 20) if s != 12}
    rates = steady_rates(per_second, warmup_s=0)
    assert rates.p5 == 0
    assert rates.mean == 100 * 18 / 19


def test_plan_held_compares_the_busiest_planned_minute_with_what_was_accepted() -> None:
    # 100/s for 100 s with a 10 s burst at 1,000/s from second 50; all accepted but
    # half of the burst.
    def rate_at(elapsed_s: float) -> float:
        return 1000.0 if 50 <= elapsed_s < 60 else 100.0

    start = 1_000_000.0
    accepted = {int(start) + t: int(rate_at(t + 0.5)) for t in range(100)}
    for t in range(50, 60):
        accepted[int(start) + t] = 500
    held = plan_held(rate_at, 100, start, accepted)
    assert held.planned == 90 * 100 + 10 * 1000
    assert held.peak_planned_per_s == (50 * 100 + 10 * 1000) / 60
    assert held.peak_accepted_per_s == (50 * 100 + 10 * 500) / 60
