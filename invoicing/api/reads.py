"""Read routes every invoice reader shares: documents, history and receipts.

The rider (`/v1/me`), the buyer company (`/v1/companies/me`) and the tax bureau
(`/v1/tax`) each get the same routes under their prefix, and see only the invoices
`invoicing.lifecycle.authorize_read` lets them; any other number is not found:

    GET /invoices/{number}.xml                     EN 16931 CII (380, or 381 for a credit note)
    GET /invoices/{number}.pdf                     the printable invoice with its QR code
    GET /invoices/{number}/events                  its issue and every change, with indexes
    GET /invoices/{number}/events/{index}/receipt  tlog-proof of one of those records

Register them before any `/invoices/{number}` route: that one would also match
`<number>.xml`.
"""

# No `from __future__ import annotations`: FastAPI must see the local `ActorDep` alias in
# the route signatures below as an object, not as a name to look up in module globals.

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlmodel import col, select

from invoicing.errors import InvoiceNotFound
from invoicing.lifecycle import Actor, RiderActor
from invoicing.models import InvoiceEvent
from invoicing.render import SaleContext, invoice_pdf, invoice_xml
from invoicing.schemas import MAX_DB_INT, EventPublic
from invoicing.transitions import visible_invoice
from ledger import store
from plumbing.deps import SessionDep

__all__ = ["IndexPath", "NumberPath", "add_invoice_reads", "base_url", "sale_context"]

NumberPath = Annotated[str, Path(pattern=r"^[0-9]{20}$", description="20-digit invoice number")]
IndexPath = Annotated[int, Path(ge=0, le=MAX_DB_INT, description="ledger record index")]


def base_url(request: Request) -> str:
    return str(request.base_url)


def sale_context(request: Request) -> SaleContext:
    """What the selling domain says of each sale; the app factory sets it."""
    context: SaleContext = request.app.state.sale_context
    return context


def add_invoice_reads(router: APIRouter, actor: Callable[..., Actor]) -> None:
    ActorDep = Annotated[Actor, Depends(actor)]

    @router.get("/invoices/{number}.xml", response_class=Response)
    def read_invoice_xml(
        number: NumberPath, who: ActorDep, session: SessionDep, request: Request
    ) -> Response:
        invoice = visible_invoice(session, who, number)
        xml = invoice_xml(session, invoice, base_url(request), sale_context(request))
        return _attachment(xml, "application/xml", f"{number}.xml")

    @router.get("/invoices/{number}.pdf", response_class=Response)
    def read_invoice_pdf(
        number: NumberPath, who: ActorDep, session: SessionDep, request: Request
    ) -> Response:
        invoice = visible_invoice(session, who, number)
        pdf = invoice_pdf(session, invoice, base_url(request), sale_context(request))
        return _attachment(pdf, "application/pdf", f"{number}.pdf")

    @router.get("/invoices/{number}/events", response_model=list[EventPublic])
    def list_invoice_events(
        number: NumberPath, who: ActorDep, session: SessionDep
    ) -> list[EventPublic]:
        invoice = visible_invoice(session, who, number)
        issue = EventPublic(
            record_index=invoice.record_index,
            action="issue",
            status="issued",
            actor_kind=None,
            actor_id=None,
            at=invoice.issued_at,
        )
        changes = session.scalars(
            select(InvoiceEvent)
            .where(col(InvoiceEvent.number) == number)
            .order_by(col(InvoiceEvent.record_index))
        )
        return [issue, *(EventPublic.model_validate(e, from_attributes=True) for e in changes)]

    @router.get("/invoices/{number}/events/{index}/receipt", response_class=Response)
    def read_invoice_event_receipt(
        number: NumberPath, index: IndexPath, who: ActorDep, session: SessionDep
    ) -> Response:
        invoice = visible_invoice(session, who, number)
        event = session.get(InvoiceEvent, index)
        if index != invoice.record_index and (event is None or event.number != number):
            raise InvoiceNotFound(
                f"expected the index of one of invoice {number}'s records, got {index}"
            )
        return _attachment(
            # The rider's own receipt opens the personal fields; a company's does not.
            store.receipt_for(session, index, with_opening=isinstance(who, RiderActor)).encode(),
            "text/plain; charset=utf-8",
            f"invoice-{number}-{index}.tlog-proof",
        )


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
