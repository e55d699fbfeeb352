"""Parties, titles and the checked invoice document."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime

import pytest

from invoicing import (
    GENERAL_9,
    CreditReason,
    InvalidAmount,
    InvalidInvoiceData,
    InvalidInvoiceNumber,
    InvalidTaxId,
    Party,
    Seller,
    check_code,
    company_title,
    exempt,
    individual_title,
    yuan,
)
from tests.invoicing.invoice_builders import TENCENT_USCC, make_document


def test_titles() -> None:
    person = individual_title("张三")
    assert person == Party("张三") and not person.is_company
    company = company_title("腾讯科技（深圳）有限公司", TENCENT_USCC)  # noqa: RUF001
    assert company.is_company and company.tax_id == TENCENT_USCC


def test_a_company_title_with_a_bad_code_says_which_character_it_expected() -> None:
    with pytest.raises(InvalidTaxId) as caught:
        company_title("腾讯", "91440300708461136A")
    assert caught.value.expected == "T"


def test_parties_need_names_and_sellers_need_tax_ids() -> None:
    with pytest.raises(InvalidInvoiceData):
        Party("  ")
    with pytest.raises(InvalidInvoiceData):
        Seller("深圳巴士集团", None, regime=GENERAL_9)
    with pytest.raises(InvalidTaxId):
        Seller("深圳巴士集团", "914403001922038210", regime=GENERAL_9)


def test_build_document_derives_split_and_check_code() -> None:
    doc = make_document(total_fen=700, seed=b"trip-1")
    leaf = hashlib.sha256(b"\x00trip-1").digest()
    assert (doc.total_fen, doc.base_fen, doc.tax_fen) == (700, 642, 58)
    assert doc.check_code == check_code(leaf)
    assert doc.record_hash_hex == leaf.hex()
    assert doc.kind == "invoice" and doc.signed_total_fen == 700


def test_a_credit_note_references_its_original_and_is_negative_when_summed() -> None:
    note = make_document(original_number="26440001000000000001", credit_reason=CreditReason.REFUND)
    assert note.kind == "credit_note" and note.is_credit_note
    assert note.signed_total_fen == -700


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"base_fen": 641}, InvalidAmount),
        ({"base_fen": 643, "tax_fen": 57}, InvalidAmount),  # adds up, but is not the rule
        ({"total_fen": -700, "base_fen": -642, "tax_fen": -58}, InvalidAmount),
        ({"number": "2644000100000000000"}, InvalidInvoiceNumber),
        ({"check_code": "1234"}, InvalidInvoiceData),
        ({"record_hash_hex": "AB" * 32}, InvalidInvoiceData),
        ({"issued_at": datetime(2026, 3, 1)}, InvalidInvoiceData),
        ({"description": " "}, InvalidInvoiceData),
        ({"kind": "receipt"}, InvalidInvoiceData),
        ({"kind": "credit_note"}, InvalidInvoiceData),  # without an original
        ({"original_number": "26440001000000000001"}, InvalidInvoiceData),  # an invoice
        ({"regime": exempt("免税")}, InvalidAmount),  # exempt, yet 58 fen of tax
    ],
)
def test_inconsistent_documents_are_rejected(
    changes: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        dataclasses.replace(make_document(), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "text"), [(642, "6.42"), (5, "0.05"), (0, "0.00"), (-58, "-0.58"), (123456, "1234.56")]
)
def test_yuan(fen: int, text: str) -> None:
    assert yuan(fen) == text
