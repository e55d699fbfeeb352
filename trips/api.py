"""The rider's own routes under `/v1/me`: balance, trips with their quotes, receipts, and
(from `trips.invoice_api`) invoices, titles and their changes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlmodel import col, select

from plumbing.deps import SessionDep
from trips import invoice_api
from trips.deps import RiderDep
from trips.errors import TripNotFound
from trips.models import Trip
from trips.receipts import receipt_response

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


@router.get("/trips/{event_id}/receipt", response_class=Response)
def read_trip_receipt(event_id: str, rider: RiderDep, session: SessionDep) -> Response:
    """The trip's record with its inclusion proof and the newest cosigned checkpoint."""
    trip = session.get(Trip, event_id)
    if trip is None or trip.rider_id != rider.id:
        raise TripNotFound(f"no trip {event_id} among your trips")
    return receipt_response(session, trip.record_index, f"trip-{event_id}")


router.include_router(invoice_api.router)  # its routes under /v1/me too
