"""VAT from tax-inclusive fares: known answers, integer-only rounding, regimes by period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import (
    GENERAL_9,
    SIMPLIFIED_3,
    InvalidAmount,
    InvalidTaxRegime,
    RegimePeriod,
    TaxRegime,
    TaxSplit,
    exempt,
    regime_at,
    round_half_up,
    split_tax,
)

EXEMPT = exempt("财税〔2016〕36号附件3 公共交通运输服务")  # noqa: RUF001


@pytest.mark.parametrize(
    ("total_fen", "regime", "base_fen", "tax_fen"),
    [
        (700, GENERAL_9, 642, 58),  # 7.00 yuan at 9 %
        (200, GENERAL_9, 183, 17),  # 2.00 yuan at 9 %
        (1250, GENERAL_9, 1147, 103),
        (700, SIMPLIFIED_3, 680, 20),  # 679.61 rounds up
        (200, SIMPLIFIED_3, 194, 6),
        (700, EXEMPT, 700, 0),
        (0, GENERAL_9, 0, 0),
        (1, GENERAL_9, 1, 0),
    ],
)
def test_known_splits(total_fen: int, regime: TaxRegime, base_fen: int, tax_fen: int) -> None:
    assert split_tax(total_fen, regime) == TaxSplit(total_fen, base_fen, tax_fen, regime.rate_bp)


def test_an_exact_half_rounds_up() -> None:
    # 3 fen at 20 %: 3 / 1.2 = 2.5 exactly, so the base is 3 and the tax 0.
    assert split_tax(3, TaxRegime("general", 2000)) == TaxSplit(3, 3, 0, 2000)
    assert round_half_up(5, 2) == 3
    assert round_half_up(3, 2) == 2
    assert round_half_up(-5, 2) == -3
    assert round_half_up(7, 3) == 2


@pytest.mark.parametrize("total", [-1, 7.0, "700", True])
def test_totals_must_be_non_negative_integer_fen(total: object) -> None:
    with pytest.raises(InvalidAmount) as caught:
        split_tax(total, GENERAL_9)  # type: ignore[arg-type]
    assert caught.value.status_code == 422


def test_a_cached_split_is_not_handed_to_an_equal_non_int() -> None:
    # split_tax caches by (total, rate); True == 1 and hashes alike, yet is no amount.
    assert split_tax(1, GENERAL_9) == TaxSplit(1, 1, 0, 900)
    with pytest.raises(InvalidAmount):
        split_tax(True, GENERAL_9)


@pytest.mark.parametrize(
    ("code", "rate_bp", "reason"),
    [
        ("exempt", 0, None),
        ("exempt", 0, "  "),
        ("exempt", 300, "reason"),
        ("general", 0, None),
        ("general", 10_000, None),
        ("general", 900, "reason"),
        ("simplified", -300, None),
        ("reduced", 600, None),
        ("general", 9.0, None),
    ],
)
def test_inconsistent_regimes_are_rejected(code: str, rate_bp: object, reason: str | None) -> None:
    with pytest.raises(InvalidTaxRegime) as caught:
        TaxRegime(code, rate_bp, reason)  # type: ignore[arg-type]
    assert "expected" in str(caught.value)


@pytest.mark.parametrize(
    ("rate_bp", "percent"), [(900, "9"), (300, "3"), (650, "6.5"), (605, "6.05"), (1, "0.01")]
)
def test_percent_text(rate_bp: int, percent: str) -> None:
    assert TaxRegime("general", rate_bp).percent == percent
    assert TaxRegime("general", rate_bp).rate == Fraction(rate_bp, 10_000)


regimes = st.one_of(
    st.sampled_from([GENERAL_9, SIMPLIFIED_3, EXEMPT]),
    st.integers(1, 9_999).map(lambda bp: TaxRegime("general", bp)),
)
totals = st.integers(0, 10**12)


@given(totals, regimes)
def test_base_plus_tax_is_total_and_both_are_bounded(total: int, regime: TaxRegime) -> None:
    split = split_tax(total, regime)
    assert split.base_fen + split.tax_fen == total
    assert 0 <= split.base_fen <= total
    assert split.tax_fen >= 0
    if regime.code == "exempt":
        assert split.tax_fen == 0


@given(totals, regimes)
def test_base_is_the_nearest_fen_to_total_over_one_plus_rate(total: int, regime: TaxRegime) -> None:
    exact = Fraction(total) / (1 + regime.rate)
    base = split_tax(total, regime).base_fen
    assert abs(base - exact) <= Fraction(1, 2)
    if abs(base - exact) == Fraction(1, 2):
        assert base > exact  # halves go up


@given(totals, st.integers(0, 10_000), regimes)
def test_base_is_monotone_and_tax_nearly_so(total: int, more: int, regime: TaxRegime) -> None:
    low, high = split_tax(total, regime), split_tax(total + more, regime)
    assert low.base_fen <= high.base_fen
    # Rounding may move one fen between base and tax, never more.
    assert high.tax_fen >= low.tax_fen - 1


@given(totals, regimes)
def test_tax_is_within_one_fen_of_en16931s_base_times_rate(total: int, regime: TaxRegime) -> None:
    # BR-CO-17 computes tax = base x rate; the schematron tolerates one unit, we need one fen.
    split = split_tax(total, regime)
    assert abs(split.tax_fen - round_half_up(split.base_fen * regime.rate_bp, 10_000)) <= 1


PERIODS = [
    RegimePeriod(SIMPLIFIED_3, date(2024, 1, 1), date(2026, 1, 1)),
    RegimePeriod(GENERAL_9, date(2026, 1, 1)),
]


def test_regime_follows_the_period_by_shenzhen_date() -> None:
    assert regime_at(PERIODS, datetime(2025, 6, 1, tzinfo=UTC)) == SIMPLIFIED_3
    # 2025-12-31 16:30 UTC is 2026-01-01 00:30 in Shenzhen: the new period.
    assert regime_at(PERIODS, datetime(2025, 12, 31, 16, 30, tzinfo=UTC)) == GENERAL_9
    assert regime_at(PERIODS, datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == SIMPLIFIED_3
    east = timezone(timedelta(hours=9))
    assert regime_at(PERIODS, datetime(2026, 1, 1, 0, 30, tzinfo=east)) == SIMPLIFIED_3


def test_no_period_overlapping_periods_and_naive_times_are_errors() -> None:
    with pytest.raises(InvalidTaxRegime):
        regime_at(PERIODS, datetime(2023, 6, 1, tzinfo=UTC))
    overlapping = [*PERIODS, RegimePeriod(EXEMPT, date(2026, 6, 1), date(2026, 7, 1))]
    with pytest.raises(InvalidTaxRegime):
        regime_at(overlapping, datetime(2026, 6, 15, tzinfo=UTC))
    with pytest.raises(InvalidTaxRegime):
        regime_at(PERIODS, datetime(2026, 6, 15))
    with pytest.raises(InvalidTaxRegime):
        RegimePeriod(GENERAL_9, date(2026, 1, 1), date(2026, 1, 1))
