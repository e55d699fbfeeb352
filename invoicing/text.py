"""Free text on invoices (names, addresses, descriptions, reasons): what exports can carry.

Every text field ends up in the CII XML, and XML 1.0 cannot hold control characters other
than tab and newlines, lone surrogates, or U+FFFE and U+FFFF. We also refuse tabs and
newlines (an invoice field is one line) and invisible format characters (zero-width and
bidirectional controls, which let one name pose as another): plumbing.text's rule, the
one the API's name fields follow. Checking when a value is built names the field;
failing later, in the batcher's export, would not.
"""

from __future__ import annotations

from invoicing.errors import InvalidInvoiceData
from plumbing.text import text_fault

__all__ = ["check_text"]


def check_text(what: str, value: str) -> None:
    """Raise `InvalidInvoiceData` unless `value` is non-blank, printable, one-line text."""
    fault = text_fault(value)
    if fault is not None:
        raise InvalidInvoiceData(f"{what}: {fault} in {value!r}")
