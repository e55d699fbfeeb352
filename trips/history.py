"""Each rider's recent priced trips, kept in the batcher's memory for transfers and caps.

Loaded from the database the first time a rider appears in a batch, then kept up to
date by the batcher itself (the single writer). Entries older than the longest rule
window (the weekly cap: 8 days covers any Monday-to-Sunday week) are dropped, so memory
stays bounded by the riders active in the last week.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import orjson
from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

import fare
from storage.types import among
from trips.models import Trip

WINDOW = timedelta(days=8)


class RiderHistories:
    def __init__(self) -> None:
        self._trips: dict[str, list[fare.PricedTrip]] = {}

    def ensure_loaded(self, session: Session, rider_ids: Sequence[str], now: datetime) -> None:
        missing = [r for r in rider_ids if r not in self._trips]
        if not missing:
            return
        for rider in missing:
            self._trips[rider] = []
        rows = session.execute(
            select(col(Trip.rider_id), col(Trip.history_json))
            .where(
                among(session, col(Trip.rider_id), missing),
                func.coalesce(col(Trip.ended_at), col(Trip.started_at)) >= now - WINDOW,
            )
            .order_by(col(Trip.record_index))
        )
        for rider, text in rows:
            self._trips[rider].append(fare.PricedTrip.from_record(orjson.loads(text)))

    def of(self, rider_id: str) -> list[fare.PricedTrip]:
        return self._trips.setdefault(rider_id, [])

    def add(self, rider_id: str, trip: fare.PricedTrip) -> None:
        self._trips.setdefault(rider_id, []).append(trip)

    def prune(self, now: datetime) -> None:
        horizon = now - WINDOW
        for rider in list(self._trips):
            kept = [t for t in self._trips[rider] if t.end >= horizon]
            if kept:
                self._trips[rider] = kept
            else:
                del self._trips[rider]

    def clear(self) -> None:
        """After a rollback the in-memory additions are not true any more."""
        self._trips.clear()
