"""GB 32100-2015 unified social credit codes: real published codes and their check characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import USCC_ALPHABET, InvalidTaxId, check_uscc, is_valid_uscc, uscc_check_char
from tests.invoicing.invoice_builders import HUAWEI_USCC, TENCENT_USCC, XIAOMI_USCC

REAL_CODES = [HUAWEI_USCC, TENCENT_USCC, XIAOMI_USCC]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    check_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]
    assert is_valid_uscc(code)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("914403001922038217", "6"),  # Huawei with its last character changed
        ("91440300708461136U", "T"),  # Tencent
        ("911101085513850820", "Q"),  # Xiaomi
        ("91440300708461137T", "X"),  # Tencent with a changed body digit
        ("91440300708461136t", "T"),  # lower case is not folded
    ],
)
def test_a_bad_check_character_names_the_expected_one(code: str, expected: str) -> None:
    with pytest.raises(InvalidTaxId) as caught:
        check_uscc(code)
    assert caught.value.expected == expected
    assert caught.value.code == code
    assert caught.value.status_code == 422
    assert f"expected check character {expected!r}" in str(caught.value)
    assert not is_valid_uscc(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "91440300708461136",  # 17 characters
        "91440300708461136TT",  # 19 characters
        "9144030070846113IT",  # I, O, S, V and Z are not in the alphabet
        "9144030070846113OT",
        "9144030070846113ST",
        "9144030070846113VT",
        "9144030070846113ZT",
        "91440300708461１36T",  # a full-width digit  # noqa: RUF001
    ],
)
def test_malformed_codes_are_rejected_without_an_expected_character(code: str) -> None:
    with pytest.raises(InvalidTaxId) as caught:
        check_uscc(code)
    assert caught.value.expected is None
    assert "expected" in str(caught.value)


def test_the_alphabet_has_31_symbols_without_i_o_s_v_z() -> None:
    assert len(USCC_ALPHABET) == 31
    assert not set("IOSVZ") & set(USCC_ALPHABET)


bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@given(bodies)
def test_any_body_completed_with_its_check_character_is_valid(body: str) -> None:
    check_uscc(body + uscc_check_char(body))


@given(bodies, st.sampled_from(USCC_ALPHABET))
def test_every_other_check_character_is_rejected(body: str, last: str) -> None:
    right = uscc_check_char(body)
    if last == right:
        return
    with pytest.raises(InvalidTaxId) as caught:
        check_uscc(body + last)
    assert caught.value.expected == right


@given(bodies, st.integers(0, 16), st.integers(1, 30))
def test_any_single_substitution_in_the_body_is_detected(body: str, at: int, shift: int) -> None:
    # Every weight 3**i mod 31 is invertible mod 31, so one changed symbol always shows.
    code = body + uscc_check_char(body)
    changed = USCC_ALPHABET[(USCC_ALPHABET.index(code[at]) + shift) % 31]
    assert not is_valid_uscc(code[:at] + changed + code[at + 1 :])
