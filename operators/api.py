"""Operator routes under `/v1/operators/{operator_id}/...`: an operator sees its side only.

Statements (JSON with a receipt, CSV), the day's taps as TIDES `fare_transactions`,
and reconciliation: `POST .../reconciliations?day=YYYY-MM-DD` with the journal as the
raw request body (`Content-Type: text/csv`), read as it arrives, never whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio.from_thread
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger.models import LedgerHead
from operators import exports, views
from operators.deps import OperatorDep
from operators.errors import InvalidDay
from operators.reconcile import ReconcileLimits, reconcile
from plumbing.bounds import NonNegativeInt64
from plumbing.deps import SessionDep

__all__ = ["OperatorsConfig", "parse_day", "router"]

router = APIRouter(prefix="/v1/operators", tags=["operators"])


@dataclass(frozen=True, slots=True)
class OperatorsConfig:
    """What the wiring passes down (`app.state.operators_config`)."""

    cut_min: int = 270
    limits: ReconcileLimits = field(default_factory=ReconcileLimits)


def config_of(request: Request) -> OperatorsConfig:
    found = getattr(request.app.state, "operators_config", None)
    return found if isinstance(found, OperatorsConfig) else OperatorsConfig()


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidDay(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def body_chunks(request: Request) -> Iterator[bytes]:
    """The request body as it arrives, for a sync route (it runs in a worker thread)."""
    stream = request.stream().__aiter__()

    async def pull() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None

    while (chunk := anyio.from_thread.run(pull)) is not None:
        if chunk:
            yield chunk


@router.get("/{operator_id}/days/{day}")
def day_view(operator_id: OperatorDep, day: str, session: SessionDep) -> dict[str, Any]:
    """Totals, positions and adjustments of a day, once settled; reports uploaded."""
    return views.day_summary(session, operator_id, parse_day(day))


@router.get("/{operator_id}/statements")
def statements(operator_id: OperatorDep, session: SessionDep) -> list[dict[str, Any]]:
    return views.statement_list(session, operator_id)


@router.get("/{operator_id}/statements/{day}.json")
def statement_json(operator_id: OperatorDep, day: str, session: SessionDep) -> dict[str, object]:
    return exports.statement_document(session, operator_id, parse_day(day))


@router.get("/{operator_id}/statements/{day}.csv")
def statement_csv(operator_id: OperatorDep, day: str, session: SessionDep) -> Response:
    text = exports.statement_table(session, operator_id, parse_day(day))
    return _download(text, f"statement-{operator_id}-{day}.csv")


@router.get("/{operator_id}/trips/{day}.csv")
def trips_tides(operator_id: OperatorDep, day: str, request: Request) -> StreamingResponse:
    """The day's taps on the operator's devices, TIDES fare_transactions, streamed."""
    when, config = parse_day(day), config_of(request)

    def lines() -> Iterator[str]:
        # A session of its own: the request's closes when the handler returns.
        with Session(request.app.state.engine) as session:
            size = session.scalar(select(func.max(col(LedgerHead.tree_size)))) or 0
            yield from exports.tides_lines(
                session, operator=operator_id, day=when, cut_min=config.cut_min, ledger_to=size
            )

    name = f"fare_transactions-{operator_id}-{day}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/{operator_id}/reconciliations", status_code=201)
def upload_journal(
    operator_id: OperatorDep,
    day: Annotated[str, Query(description="the business day, YYYY-MM-DD")],
    request: Request,
    session: SessionDep,
    response: Response,
) -> dict[str, Any]:
    """Reconcile the device journal in the body (our CSV or TIDES) with the ledger."""
    config = config_of(request)
    now = dt.datetime.now(dt.UTC)
    report = reconcile(
        session,
        operator=operator_id,
        day=parse_day(day),
        chunks=body_chunks(request),
        cut_min=config.cut_min,
        now=now,
        limits=config.limits,
    )
    if report.created_at < now:
        response.status_code = 200  # the same upload was reconciled before
    return views.report_with_payments(session, report)


@router.get("/{operator_id}/reconciliations")
def reports(operator_id: OperatorDep, session: SessionDep) -> list[dict[str, Any]]:
    return views.report_list(session, operator_id)


@router.get("/{operator_id}/reconciliations/{report_id}.csv")
def report_csv(operator_id: OperatorDep, report_id: str, request: Request) -> StreamingResponse:
    with Session(request.app.state.engine) as session:
        views.visible_report(session, operator_id, report_id)

    def lines() -> Iterator[str]:
        with Session(request.app.state.engine) as session:
            yield from views.report_csv_lines(session, report_id)

    headers = {"Content-Disposition": f'attachment; filename="reconciliation-{report_id}.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{operator_id}/reconciliations/{report_id}")
def report(operator_id: OperatorDep, report_id: str, session: SessionDep) -> dict[str, Any]:
    return views.report_with_payments(
        session, views.visible_report(session, operator_id, report_id)
    )


@router.get("/{operator_id}/reconciliations/{report_id}/lines")
def report_lines(
    operator_id: OperatorDep,
    report_id: str,
    session: SessionDep,
    kind: str | None = None,
    after: Annotated[NonNegativeInt64, Query()] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Lines in order, `after` a sequence number (cursor), optionally of one kind."""
    views.visible_report(session, operator_id, report_id)
    lines = views.report_lines(session, report_id, kind=kind, after=after, limit=limit)
    next_after = lines[-1]["seq"] if len(lines) == limit else None
    return {"lines": lines, "next_after": next_after}


def _download(text: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
