"""The invoice document: everything an export (XML, PDF) shows, as one checked value.

An `InvoiceDocument` is either an invoice or a red-letter credit note (红字发票) that
reverses an earlier invoice in full. Amounts are always non-negative fen: as in EN 16931,
where a credit note (type 381) carries positive amounts, the kind gives the sign, and
`signed_total_fen` applies it for readers that add invoices and credit notes up.

`build_document` assembles one from the trip's total and the ledger's leaf hash, so the
tax split and the check code cannot disagree with the rules in `tax` and `checkcode`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from invoicing.checkcode import CHECK_CODE_DIGITS, check_code
from invoicing.errors import InvalidAmount, InvalidInvoiceData, InvalidInvoiceNumber
from invoicing.numbering import NUMBER_DIGITS
from invoicing.parties import Party, Seller
from invoicing.tax import TaxRegime, split_tax
from invoicing.text import check_text

__all__ = ["CreditReason", "DocumentKind", "InvoiceDocument", "build_document", "yuan"]

DocumentKind = Literal["invoice", "credit_note"]
_HASH_HEX = re.compile(r"[0-9a-f]{64}")


class CreditReason(StrEnum):
    """Why a credit note reverses an invoice."""

    REFUND = "refund"
    FARE_CORRECTION = "fare_correction"
    RETITLE = "retitle"


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceDocument:
    """One invoice or credit note, ready to export.

    `regime` is the seller's regime in force when the document was issued (it may differ
    from `seller.regime` today). A credit note names the invoice it reverses in
    `original_number` (and, when known, `original_issued_at`) and says why.
    """

    number: str
    kind: DocumentKind
    issued_at: datetime
    seller: Seller
    buyer: Party
    description: str
    total_fen: int
    base_fen: int
    tax_fen: int
    regime: TaxRegime
    check_code: str
    record_hash_hex: str
    verify_url: str
    original_number: str | None = None
    original_issued_at: datetime | None = None
    credit_reason: CreditReason | None = None

    def __post_init__(self) -> None:
        _require_number("number", self.number)
        if self.issued_at.tzinfo is None:
            raise InvalidInvoiceData(f"expected an aware issue time, got naive {self.issued_at}")
        for name in ("total_fen", "base_fen", "tax_fen"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise InvalidAmount(f"expected {name} to be an integer >= 0, got {value!r}")
        # The split is a rule, not data: an export never shows amounts it would not compute.
        split = split_tax(self.total_fen, self.regime)
        if (self.base_fen, self.tax_fen) != (split.base_fen, split.tax_fen):
            raise InvalidAmount(
                f"expected base {split.base_fen} + tax {split.tax_fen} fen for a total of "
                f"{self.total_fen} fen at {self.regime.percent}%, "
                f"got {self.base_fen} + {self.tax_fen} fen"
            )
        if not _is_digits(self.check_code, CHECK_CODE_DIGITS):
            raise InvalidInvoiceData(f"expected a 20-digit check code, got {self.check_code!r}")
        if not _HASH_HEX.fullmatch(self.record_hash_hex):
            raise InvalidInvoiceData(
                f"expected 64 lower-case hex digits of record hash, got {self.record_hash_hex!r}"
            )
        check_text("description", self.description)
        check_text("verification URL", self.verify_url)
        if self.kind == "credit_note":
            if self.original_number is None or self.credit_reason is None:
                raise InvalidInvoiceData(
                    "expected a credit note to name the original invoice and a reason, "
                    f"got original {self.original_number!r}, reason {self.credit_reason!r}"
                )
            _require_number("original number", self.original_number)
        elif self.kind == "invoice":
            references = (self.original_number, self.original_issued_at, self.credit_reason)
            if any(reference is not None for reference in references):
                raise InvalidInvoiceData("expected an invoice to reference no original")
        else:
            raise InvalidInvoiceData(f"expected kind 'invoice' or 'credit_note', got {self.kind!r}")

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def signed_total_fen(self) -> int:
        return -self.total_fen if self.is_credit_note else self.total_fen


def build_document(
    *,
    number: str,
    issued_at: datetime,
    seller: Seller,
    buyer: Party,
    description: str,
    total_fen: int,
    regime: TaxRegime,
    leaf_hash: bytes,
    verify_url: str,
    original_number: str | None = None,
    original_issued_at: datetime | None = None,
    credit_reason: CreditReason | None = None,
) -> InvoiceDocument:
    """A document whose tax split and check code are derived, not passed in.

    A credit note (when `original_number` is given) should be built with the original's
    total and regime, so it reverses exactly what the original charged.
    """
    split = split_tax(total_fen, regime)
    return InvoiceDocument(
        number=number,
        kind="invoice" if original_number is None else "credit_note",
        issued_at=issued_at,
        seller=seller,
        buyer=buyer,
        description=description,
        total_fen=split.total_fen,
        base_fen=split.base_fen,
        tax_fen=split.tax_fen,
        regime=regime,
        check_code=check_code(leaf_hash),
        record_hash_hex=leaf_hash.hex(),
        verify_url=verify_url,
        original_number=original_number,
        original_issued_at=original_issued_at,
        credit_reason=credit_reason,
    )


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals: 642 -> "6.42", -58 -> "-0.58"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _is_digits(text: str, length: int) -> bool:
    return len(text) == length and all("0" <= c <= "9" for c in text)


def _require_number(what: str, text: str) -> None:
    if not _is_digits(text, NUMBER_DIGITS):
        raise InvalidInvoiceNumber(f"expected a 20-digit {what}, got {text!r}")
