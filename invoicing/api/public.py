"""Public verification of an invoice: no sign-in, rate-limited.

    GET /v1/invoices/verify?number=&date=&total_fen=[&check=][&leaf=]

`check` is the last 6 digits of the check code (or all 20); `leaf` is the record hash
the QR code adds. The PDF's QR code holds exactly this URL, so a phone camera verifies.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from invoicing.ratelimit import VerifyLimits, check_verify_limits
from invoicing.schemas import MAX_DB_INT, VerificationPublic
from invoicing.verification import VERIFY_PATH, verify_invoice
from plumbing.dates import IsoDate
from plumbing.deps import RedisDep, SessionDep

router = APIRouter(tags=["public verification"])


@router.get(VERIFY_PATH, response_model=VerificationPublic)
async def verify(
    request: Request,
    session: SessionDep,
    redis: RedisDep,
    number: Annotated[str, Query(pattern=r"^[0-9]{20}$")],
    issue_date: Annotated[IsoDate, Query(alias="date")],
    total_fen: Annotated[int, Query(ge=0, le=MAX_DB_INT)],
    check: Annotated[str | None, Query(pattern=r"^([0-9]{6}|[0-9]{20})$")] = None,
    leaf: Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{64}$")] = None,
) -> VerificationPublic:
    limits: VerifyLimits = getattr(request.app.state, "verify_limits", VerifyLimits())
    client = request.client.host if request.client else "unknown"
    await check_verify_limits(redis, limits, number=number, client=client)
    # The lookup and the proofs are blocking database work: keep them off the event loop.
    found = await run_in_threadpool(
        verify_invoice,
        session,
        number=number,
        issue_date=issue_date,
        total_fen=total_fen,
        check=check,
        leaf_hex=leaf,
    )
    invoice = found.invoice
    if invoice is None:
        return VerificationPublic(valid=False, number=number)
    return VerificationPublic(
        valid=True,
        number=invoice.number,
        kind=invoice.kind,
        status=invoice.status,
        seller_name=found.seller_name,
        issue_date=invoice.issue_date,
        total_fen=invoice.total_fen,
        record_index=invoice.record_index,
        receipt=found.receipt,
        status_record_index=found.status_record_index,
        status_receipt=found.status_receipt,
    )
