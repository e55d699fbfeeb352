"""The 20-digit check code (校验码) printed on an invoice, derived from its ledger record.

Chinese e-invoices carry a 20-digit check code that a verifier types in with the number,
date and total. Ours binds the invoice to its ledger record: the code is the record's
RFC 6962 leaf hash, SHA-256(0x00 || record), read as a big-endian integer, modulo 10**20,
zero-padded. 2**256 is so much larger than 10**20 that the modulo bias is below 10**-57,
and anyone holding the record (a receipt carries it) can recompute the code.
"""

from __future__ import annotations

from invoicing.errors import InvalidInvoiceData

__all__ = ["CHECK_CODE_DIGITS", "check_code"]

CHECK_CODE_DIGITS = 20
_LEAF_HASH_BYTES = 32


def check_code(leaf_hash: bytes) -> str:
    """The check code of the record whose SHA-256 leaf hash is `leaf_hash`."""
    if len(leaf_hash) != _LEAF_HASH_BYTES:
        raise InvalidInvoiceData(
            f"expected a {_LEAF_HASH_BYTES}-byte SHA-256 leaf hash, got {len(leaf_hash)} bytes"
        )
    value = int.from_bytes(leaf_hash, "big") % 10**CHECK_CODE_DIGITS
    return f"{value:0{CHECK_CODE_DIGITS}d}"
