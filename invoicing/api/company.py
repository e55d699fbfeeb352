"""The buyer company's routes: its invoices, and reimbursement claims on them.

    GET  /v1/companies/me/invoices                 invoices titled to the company, paged
    GET  /v1/companies/me/invoices/{number}
    POST /v1/companies/me/invoices/lock            {"numbers": [...]}: claim them
    POST /v1/companies/me/invoices/unlock          withdraw the claim
    POST /v1/companies/me/invoices/reimburse       settle the claim (final)
    DELETE /v1/companies/me/token                  revoke the company's token

Each POST is all or nothing: one ledger block, one record per invoice, or, if any one
invoice may not move, nothing at all and the reason for the first that may not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from invoicing.accounts import revoke_company_token
from invoicing.api.actions import action_result
from invoicing.api.reads import NumberPath, add_invoice_reads
from invoicing.deps import CompanyDep, company_actor
from invoicing.lifecycle import Action
from invoicing.queries import search_invoices
from invoicing.schemas import (
    MAX_DB_INT,
    ActionResult,
    InvoiceFilter,
    InvoiceView,
    NumberBatch,
    Status,
)
from invoicing.transitions import change_status, visible_invoice
from plumbing.deps import SessionDep

router = APIRouter(prefix="/v1/companies/me", tags=["buyer companies"])
add_invoice_reads(router, company_actor)


@router.delete("/token", status_code=204)
def revoke_token(company: CompanyDep, session: SessionDep) -> Response:
    """The company's token stops working at once; the tax bureau issues a new one."""
    revoke_company_token(session, company.tax_id, datetime.now(UTC))
    return Response(status_code=204)


class CompanyInvoicePage(BaseModel):
    total: int
    items: list[InvoiceView]
    next_after: int | None


@router.get("/invoices", response_model=CompanyInvoicePage)
def list_invoices(
    company: CompanyDep,
    session: SessionDep,
    status: Status | None = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_DB_INT, description="record_index cursor")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CompanyInvoicePage:
    query = InvoiceFilter(buyer_tax_id=company.tax_id, status=status)
    page = search_invoices(session, query, after=after, limit=limit)
    return CompanyInvoicePage(
        total=page.total,
        items=[InvoiceView.model_validate(i, from_attributes=True) for i in page.items],
        next_after=page.next_after,
    )


@router.get("/invoices/{number}", response_model=InvoiceView)
def read_invoice(number: NumberPath, company: CompanyDep, session: SessionDep) -> InvoiceView:
    return InvoiceView.model_validate(
        visible_invoice(session, company, number), from_attributes=True
    )


def _act(action: Action) -> Callable[..., ActionResult]:
    def act(
        body: NumberBatch, company: CompanyDep, session: SessionDep, request: Request
    ) -> ActionResult:
        outcome = change_status(
            session,
            request.app.state.ledger_writer,
            actor=company,
            action=action,
            numbers=body.numbers,
            now=datetime.now(UTC),
        )
        return action_result(outcome)

    act.__name__ = f"{action}_invoices"
    act.__doc__ = f"{str(action).capitalize()} every invoice listed, or none of them."
    return act


for _action in (Action.LOCK, Action.UNLOCK, Action.REIMBURSE):
    router.add_api_route(
        f"/invoices/{_action}", _act(_action), methods=["POST"], response_model=ActionResult
    )
