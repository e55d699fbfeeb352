"""Traffic plans: the day's shape, the simulated clock and the API's time window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fare.localtime import SHANGHAI
from loadtest import HOURLY_WEIGHTS, day_plan, day_share, fixed_plan

START = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)  # 10:30 in Shenzhen


def test_the_day_has_two_peaks_and_a_quiet_night() -> None:
    assert day_share(8.5) == 1.0  # the middle of the busiest hour
    assert 0.9 < day_share(18.5) < 1.0
    assert day_share(3.5) < 0.01
    assert day_share(13.5) < 0.5 * day_share(8.5)
    peak_hour_share = max(HOURLY_WEIGHTS) / sum(HOURLY_WEIGHTS)
    assert 0.09 < peak_hour_share < 0.13


def test_the_profile_ramps_between_hours_and_wraps_at_midnight() -> None:
    assert day_share(8.0) == pytest.approx((HOURLY_WEIGHTS[7] + HOURLY_WEIGHTS[8]) / 2 / 10.5)
    assert day_share(0.0) == pytest.approx(day_share(24.0))


def test_a_fixed_plan_holds_its_rate_and_ends_behind_the_wall_clock() -> None:
    plan = fixed_plan(2000, 600, START, compression=30)
    assert plan.rate_at(0) == plan.rate_at(599) == 2000
    assert plan.expected_taps() == pytest.approx(1_200_000)
    assert plan.sim_at(600) <= START + timedelta(seconds=600)
    assert plan.sim_at(0) == plan.sim_at(600) - timedelta(seconds=600 * 30)


def test_a_long_fixed_plan_compresses_less_to_stay_inside_72_hours() -> None:
    plan = fixed_plan(100, 6 * 3600, START, compression=30)
    assert plan.compression == pytest.approx(70 / 6)
    assert START - plan.sim_at(0) < timedelta(hours=72)


def test_a_day_replays_yesterday_from_local_midnight() -> None:
    plan = day_plan(900, 2000, START)
    assert plan.compression == 96
    local = plan.sim_at(0).astimezone(SHANGHAI)
    assert (local.date().isoformat(), local.hour, local.minute) == ("2026-11-20", 0, 0)
    assert plan.sim_at(900) <= START
    # 08:30 local is 8.5/24 of the way through the run: the peak rate.
    assert plan.rate_at(900 * 8.5 / 24) == pytest.approx(2000)
    assert plan.rate_at(900 * 3.5 / 24) < 20
    assert plan.expected_taps() == pytest.approx(
        2000 * 900 * sum(HOURLY_WEIGHTS) / 24 / 10.5, rel=0.01
    )


def test_plans_need_an_aware_start_and_positive_figures() -> None:
    with pytest.raises(ValueError, match="aware"):
        fixed_plan(10, 10, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="positive"):
        day_plan(0, 100, START)


@given(
    rate=st.floats(min_value=0.1, max_value=10_000),
    duration=st.floats(min_value=1, max_value=86_400),
    compression=st.floats(min_value=1, max_value=1_000),
    elapsed_share=st.floats(min_value=0, max_value=1),
)
def test_taps_are_never_from_the_future_nor_older_than_72_hours(
    rate: float, duration: float, compression: float, elapsed_share: float
) -> None:
    plan = fixed_plan(rate, duration, START, compression=compression)
    elapsed = duration * elapsed_share
    at = plan.sim_at(elapsed)
    now = START + timedelta(seconds=elapsed)
    assert at <= now
    assert now - at < timedelta(hours=72)


def test_a_plan_survives_its_json_form() -> None:
    from loadtest import Plan

    for plan in (fixed_plan(50, 30, START), day_plan(900, 1500, START)):
        assert Plan.from_json(plan.to_json()) == plan
