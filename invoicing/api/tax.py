"""The tax bureau's routes: read everything, total VAT, report anomalies, export.

GET  /v1/tax/invoices                      search, ascending cursor pages + total count
GET  /v1/tax/invoices/{number}             (and the shared reads: .xml, .pdf, events)
GET  /v1/tax/vat-totals                    per seller x day|month x rate x normal|credit
GET  /v1/tax/anomalies
POST /v1/tax/exports                       start a bulk export (202)
GET  /v1/tax/exports/{id}                  its status, size and SHA-256
GET  /v1/tax/exports/{id}/download         the zip
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import FileResponse

from invoicing import exports
from invoicing.anomalies import find_anomalies
from invoicing.api.reads import NumberPath, add_invoice_reads, base_url, sale_context
from invoicing.deps import TaxOfficerDep, tax_bureau_actor
from invoicing.lifecycle import TaxBureauActor
from invoicing.models import ExportJob
from invoicing.queries import search_invoices, vat_totals
from invoicing.schemas import (
    AnomalyPublic,
    ExportCreate,
    ExportPublic,
    InvoiceFilter,
    InvoicePage,
    InvoiceSearch,
    TaxInvoiceView,
    VatQuery,
    VatTotal,
)
from invoicing.transitions import visible_invoice
from plumbing.deps import SessionDep

router = APIRouter(prefix="/v1/tax", tags=["tax bureau"])
add_invoice_reads(router, tax_bureau_actor)


@router.get("/invoices", response_model=InvoicePage)
def search(
    query: Annotated[InvoiceSearch, Query()], officer: TaxOfficerDep, session: SessionDep
) -> InvoicePage:
    page = search_invoices(session, _filter(query), after=query.after, limit=query.limit)
    return InvoicePage(
        total=page.total,
        items=[TaxInvoiceView.model_validate(i, from_attributes=True) for i in page.items],
        next_after=page.next_after,
    )


@router.get("/invoices/{number}", response_model=TaxInvoiceView)
def read_invoice(number: NumberPath, officer: TaxOfficerDep, session: SessionDep) -> TaxInvoiceView:
    invoice = visible_invoice(session, TaxBureauActor(), number)
    return TaxInvoiceView.model_validate(invoice, from_attributes=True)


@router.get("/vat-totals", response_model=list[VatTotal])
def read_vat_totals(
    query: Annotated[VatQuery, Query()], officer: TaxOfficerDep, session: SessionDep
) -> list[VatTotal]:
    rows = vat_totals(session, _filter(query), period=query.period)
    return [VatTotal.model_validate(r, from_attributes=True) for r in rows]


@router.get("/anomalies", response_model=list[AnomalyPublic])
def read_anomalies(
    officer: TaxOfficerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many per kind")] = 100,
) -> list[AnomalyPublic]:
    found = find_anomalies(session, now=datetime.now(UTC), limit=limit)
    return [AnomalyPublic(kind=a.kind, numbers=list(a.numbers), detail=a.detail) for a in found]


@router.post("/exports", response_model=ExportPublic, status_code=202)
def start_export(
    body: ExportCreate,
    officer: TaxOfficerDep,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> ExportPublic:
    job = exports.create_export(
        session,
        officer_id=officer.id,
        query=_filter(body),
        formats=body.formats,
        base_url=base_url(request),
        now=datetime.now(UTC),
    )
    background.add_task(
        exports.run_export,
        request.app.state.engine,
        job.id,
        _var_dir(request),
        sale_context(request),
    )
    return _export_public(job)


@router.get("/exports/{job_id}", response_model=ExportPublic)
def read_export(job_id: str, officer: TaxOfficerDep, session: SessionDep) -> ExportPublic:
    return _export_public(exports.get_export(session, job_id))


@router.get("/exports/{job_id}/download", response_class=FileResponse)
def download_export(
    job_id: str, officer: TaxOfficerDep, session: SessionDep, request: Request
) -> FileResponse:
    path = exports.finished_archive(session, _var_dir(request), job_id)
    return FileResponse(path, media_type="application/zip", filename=f"invoices-{job_id}.zip")


def _filter(query: InvoiceFilter) -> InvoiceFilter:
    return InvoiceFilter.model_validate(query.model_dump(include=set(InvoiceFilter.model_fields)))


def _var_dir(request: Request) -> Path:
    return Path(getattr(request.app.state, "var_dir", "var"))


def _export_public(job: ExportJob) -> ExportPublic:
    return ExportPublic(
        id=job.id,
        status=job.status,
        formats=job.formats.split(","),
        created_at=job.created_at,
        finished_at=job.finished_at,
        invoice_count=job.invoice_count,
        archive_bytes=job.archive_bytes,
        archive_sha256=job.archive_sha256,
        error=job.error,
    )
