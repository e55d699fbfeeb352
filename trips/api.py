"""The rider's own routes under `/v1/me`: balance, trips with their quotes, receipts, and
(from `trips.invoice_api`) invoices, titles and their changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from plumbing.bounds import NonNegativeInt64
from plumbing.deps import SessionDep
from trips import invoice_api, service
from trips.deps import RiderDep
from trips.receipts import receipt_response
from trips.schemas import RiderPublic, TripPublic
from trips.tokens import revoke_rider_token

router = APIRouter(prefix="/v1/me", tags=["rider"])


@router.get("", response_model=RiderPublic)
def read_me(rider: RiderDep) -> RiderPublic:
    return RiderPublic(id=rider.id, category=rider.category, balance_fen=rider.balance_fen)


@router.delete("/token", status_code=204)
def revoke_token(rider: RiderDep, session: SessionDep) -> Response:
    """Sign out everywhere: the token stops working at once (a new one: sign up again)."""
    revoke_rider_token(session, rider.id, datetime.now(UTC))
    return Response(status_code=204)


@router.get("/trips", response_model=list[TripPublic])
def list_trips(
    rider: RiderDep,
    session: SessionDep,
    before: Annotated[NonNegativeInt64 | None, Query(description="record_index cursor")] = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> list[TripPublic]:
    trips = service.list_trips(session, rider_id=rider.id, before=before, limit=limit)
    numbers = service.invoice_numbers(session, [t.event_id for t in trips])
    return [TripPublic.of(t, numbers.get(t.event_id)) for t in trips]


@router.get("/trips/{event_id}/receipt", response_class=Response)
def read_trip_receipt(event_id: str, rider: RiderDep, session: SessionDep) -> Response:
    """The trip's record with its inclusion proof and the newest cosigned checkpoint."""
    trip = service.rider_trip(session, rider_id=rider.id, event_id=event_id)
    return receipt_response(session, trip.record_index, f"trip-{event_id}")


router.include_router(invoice_api.router)  # its routes under /v1/me too
