"""Free text a person types and others read: names, labels, titles.

A name is shown to other parties (an invoice's buyer, the tax bureau) and printed. Unicode
format characters (category Cf) render as nothing: zero-width spaces and joiners, and the
bidirectional controls that reorder what follows, so "\u202e\u200bX" can pose as another
name or hide a different one. Control characters (Cc) break a one-line field, and lone
surrogates and U+FFFE/U+FFFF cannot be encoded in UTF-8 or XML. `NameText` refuses them
all, in the schema, so the answer is a 422 naming the field and the character.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = ["NameText", "one_line_text", "text_fault"]

_NONCHARACTERS = frozenset("\ufffe\uffff")
_KINDS = {
    "Cc": "control character",
    "Cf": "invisible format character (zero-width or bidirectional control)",
    "Cs": "lone surrogate",
}


def text_fault(value: str) -> str | None:
    """Why `value` is no printable one-line text, or None when it is."""
    if not value.strip():
        return f"expected a non-empty visible text, got {value!r}"
    for char in value:
        if char in _NONCHARACTERS:
            return f"expected printable one-line text, got noncharacter U+{ord(char):04X}"
        kind = _KINDS.get(unicodedata.category(char))
        if kind is not None:
            return f"expected printable one-line text, got {kind} U+{ord(char):04X}"
    return None


def one_line_text(value: str) -> str:
    """A pydantic after-validator: `value`, or ValueError saying what is wrong with it."""
    fault = text_fault(value)
    if fault is not None:
        raise ValueError(fault)
    return value


NameText = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(one_line_text)]
"""A name or label: 1 to 100 characters of visible one-line text."""
