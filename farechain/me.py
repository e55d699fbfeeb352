"""The rider's own pages: balance, trips with their quotes, invoices."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlmodel import col, select

from farechain.deps import RiderDep, SessionDep
from farechain.models import Trip
from invoicing.lifecycle import RiderActor
from invoicing.models import Invoice
from invoicing.schemas import InvoiceView
from invoicing.transitions import visible_invoice
from ledger import store

router = APIRouter(prefix="/v1/me", tags=["rider"])


class RiderPublic(BaseModel):
    id: str
    category: str
    balance_fen: int


class TripPublic(BaseModel):
    event_id: str
    mode: str
    operator_id: str
    entry_station: str | None
    exit_station: str | None
    route_id: str | None
    started_at: datetime | None
    ended_at: datetime | None
    distance_m: int | None
    fare_fen: int
    incomplete: bool
    quote: dict[str, Any]
    record_index: int
    block_height: int


class NotYours(Exception):
    status_code = 404
    title = "Not found"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@router.get("", response_model=RiderPublic)
def read_me(rider: RiderDep) -> RiderPublic:
    return RiderPublic(id=rider.id, category=rider.category, balance_fen=rider.balance_fen)


@router.get("/trips", response_model=list[TripPublic])
def list_trips(
    rider: RiderDep,
    session: SessionDep,
    before: int | None = Query(default=None, description="record_index cursor"),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[TripPublic]:
    query = select(Trip).where(Trip.rider_id == rider.id)
    if before is not None:
        query = query.where(col(Trip.record_index) < before)
    trips = session.scalars(query.order_by(col(Trip.record_index).desc()).limit(limit))
    return [
        TripPublic(
            **t.model_dump(exclude={"quote_json", "history_json", "rider_id"}),
            quote=json.loads(t.quote_json),
        )
        for t in trips
    ]


@router.get("/invoices", response_model=list[InvoiceView])
def list_invoices(
    rider: RiderDep,
    session: SessionDep,
    before: int | None = Query(default=None, description="record_index cursor"),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[InvoiceView]:
    query = select(Invoice).where(Invoice.rider_id == rider.id)
    if before is not None:
        query = query.where(col(Invoice.record_index) < before)
    rows = session.scalars(query.order_by(col(Invoice.record_index).desc()).limit(limit))
    return [InvoiceView.model_validate(i, from_attributes=True) for i in rows]


def _receipt(session: SessionDep, index: int, name: str) -> Response:
    text = store.receipt_for(session, index)
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.tlog-proof"'},
    )


@router.get("/trips/{event_id}/receipt", response_class=Response)
def read_trip_receipt(event_id: str, rider: RiderDep, session: SessionDep) -> Response:
    """The trip's record with its inclusion proof and the newest cosigned checkpoint."""
    trip = session.get(Trip, event_id)
    if trip is None or trip.rider_id != rider.id:
        raise NotYours(f"no trip {event_id} among your trips")
    return _receipt(session, trip.record_index, f"trip-{event_id}")


@router.get("/invoices/{number}/receipt", response_class=Response)
def read_invoice_receipt(number: str, rider: RiderDep, session: SessionDep) -> Response:
    invoice = visible_invoice(session, RiderActor(rider.id), number)
    return _receipt(session, invoice.record_index, f"invoice-{number}")


@router.get("/invoices/{number}", response_model=InvoiceView)
def read_invoice(number: str, rider: RiderDep, session: SessionDep) -> InvoiceView:
    # Someone else's invoice looks exactly like a missing one: numbers are guessable.
    invoice = visible_invoice(session, RiderActor(rider.id), number)
    return InvoiceView.model_validate(invoice, from_attributes=True)
