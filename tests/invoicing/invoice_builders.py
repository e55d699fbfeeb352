"""Typed builders of invoicing values for the tests (plain functions, data in sight)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from invoicing import (
    GENERAL_9,
    CreditReason,
    InvoiceDocument,
    Party,
    Seller,
    TaxRegime,
    build_document,
    company_title,
)

# Real, published unified social credit codes (their check characters verify).
HUAWEI_USCC = "914403001922038216"  # 华为技术有限公司
TENCENT_USCC = "91440300708461136T"  # 腾讯科技（深圳）有限公司  # noqa: RUF003
XIAOMI_USCC = "91110108551385082Q"  # 小米科技有限责任公司

ISSUED_AT = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)  # 10:30 in Shenzhen


def make_seller(*, regime: TaxRegime = GENERAL_9) -> Seller:
    # The seller's code is Huawei's only because it is a real, valid one.
    return Seller("深圳市地铁集团有限公司", HUAWEI_USCC, "深圳市福田区", regime=regime)


def make_buyer() -> Party:
    return company_title("腾讯科技（深圳）有限公司", TENCENT_USCC)  # noqa: RUF001


def make_document(
    *,
    total_fen: int = 700,
    regime: TaxRegime = GENERAL_9,
    buyer: Party | None = None,
    number: str = "26440001000000000007",
    original_number: str | None = None,
    credit_reason: CreditReason | None = None,
    description: str = "深圳地铁 车公庙 → 福田 8 km",
    verify_url: str = "https://farechain.example/v1/ledger/invoices/26440001000000000007/proof",
    seed: bytes = b"record",
) -> InvoiceDocument:
    return build_document(
        number=number,
        issued_at=ISSUED_AT,
        seller=make_seller(regime=regime),
        buyer=make_buyer() if buyer is None else buyer,
        description=description,
        total_fen=total_fen,
        regime=regime,
        leaf_hash=hashlib.sha256(b"\x00" + seed).digest(),
        verify_url=verify_url,
        original_number=original_number,
        original_issued_at=ISSUED_AT if original_number else None,
        credit_reason=credit_reason,
    )
