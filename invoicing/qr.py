"""The QR code printed on an invoice: where to verify it, and which ledger record it is.

The payload is the verification URL with the record's leaf hash added as the query
parameter `leaf` (hex), so a phone camera opens the verifier and the verifier can check
the record it is shown against the hash the paper carries. The image is a PNG (ISO/IEC
18004 QR, error correction level M, 4-module quiet zone) in 8-bit grey, which every PDF
reader and barcode scanner handles.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import qrcode  # type: ignore[import-untyped,unused-ignore]
from qrcode.constants import ERROR_CORRECT_M  # type: ignore[import-untyped,unused-ignore]

__all__ = ["LEAF_PARAMETER", "qr_png", "verification_payload"]

LEAF_PARAMETER = "leaf"


def verification_payload(verify_url: str, record_hash_hex: str) -> str:
    """`verify_url` with `leaf=<record_hash_hex>` added to its query."""
    parts = urlsplit(verify_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query.append((LEAF_PARAMETER, record_hash_hex))
    return urlunsplit(parts._replace(query=urlencode(query)))


def qr_png(text: str, *, box_px: int = 8) -> bytes:
    """A PNG of the QR code holding `text`."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_px, border=4)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image().get_image().convert("L")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
