"""Strict base64 and decimal parsing shared by the text formats (notes, checkpoints, receipts).

Standard base64 with padding (RFC 4648, section 4). Decoding is strict: an encoding
that is not the canonical one for its bytes (bad padding, stray characters, non-zero
unused bits) is refused, so every distinct text maps to distinct bytes and a flipped
character is never silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["b64decode_strict", "b64encode", "has_control_chars", "parse_decimal"]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_UINT64_MAX = 2**64 - 1


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: str, what: str) -> bytes:
    """Decode canonical base64 or raise ``ValueError`` naming ``what``."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError(f"{what}: expected base64, got {text!r}") from exc
    if base64.b64encode(data).decode("ascii") != text:
        raise ValueError(f"{what}: expected canonical base64, got {text!r}")
    return data


def parse_decimal(text: str, what: str) -> int:
    """Parse an ASCII decimal with no leading zeroes (``0`` itself allowed), up to 2^64-1."""
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"{what}: expected a decimal with no leading zeroes, got {text!r}")
    value = int(text)
    if value > _UINT64_MAX:
        raise ValueError(f"{what}: expected at most 2^64-1, got {text}")
    return value


def has_control_chars(text: str) -> bool:
    """True when ``text`` holds an ASCII control character other than newline."""
    return any(ch < " " and ch != "\n" for ch in text)
