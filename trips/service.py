"""The rider's trips as the rider's routes read them."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.models import Invoice
from trips.errors import TripNotFound
from trips.models import Trip

__all__ = ["invoice_numbers", "list_trips", "rider_trip"]


def list_trips(
    session: Session, *, rider_id: str, before: int | None, limit: int
) -> Sequence[Trip]:
    """Newest first; `before` is a record-index cursor."""
    query = select(Trip).where(Trip.rider_id == rider_id)
    if before is not None:
        query = query.where(col(Trip.record_index) < before)
    return session.scalars(query.order_by(col(Trip.record_index).desc()).limit(limit)).all()


def rider_trip(session: Session, *, rider_id: str, event_id: str) -> Trip:
    """One of the rider's trips; another rider's trip looks exactly like a missing one."""
    trip = session.get(Trip, event_id)
    if trip is None or trip.rider_id != rider_id:
        raise TripNotFound(f"no trip {event_id} among your trips")
    return trip


def invoice_numbers(session: Session, event_ids: Collection[str]) -> dict[str, str]:
    """Each trip's newest invoice (a re-title issues a new one), for the trips that have
    one: a trip that cost nothing has none."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(col(Invoice.trip_event_id), col(Invoice.number))
        .where(col(Invoice.trip_event_id).in_(event_ids), col(Invoice.kind) == "invoice")
        .order_by(col(Invoice.record_index))
    )
    return {event_id: number for event_id, number in rows}  # the newest wins
