"""Stored invoices as documents: their EN 16931 CII XML and their PDF, made on demand.

A document is assembled from the invoice's ledger record (seller, buyer, amounts,
regime, credit reason), its row (status-free fields agree with the record; the audit
sees to it), the trip it invoices (the line's description) and the seller's exemption
reason. The record's leaf hash and the public verification URL go into the XML's
supporting document and the PDF's QR code. Rows are loaded in batches, so an export of
thousands of invoices costs a handful of queries per batch, not several per invoice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.models import Operator, Trip
from invoicing.cii import render_cii_xml
from invoicing.document import CreditReason, InvoiceDocument
from invoicing.models import Invoice
from invoicing.parties import Party, Seller
from invoicing.pdf import render_pdf
from invoicing.tax import TaxRegime
from invoicing.verification import verify_url
from ledger.models import LedgerRecord

__all__ = ["describe_trip", "invoice_pdf", "invoice_xml", "load_documents"]

_SERVICES = {"metro": "城市轨道交通客运服务", "bus": "公共汽车客运服务", "taxi": "出租汽车客运服务"}
# What an exempt seller's invoices say when its row lost the legal reason.
_EXEMPT_FALLBACK = "VAT exempt passenger transport"


def invoice_xml(session: Session, invoice: Invoice, base_url: str) -> bytes:
    return render_cii_xml(load_documents(session, [invoice], base_url)[0])


def invoice_pdf(session: Session, invoice: Invoice, base_url: str) -> bytes:
    return render_pdf(load_documents(session, [invoice], base_url)[0])


def load_documents(
    session: Session, invoices: Sequence[Invoice], base_url: str
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
    trips = {
        t.event_id: t
        for t in session.scalars(
            select(Trip).where(col(Trip.event_id).in_({i.trip_event_id for i in invoices}))
        )
    }
    reasons = {
        op_id: reason
        for op_id, reason in session.execute(
            select(col(Operator.id), col(Operator.exemption_reason)).where(
                col(Operator.id).in_({i.seller_id for i in invoices})
            )
        )
    }
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
                description=describe_trip(trips.get(invoice.trip_event_id)),
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


def describe_trip(trip: Trip | None) -> str:
    """The invoice line, as Chinese invoices name a service: *category*item, then details."""
    if trip is None:
        return "*运输服务*客运服务"
    label = f"*运输服务*{_SERVICES.get(trip.mode, '客运服务')}"
    km = "" if trip.distance_m is None else f" {trip.distance_m / 1000:.1f} km"
    if trip.mode == "metro":
        return f"{label} {trip.entry_station or '?'} → {trip.exit_station or '?'}{km}"
    if trip.mode == "bus":
        return f"{label} {trip.route_id or '?'}"
    return f"{label}{km}"


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
