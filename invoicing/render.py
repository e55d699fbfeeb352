"""Stored invoices as documents: their EN 16931 CII XML and their PDF, made on demand.

A document is assembled from the invoice's ledger record (seller, buyer, amounts,
regime, credit reason), its row (status-free fields agree with the record; the audit
sees to it), and what the selling domain says of the sale (a `SaleContext`: the line's
description of the trip, the seller's exemption reason); the wiring hands that in, so
e-invoicing knows nothing of trips. The record's leaf hash and the public verification
URL go into the XML's supporting document and the PDF's QR code. Rows are loaded in
batches, so an export of thousands of invoices costs a handful of queries per batch, not
several per invoice.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.cii import render_cii_xml
from invoicing.document import CreditReason, InvoiceDocument
from invoicing.models import Invoice
from invoicing.parties import Party, Seller
from invoicing.pdf import render_pdf
from invoicing.tax import TaxRegime
from invoicing.verification import verify_url
from ledger.models import LedgerRecord

__all__ = ["GENERIC_LINE", "SaleContext", "invoice_pdf", "invoice_xml", "load_documents"]

GENERIC_LINE = "*运输服务*客运服务"  # the line of an invoice whose trip is not known
# What an exempt seller's invoices say when its row lost the legal reason.
_EXEMPT_FALLBACK = "VAT exempt passenger transport"


class SaleContext(Protocol):
    """What an invoice document needs from the domain that sold the service."""

    def describe(self, session: Session, trip_event_ids: Collection[str]) -> Mapping[str, str]:
        """The invoice line of each trip found, as Chinese invoices name a service."""
        ...

    def exemption_reasons(
        self, session: Session, seller_ids: Collection[str]
    ) -> Mapping[str, str | None]:
        """Each seller's legal reason for VAT exemption, where it has one."""
        ...


def invoice_xml(session: Session, invoice: Invoice, base_url: str, sale: SaleContext) -> bytes:
    return render_cii_xml(load_documents(session, [invoice], base_url, sale)[0])


def invoice_pdf(session: Session, invoice: Invoice, base_url: str, sale: SaleContext) -> bytes:
    return render_pdf(load_documents(session, [invoice], base_url, sale)[0])


def load_documents(
    session: Session, invoices: Sequence[Invoice], base_url: str, sale: SaleContext
) -> list[InvoiceDocument]:
    """The document of each invoice, in order."""
    if not invoices:
        return []
    bodies = {
        idx: (body, leaf)
        for idx, body, leaf in session.execute(
            select(
                col(LedgerRecord.idx), col(LedgerRecord.body), col(LedgerRecord.leaf_hash)
            ).where(col(LedgerRecord.idx).in_([i.record_index for i in invoices]))
        )
    }
    lines = sale.describe(session, {i.trip_event_id for i in invoices})
    reasons = sale.exemption_reasons(session, {i.seller_id for i in invoices})
    originals = {
        number: issued_at
        for number, issued_at in session.execute(
            select(col(Invoice.number), col(Invoice.issued_at)).where(
                col(Invoice.number).in_({i.original_number for i in invoices if i.original_number})
            )
        )
    }
    documents = []
    for invoice in invoices:
        if invoice.record_index not in bodies:
            raise LookupError(f"expected a ledger record for invoice {invoice.number}, got none")
        body, leaf = bodies[invoice.record_index]
        record = json.loads(body)
        regime = TaxRegime(
            invoice.regime,  # type: ignore[arg-type]  # checked by TaxRegime itself
            invoice.rate_bp,
            (reasons.get(invoice.seller_id) or _EXEMPT_FALLBACK)
            if invoice.regime == "exempt"
            else None,
        )
        seller = record["seller"]
        original_at = originals.get(invoice.original_number or "")
        documents.append(
            InvoiceDocument(
                number=invoice.number,
                kind="credit_note" if invoice.kind == "credit_note" else "invoice",
                issued_at=_aware(invoice.issued_at),
                seller=Seller(seller["name"], seller["tax_id"], regime=regime),
                buyer=Party(invoice.buyer_name, invoice.buyer_tax_id),
                description=lines.get(invoice.trip_event_id, GENERIC_LINE),
                total_fen=invoice.total_fen,
                base_fen=invoice.base_fen,
                tax_fen=invoice.tax_fen,
                regime=regime,
                check_code=invoice.check_code,
                record_hash_hex=leaf.hex(),
                verify_url=verify_url(base_url, invoice),
                original_number=invoice.original_number,
                original_issued_at=None if original_at is None else _aware(original_at),
                credit_reason=CreditReason(record["reason"]) if "reason" in record else None,
            )
        )
    return documents


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
