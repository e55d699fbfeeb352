"""Durations typed on the command line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtest import format_duration, parse_duration_s


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2h", 7200), ("45", 45), (" 1.5m ", 90)],
)
def test_known_durations(text: str, seconds: float) -> None:
    assert parse_duration_s(text) == seconds


@pytest.mark.parametrize("text", ["", "10x", "m5", "5m3", "0s", "-3s", "1h 30m"])
def test_nonsense_is_refused_with_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_duration_s(text)


@given(st.integers(min_value=1, max_value=10 * 86_400))
def test_formatting_reads_back(seconds: int) -> None:
    assert parse_duration_s(format_duration(seconds)) == seconds
