"""Micro-benchmarks of the pure invoicing path, for the figures in the design doc.

    python -m bench.invoicing 2000

prints, as JSON:
- `split_number_per_s`: tax splits plus number formatting plus check codes per second,
  the per-trip work the batcher adds when it invoices;
- `xml_render_ms`, `xml_validate_ms`: CII export and XSD validation, per invoice;
- `pdf_fallback_ms`, `pdf_cjk_ms`: one PDF page without and with a CJK font (the latter
  is -1 when no CJK font is installed); measured on at most 20 documents.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from datetime import UTC, datetime, timedelta

from invoicing.checkcode import check_code
from invoicing.cii import render_cii_xml, validate_cii_xml
from invoicing.document import InvoiceDocument, build_document
from invoicing.numbering import format_number
from invoicing.parties import Party, Seller
from invoicing.pdf import find_cjk_font, render_pdf
from invoicing.tax import GENERAL_9, split_tax

__all__ = ["run_bench"]

_SELLER = Seller("深圳市地铁集团有限公司", "914403001922038216", "深圳市福田区", regime=GENERAL_9)
_BUYER = Party("腾讯科技（深圳）有限公司", "91440300708461136T")  # noqa: RUF001 (Chinese parentheses)
_PDF_DOCS = 20


def run_bench(n: int) -> dict[str, float]:
    """Time each step over `n` synthetic invoices (at least 1)."""
    n = max(1, n)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    hashes = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n)]

    began = time.perf_counter()
    for i, leaf in enumerate(hashes):
        split_tax(200 + i % 1000, GENERAL_9)
        format_number(year=2026, channel="1001", sequence=i + 1)
        check_code(leaf)
    split_number_s = time.perf_counter() - began

    docs = [_document(i, start + timedelta(seconds=i), leaf) for i, leaf in enumerate(hashes)]
    began = time.perf_counter()
    xmls = [render_cii_xml(doc) for doc in docs]
    render_s = time.perf_counter() - began
    validate_cii_xml(xmls[0])  # load the schema outside the timing
    began = time.perf_counter()
    for xml in xmls:
        validate_cii_xml(xml)
    validate_s = time.perf_counter() - began

    return {
        "n": float(n),
        "split_number_per_s": n / split_number_s,
        "xml_render_ms": 1000 * render_s / n,
        "xml_validate_ms": 1000 * validate_s / n,
        "pdf_fallback_ms": _pdf_ms(docs[:_PDF_DOCS], cjk=False),
        "pdf_cjk_ms": _pdf_ms(docs[:_PDF_DOCS], cjk=True),
    }


def _document(i: int, issued_at: datetime, leaf: bytes) -> InvoiceDocument:
    return build_document(
        number=format_number(year=2026, channel="1001", sequence=i + 1),
        issued_at=issued_at,
        seller=_SELLER,
        buyer=_BUYER,
        description="深圳地铁 车公庙 → 福田 8 km",
        total_fen=200 + i % 1000,
        regime=GENERAL_9,
        leaf_hash=leaf,
        verify_url=f"https://farechain.example/v1/ledger/invoices/{i + 1}/proof",
    )


def _pdf_ms(docs: list[InvoiceDocument], *, cjk: bool) -> float:
    font = find_cjk_font() if cjk else None
    if cjk and font is None:
        return -1.0
    began = time.perf_counter()
    for doc in docs:
        render_pdf(doc, font=font)
    return 1000 * (time.perf_counter() - began) / len(docs)


if __name__ == "__main__":
    print(json.dumps(run_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))
