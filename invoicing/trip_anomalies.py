"""Invoiced trips that were possible but unusual: the tax bureau may want to look.

The edge refuses trips that cannot have happened (fare.plausibility.impossibility) and
the batcher dead-letters any that got through; these are the ones the limits let pass
but that rarely happen honestly (a meter that inflates the distance or the waiting). The
thresholds are fare.plausibility's; each kind is one aggregate query over the `trips`
projection (and, for the waiting time, which no column keeps, the trip's ledger record
or its opening):

- `unusual_taxi_speed`: a taxi trip averaging more than the unusual speed;
- `long_taxi_wait`: a taxi meter that waited more than half the trip;
- `long_metro_trip`: a metro journey longer than the unusual duration.

The trips table belongs to the trips package, which depends on this one; it is named
here as a lightweight table of the columns these queries read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    cast,
    column,
    func,
    literal,
    table,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlmodel import col, select

from fare.plausibility import LIMITS, PlausibilityLimits
from invoicing.models import Invoice
from ledger.models import LedgerOpening, LedgerRecord
from storage.types import UtcDateTime

__all__ = ["find_trip_anomalies"]

_trips = table(
    "trips",
    column("event_id", String),
    column("mode", String),
    column("started_at", UtcDateTime()),
    column("ended_at", UtcDateTime()),
    column("distance_m", Integer),
    column("record_index", BigInteger),
)


def _seconds(session: Session) -> ColumnElement[Any]:
    """The trip's duration in seconds, in the dialect's own date arithmetic."""
    started, ended = _trips.c.started_at, _trips.c.ended_at
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", ended - started)
    return (func.julianday(ended) - func.julianday(started)) * 86400


def _waiting_s(session: Session) -> ColumnElement[Any]:
    """The taxi meter's waiting seconds, read from the trip record's opening (a version-2
    record commits to its taps: `ledger.commitment`) or from the record itself (v1)."""
    postgres = session.get_bind().dialect.name == "postgresql"

    def end_waiting(document: Any) -> ColumnElement[Any]:
        if postgres:
            parsed = cast(func.convert_from(document, "UTF8"), JSONB)
            return cast(func.jsonb_extract_path_text(parsed, "end", "waiting_s"), BigInteger)
        return cast(func.json_extract(cast(document, String), "$.end.waiting_s"), BigInteger)

    return func.coalesce(
        end_waiting(col(LedgerOpening.personal)), end_waiting(col(LedgerRecord.body))
    )


def find_trip_anomalies(
    session: Session, limit: int, limits: PlausibilityLimits = LIMITS
) -> list[tuple[str, tuple[str, ...], str]]:
    """(kind, the trip's invoice numbers, detail) of each unusual trip, `limit` per kind."""
    seconds = _seconds(session)
    speed_exceeds = _trips.c.distance_m * 3.6 > limits.unusual_taxi_speed_kmh * seconds
    found = _query(
        session,
        "unusual_taxi_speed",
        [_trips.c.mode == "taxi", seconds > 0, speed_exceeds],
        lambda d, s, _: (
            f"expected a taxi to average at most {limits.unusual_taxi_speed_kmh} km/h, "
            f"got {d} m in {s:.0f} s ({d * 3.6 / s:.0f} km/h)"
        ),
        limit,
    )
    waiting = _waiting_s(session)
    found += _query(
        session,
        "long_taxi_wait",
        [_trips.c.mode == "taxi", seconds > 0, waiting * 2 > seconds],
        lambda _, s, w: f"expected a meter to wait at most half the trip, got {w} s of {s:.0f} s",
        limit,
        waiting,
    )
    found += _query(
        session,
        "long_metro_trip",
        [_trips.c.mode == "metro", seconds > limits.unusual_metro_duration_s],
        lambda _, s, __: (
            f"expected a metro journey of at most {limits.unusual_metro_duration_s} s, "
            f"got {s:.0f} s"
        ),
        limit,
    )
    return found


def _query(
    session: Session,
    kind: str,
    conditions: list[ColumnElement[bool]],
    describe: Callable[[int, float, int], str],
    limit: int,
    waiting: ColumnElement[Any] | None = None,
) -> list[tuple[str, tuple[str, ...], str]]:
    seconds = _seconds(session)
    query = select(
        _trips.c.event_id,
        _trips.c.distance_m,
        seconds,
        waiting if waiting is not None else literal(0),
    ).select_from(_trips)
    if waiting is not None:
        query = query.join(LedgerRecord, col(LedgerRecord.idx) == _trips.c.record_index).join(
            LedgerOpening, col(LedgerOpening.idx) == _trips.c.record_index, isouter=True
        )
    rows = session.execute(
        query.where(*conditions).order_by(_trips.c.record_index).limit(limit)
    ).all()
    found = []
    for event_id, distance_m, duration_s, waiting_s in rows:
        numbers = session.scalars(
            select(col(Invoice.number))
            .where(col(Invoice.trip_event_id) == event_id)
            .order_by(col(Invoice.record_index))
        ).all()
        detail = f"trip {event_id}: " + describe(
            int(distance_m or 0), float(duration_s), int(waiting_s or 0)
        )
        found.append((kind, tuple(numbers), detail))
    return found
