"""The rider's e-invoicing routes: invoice titles, credit notes and re-titling.

    GET    /v1/me/titles                          the rider's titles
    POST   /v1/me/titles                          add one (a company's tax ID is checked)
    PUT    /v1/me/titles/default                  choose the title of later trips
    DELETE /v1/me/titles/{title_id}
    POST   /v1/me/invoices/{number}/credit        a red-letter credit note (refund, correction)
    POST   /v1/me/invoices/{number}/retitle       credit note + new invoice under a new title

    GET    /v1/me/invoices, /v1/me/invoices/{number}, /v1/me/invoices/{number}/receipt

and the shared reads (`invoicing.api.reads`: XML, PDF, events). `trips.api` mounts this
router under `/v1/me`; the reads come first, so `{number}.xml` never matches `{number}`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlmodel import col, select

from invoicing import titles
from invoicing.api.actions import action_result
from invoicing.api.reads import NumberPath, add_invoice_reads
from invoicing.document import CreditReason
from invoicing.models import Invoice
from invoicing.schemas import (
    MAX_DB_INT,
    ActionResult,
    CreditCreate,
    InvoiceView,
    RetitleCreate,
    TitleCreate,
    TitleDefault,
    TitlePublic,
)
from invoicing.transitions import credit_invoice, retitle_invoice, visible_invoice
from plumbing.bounds import NonNegativeInt64
from plumbing.deps import SessionDep
from trips.deps import RiderActorDep, rider_actor
from trips.receipts import receipt_response

router = APIRouter(tags=["rider invoices"])
add_invoice_reads(router, rider_actor)


@router.get("/titles", response_model=list[TitlePublic])
def list_titles(rider: RiderActorDep, session: SessionDep) -> list[TitlePublic]:
    return [
        TitlePublic.model_validate(t, from_attributes=True)
        for t in titles.list_titles(session, rider.rider_id)
    ]


@router.post("/titles", response_model=TitlePublic, status_code=201)
def add_title(body: TitleCreate, rider: RiderActorDep, session: SessionDep) -> TitlePublic:
    title = titles.add_title(
        session,
        rider_id=rider.rider_id,
        kind=body.kind,
        name=body.name,
        tax_id=body.tax_id,
        make_default=body.is_default,
        now=datetime.now(UTC),
    )
    return TitlePublic.model_validate(title, from_attributes=True)


@router.put("/titles/default", response_model=TitlePublic | None)
def set_default_title(
    body: TitleDefault, rider: RiderActorDep, session: SessionDep
) -> TitlePublic | None:
    title = titles.set_default(session, rider.rider_id, body.title_id)
    return None if title is None else TitlePublic.model_validate(title, from_attributes=True)


@router.delete("/titles/{title_id}", status_code=204, response_class=Response)
def remove_title(
    title_id: Annotated[int, Path(ge=0, le=MAX_DB_INT)], rider: RiderActorDep, session: SessionDep
) -> Response:
    titles.remove_title(session, rider.rider_id, title_id)
    return Response(status_code=204)


@router.post("/invoices/{number}/credit", response_model=ActionResult)
def credit(
    number: NumberPath,
    body: CreditCreate,
    rider: RiderActorDep,
    session: SessionDep,
    request: Request,
) -> ActionResult:
    outcome = credit_invoice(
        session,
        request.app.state.ledger_writer,
        actor=rider,
        number=number,
        reason=CreditReason(body.reason),
        now=datetime.now(UTC),
    )
    return action_result(outcome)


@router.post("/invoices/{number}/retitle", response_model=ActionResult)
def retitle(
    number: NumberPath,
    body: RetitleCreate,
    rider: RiderActorDep,
    session: SessionDep,
    request: Request,
) -> ActionResult:
    if body.title_id is not None:
        buyer = titles.buyer_of(titles.get_title(session, rider.rider_id, body.title_id))
    else:
        assert body.title is not None  # the schema asks for exactly one
        buyer = titles.check_title(session, body.title.kind, body.title.name, body.title.tax_id)
    outcome = retitle_invoice(
        session,
        request.app.state.ledger_writer,
        actor=rider,
        number=number,
        buyer=buyer,
        now=datetime.now(UTC),
    )
    return action_result(outcome)


@router.get("/invoices", response_model=list[InvoiceView])
def list_invoices(
    rider: RiderActorDep,
    session: SessionDep,
    before: Annotated[NonNegativeInt64 | None, Query(description="record_index cursor")] = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> list[InvoiceView]:
    query = select(Invoice).where(Invoice.rider_id == rider.rider_id)
    if before is not None:
        query = query.where(col(Invoice.record_index) < before)
    rows = session.scalars(query.order_by(col(Invoice.record_index).desc()).limit(limit))
    return [InvoiceView.model_validate(i, from_attributes=True) for i in rows]


@router.get("/invoices/{number}/receipt", response_class=Response)
def read_invoice_receipt(number: str, rider: RiderActorDep, session: SessionDep) -> Response:
    invoice = visible_invoice(session, rider, number)
    return receipt_response(session, invoice.record_index, f"invoice-{number}")


@router.get("/invoices/{number}", response_model=InvoiceView)
def read_invoice(number: str, rider: RiderActorDep, session: SessionDep) -> InvoiceView:
    # Someone else's invoice looks exactly like a missing one: numbers are guessable.
    invoice = visible_invoice(session, rider, number)
    return InvoiceView.model_validate(invoice, from_attributes=True)
