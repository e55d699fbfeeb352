"""What an invoice document says of the trip it invoices: the `SaleContext` of trips.

E-invoicing renders documents without knowing trips; the wiring hands it `TRIP_SALES`.
Stations and bus routes are named in Chinese (`fare.names`), as a Chinese invoice names them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy.orm import Session
from sqlmodel import col, select

from fare.names import zh_name
from invoicing.render import GENERIC_LINE
from trips.models import Operator, Trip

__all__ = ["TRIP_SALES", "TripSales", "describe_trip"]

_SERVICES = {"metro": "城市轨道交通客运服务", "bus": "公共汽车客运服务", "taxi": "出租汽车客运服务"}


class TripSales:
    def describe(self, session: Session, trip_event_ids: Collection[str]) -> Mapping[str, str]:
        trips = session.scalars(select(Trip).where(col(Trip.event_id).in_(trip_event_ids)))
        return {t.event_id: describe_trip(t) for t in trips}

    def exemption_reasons(
        self, session: Session, seller_ids: Collection[str]
    ) -> Mapping[str, str | None]:
        rows = session.execute(
            select(col(Operator.id), col(Operator.exemption_reason)).where(
                col(Operator.id).in_(seller_ids)
            )
        )
        return {seller_id: reason for seller_id, reason in rows}


TRIP_SALES = TripSales()


def describe_trip(trip: Trip | None) -> str:
    """The invoice line, as Chinese invoices name a service: *category*item, then details."""
    if trip is None:
        return GENERIC_LINE
    label = f"*运输服务*{_SERVICES.get(trip.mode, '客运服务')}"
    km = "" if trip.distance_m is None else f" {trip.distance_m / 1000:.1f} km"
    if trip.mode == "metro":
        return f"{label} {_station(trip.entry_station)} → {_station(trip.exit_station)}{km}"
    if trip.mode == "bus":
        return f"{label} {'?' if trip.route_id is None else zh_name('routes', trip.route_id)}"
    return f"{label}{km}"


def _station(station_id: str | None) -> str:
    # An incomplete journey lacks one end: the line says so rather than guess.
    return "?" if station_id is None else zh_name("stations", station_id)
