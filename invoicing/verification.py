"""Public verification: anyone holding an invoice checks it against the database.

The caller gives what is printed on the invoice: its number, issue date and total, and
optionally the last 6 digits of the check code (or all 20) and the record's leaf hash
(the QR code carries it). The answer is valid or not, the status, and the receipts
proving the invoice record, and the latest change of status, against a signed
checkpoint. A mismatch says only "not valid": which field was wrong would help someone
guess the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.models import Invoice, InvoiceEvent
from ledger import store
from ledger.models import LedgerRecord

__all__ = ["CHECK_SUFFIX_DIGITS", "VERIFY_PATH", "Verification", "verify_invoice", "verify_url"]

VERIFY_PATH = "/v1/invoices/verify"
CHECK_SUFFIX_DIGITS = 6


@dataclass(frozen=True, slots=True)
class Verification:
    invoice: Invoice | None
    seller_name: str | None = None
    receipt: str | None = None
    status_receipt: str | None = None
    status_record_index: int | None = None

    @property
    def valid(self) -> bool:
        return self.invoice is not None


def verify_url(base_url: str, invoice: Invoice) -> str:
    """The URL that verifies `invoice`, as printed in its QR code (without the leaf)."""
    query = urlencode(
        {
            "number": invoice.number,
            "date": invoice.issue_date,
            "total_fen": invoice.total_fen,
            "check": invoice.check_code[-CHECK_SUFFIX_DIGITS:],
        }
    )
    return f"{base_url.rstrip('/')}{VERIFY_PATH}?{query}"


def verify_invoice(
    session: Session,
    *,
    number: str,
    issue_date: date,
    total_fen: int,
    check: str | None = None,
    leaf_hex: str | None = None,
) -> Verification:
    invoice = session.get(Invoice, number)
    if invoice is None or not _matches(session, invoice, issue_date, total_fen, check, leaf_hex):
        return Verification(None)
    event_index = session.scalar(
        select(col(InvoiceEvent.record_index))
        .where(col(InvoiceEvent.number) == number)
        .order_by(col(InvoiceEvent.record_index).desc())
        .limit(1)
    )
    record = session.get(LedgerRecord, invoice.record_index)
    seller = json.loads(record.body)["seller"] if record is not None else {}
    # Both receipts against the same (newest) checkpoint: one block lookup, not two.
    block = store.latest_block(session)
    return Verification(
        invoice,
        seller_name=seller.get("name"),
        receipt=store.receipt_for(session, invoice.record_index, block),
        status_receipt=None
        if event_index is None
        else store.receipt_for(session, event_index, block),
        status_record_index=event_index,
    )


def _matches(
    session: Session,
    invoice: Invoice,
    issue_date: date,
    total_fen: int,
    check: str | None,
    leaf_hex: str | None,
) -> bool:
    if invoice.issue_date != issue_date.isoformat() or invoice.total_fen != total_fen:
        return False
    if check is not None and not (
        len(check) in (CHECK_SUFFIX_DIGITS, len(invoice.check_code))
        and invoice.check_code.endswith(check)
    ):
        return False
    if leaf_hex is not None:
        record = session.get(LedgerRecord, invoice.record_index)
        if record is None or record.leaf_hash.hex() != leaf_hex.lower():
            return False
    return True
