"""Unified social credit codes (统一社会信用代码), checked per GB 32100-2015.

A code is 18 characters over a 31-symbol alphabet: the digits and the capital letters
without I, O, S, V and Z (they are too easily read as 1, 0, 5, U and 2). Its layout:

    position  1     registration authority (e.g. 9 = market regulation)
    position  2     organisation category (e.g. 1 = company)
    positions 3-8   administrative division of the registering office (GB/T 2260)
    positions 9-17  organisation identifier (GB 11714)
    position  18    check character

The check character follows the ISO 7064-style scheme GB 32100 prescribes: each of the
first 17 symbols' value is weighted by 3**i mod 31 (i = 0 for the first position), and the
check value is 31 - (weighted sum mod 31), with 31 written as "0".
"""

from __future__ import annotations

from invoicing.errors import InvalidTaxId

__all__ = ["USCC_ALPHABET", "check_uscc", "is_valid_uscc", "uscc_check_char"]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {symbol: value for value, symbol in enumerate(USCC_ALPHABET)}
_MODULUS = len(USCC_ALPHABET)  # 31
_WEIGHTS = tuple(pow(3, i, _MODULUS) for i in range(17))
_LENGTH = 18


def uscc_check_char(first17: str) -> str:
    """The check character that completes the first 17 characters of a code."""
    if len(first17) != _LENGTH - 1:
        raise InvalidTaxId(
            f"expected 17 characters before the check character, got {len(first17)}",
            code=first17,
            expected=None,
        )
    total = 0
    for position, (symbol, weight) in enumerate(zip(first17, _WEIGHTS, strict=True), start=1):
        value = _VALUE.get(symbol)
        if value is None:
            raise InvalidTaxId(
                f"expected a digit or a capital letter other than I, O, S, V, Z at position "
                f"{position}, got {symbol!r}",
                code=first17,
                expected=None,
            )
        total += value * weight
    return USCC_ALPHABET[(_MODULUS - total % _MODULUS) % _MODULUS]


def check_uscc(code: str) -> None:
    """Raise `InvalidTaxId` unless `code` is a well-formed code with the right check character.

    Lower-case input is rejected rather than folded: the code on an invoice must be exactly
    the registered one.
    """
    if len(code) != _LENGTH:
        raise InvalidTaxId(
            f"expected 18 characters, got {len(code)} in {code!r}", code=code, expected=None
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise InvalidTaxId(
            f"expected check character {expected!r}, got {code[17]!r} in {code!r}",
            code=code,
            expected=expected,
        )


def is_valid_uscc(code: str) -> bool:
    """Whether `code` passes `check_uscc`."""
    try:
        check_uscc(code)
    except InvalidTaxId:
        return False
    return True
