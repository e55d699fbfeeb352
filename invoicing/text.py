"""Free text on invoices (names, addresses, descriptions, reasons): what exports can carry.

Every text field ends up in the CII XML, and XML 1.0 cannot hold control characters other
than tab and newlines, lone surrogates, or U+FFFE and U+FFFF. We also refuse tabs and
newlines: an invoice field is one line. Checking when a value is built names the field;
failing later, in the batcher's export, would not.
"""

from __future__ import annotations

import unicodedata

from invoicing.errors import InvalidInvoiceData

__all__ = ["check_text"]

_NONCHARACTERS = frozenset("\ufffe\uffff")


def check_text(what: str, value: str) -> None:
    """Raise `InvalidInvoiceData` unless `value` is non-blank, printable, one-line text."""
    if not value.strip():
        raise InvalidInvoiceData(f"expected a non-empty {what}, got {value!r}")
    for char in value:
        if char in _NONCHARACTERS or unicodedata.category(char) in ("Cc", "Cs"):
            raise InvalidInvoiceData(
                f"expected printable text in the {what}, got {char!r} in {value!r}"
            )
