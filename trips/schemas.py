"""Request and response shapes of the rider's trip routes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from trips.models import Trip

__all__ = ["RiderPublic", "TripPublic"]


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
    invoiced: bool = Field(description="false for a trip that cost nothing: no invoice is issued")
    invoice_number: str | None = Field(
        description="the trip's newest invoice (a re-title issues a new one), if it has one"
    )

    @classmethod
    def of(cls, trip: Trip, invoice_number: str | None) -> TripPublic:
        return cls(
            **trip.model_dump(exclude={"quote_json", "history_json", "rider_id"}),
            quote=json.loads(trip.quote_json),
            invoiced=invoice_number is not None,
            invoice_number=invoice_number,
        )
