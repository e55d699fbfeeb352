"""Amounts in Chinese capital numerals: known answers and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import InvalidAmount, amount_in_words, parse_amount_words

KNOWN = [
    (700, "柒元整"),
    (1250, "壹拾贰元伍角"),
    (200, "贰元整"),
    (642, "陆元肆角贰分"),
    (0, "零元整"),
    (5, "伍分"),
    (50, "伍角"),
    (12, "壹角贰分"),
    (105, "壹元零伍分"),
    (2005, "贰拾元零伍分"),
    (1000, "壹拾元整"),
    (100_100, "壹仟零壹元整"),
    (1_001_000, "壹万零壹拾元整"),
    (100_010_000, "壹佰万零壹佰元整"),
    (1_200_000_500, "壹仟贰佰万零伍元整"),
    (10_000_000_000, "壹亿元整"),  # 10**8 yuan
    (10_000_000_100, "壹亿零壹元整"),
    (10_001_000_000, "壹亿零壹万元整"),
    (11_000_000_000, "壹亿壹仟万元整"),
    (10_100_000_000, "壹亿零壹佰万元整"),
    (1_234_567_890, "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角"),
    (99_999_999_999_999, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    (168_032, "壹仟陆佰捌拾元叁角贰分"),  # the PBoC rules' examples, in the forms
    (10_700_053, "壹拾万柒仟元伍角叁分"),  # that leave the optional 零 out
    (-700, "负柒元整"),
]


@pytest.mark.parametrize(("fen", "words"), KNOWN)
def test_known_amounts(fen: int, words: str) -> None:
    assert amount_in_words(fen) == words
    assert parse_amount_words(words) == fen


@given(st.integers(-(10**10), 10**10))  # up to 10**8 yuan either way
def test_words_parse_back_to_the_amount(fen: int) -> None:
    assert parse_amount_words(amount_in_words(fen)) == fen


@given(st.integers(1, 10**14 - 1))
def test_zeros_are_never_doubled_leading_or_trailing(fen: int) -> None:
    words = amount_in_words(fen)
    assert "零零" not in words
    assert not words.startswith("零")
    assert not words.endswith("零")
    assert words.endswith(("整", "角", "分"))


@pytest.mark.parametrize("fen", [10**14, 7.0, "700"])
def test_out_of_range_or_non_integer_amounts_are_rejected(fen: object) -> None:
    with pytest.raises(InvalidAmount):
        amount_in_words(fen)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "words", ["", "整", "七元整", "柒元伍", "柒元伍伍角", "拾元整", "柒元整分"]
)
def test_malformed_words_do_not_parse(words: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount_words(words)
