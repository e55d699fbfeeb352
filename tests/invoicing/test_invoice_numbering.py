"""Invoice numbers (20 digits: year, region, channel, sequence) and check codes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import (
    DEFAULT_LAYOUT,
    InvalidInvoiceData,
    InvalidInvoiceNumber,
    InvoiceNumber,
    NumberLayout,
    SequenceOverflow,
    check_code,
    find_gaps,
    format_number,
    issue_year,
    next_sequence,
    parse_number,
)


def test_known_number_layout() -> None:
    text = format_number(year=2026, channel="1001", sequence=7)
    assert text == "26441001000000000007"
    assert parse_number(text) == InvoiceNumber(year=2026, region="44", channel="1001", sequence=7)


def test_region_and_narrower_channel() -> None:
    layout = NumberLayout(code_digits=2)
    text = format_number(year=2031, region="11", channel="07", sequence=123, layout=layout)
    assert text == "31110700000000000123"
    assert layout.sequence_digits == 14
    assert parse_number(text, layout) == InvoiceNumber(2031, "11", "07", 123)


def test_the_default_sequence_has_twelve_digits() -> None:
    assert DEFAULT_LAYOUT.sequence_digits == 12
    assert DEFAULT_LAYOUT.max_sequence == 999_999_999_999


def test_the_last_sequence_formats_and_the_next_one_overflows() -> None:
    last = DEFAULT_LAYOUT.max_sequence
    assert format_number(year=2026, channel="1001", sequence=last) == "26441001999999999999"
    with pytest.raises(SequenceOverflow) as caught:
        format_number(year=2026, channel="1001", sequence=last + 1)
    assert caught.value.status_code == 500
    assert "expected a sequence of at most 999999999999" in str(caught.value)
    with pytest.raises(SequenceOverflow):
        next_sequence(last)


def test_next_sequence_is_gap_free_from_one() -> None:
    assert next_sequence(None) == 1
    assert next_sequence(1) == 2
    assert next_sequence(41) == 42


@pytest.mark.parametrize(
    "kwargs",
    [
        {"year": 1999, "channel": "1001", "sequence": 1},
        {"year": 2100, "channel": "1001", "sequence": 1},
        {"year": 2026, "channel": "101", "sequence": 1},
        {"year": 2026, "channel": "10011", "sequence": 1},
        {"year": 2026, "channel": "10a1", "sequence": 1},
        {"year": 2026, "channel": "\uff11\uff10\uff10\uff11", "sequence": 1},  # full-width "1001"
        {"year": 2026, "channel": "1001", "sequence": 0},
        {"year": 2026, "channel": "1001", "sequence": 1, "region": "4"},
    ],
)
def test_bad_parts_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInvoiceNumber) as caught:
        format_number(**kwargs)  # type: ignore[arg-type]
    assert caught.value.status_code == 422
    assert "expected" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "2644100100000000007",
        "264410010000000000070",
        "2644100100000000000x",
        "26441001000000000000",
    ],
)
def test_bad_numbers_do_not_parse(text: str) -> None:
    with pytest.raises(InvalidInvoiceNumber):
        parse_number(text)


@pytest.mark.parametrize("code_digits", [1, 5])
def test_channel_width_is_two_to_four(code_digits: int) -> None:
    with pytest.raises(InvalidInvoiceNumber):
        NumberLayout(code_digits=code_digits)


@st.composite
def numbers(draw: st.DrawFn) -> tuple[InvoiceNumber, NumberLayout]:
    layout = NumberLayout(draw(st.integers(2, 4)))
    digits = st.text(
        alphabet="0123456789", min_size=layout.code_digits, max_size=layout.code_digits
    )
    number = InvoiceNumber(
        year=draw(st.integers(2000, 2099)),
        region=draw(st.text(alphabet="0123456789", min_size=2, max_size=2)),
        channel=draw(digits),
        sequence=draw(st.integers(1, layout.max_sequence)),
    )
    return number, layout


@given(numbers())
def test_format_and_parse_round_trip(case: tuple[InvoiceNumber, NumberLayout]) -> None:
    number, layout = case
    text = number.text(layout)
    assert len(text) == 20 and text.isdigit()
    assert parse_number(text, layout) == number


def test_the_year_is_china_standard_time() -> None:
    # 16:30 UTC on New Year's Eve is already 00:30 on 1 January in Shenzhen.
    assert issue_year(datetime(2025, 12, 31, 16, 30, tzinfo=UTC)) == 2026
    assert issue_year(datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == 2025
    with pytest.raises(InvalidInvoiceNumber):
        issue_year(datetime(2026, 1, 1))


def test_find_gaps_names_missing_ranges_and_duplicates() -> None:
    anomalies = find_gaps([1, 2, 4, 4, 7])
    assert anomalies.gaps == (range(3, 4), range(5, 7))
    assert anomalies.duplicates == (4,)
    assert not anomalies.clean
    assert find_gaps([2]).gaps == (range(1, 2),)
    assert find_gaps([]).clean


@given(st.permutations(range(1, 60)), st.integers(1, 58))
def test_gap_free_sequences_are_clean_and_one_removal_is_found(
    sequences: list[int], missing: int
) -> None:
    assert find_gaps(sequences).clean
    assert find_gaps([s for s in sequences if s != missing]).gaps == (range(missing, missing + 1),)


def test_check_code_known_answers() -> None:
    assert check_code(hashlib.sha256(b"").digest()) == "79397001115665086549"
    assert check_code(bytes(32)) == "00000000000000000000"
    # 2**256 - 1 = ...640564039457584007913129639935
    assert check_code(b"\xff" * 32) == "57584007913129639935"


@given(st.binary(min_size=32, max_size=32))
def test_check_code_is_twenty_digits_of_the_hash(leaf: bytes) -> None:
    code = check_code(leaf)
    assert len(code) == 20 and code.isdigit()
    assert int(code) == int.from_bytes(leaf, "big") % 10**20


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_check_code_needs_a_32_byte_hash(size: int) -> None:
    with pytest.raises(InvalidInvoiceData):
        check_code(bytes(size))
