"""Percentiles and sustained rates."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from loadtest import percentile, steady_rates


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
