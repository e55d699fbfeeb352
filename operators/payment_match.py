"""Payments captured against fares: did the riders pay for the operator's trips of a day?

An operator is the invoicing seller of the trips that end on its lines (`Trip.operator_id`)
and the fares it collects are what the riders' payments bring in (issue 17: one payment
per charged trip, captured through the provider). For a settled business day this sets
each of the operator's trips below the settlement's ledger bound beside its payment:

- `captured`: paid in full by the trip's own payment (`captured_fen` sums what came in);
- `amount_differs`: captured, but not the fare (a line each, as a bug to look into);
- `paid_otherwise`: written off because the rider settled the debt another way
  (pay-now, a top-up): collected, though not trip by trip;
- `declined`, `written_off`: not collected (the payments side retries, then gives up);
- `in_flight`: the provider has not answered yet;
- `no_payment`: a fare without a payment row (the payments worker has not reached it,
  or runs without payments);
- `free`: a fare of 0 (a cap reached, a child): nothing to collect.

Payments move after the day closes (retries run for 30 days), so the section says how
things stand when it is read, not when the journal was uploaded; each line names the
trip's and the payment's ledger indexes so it can be proven. Rows stream: a day of a
million trips holds the counts and at most `max_lines` lines.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from operators.clearing import business_day, day_bounds
from operators.extract import first_index_after
from payments.models import Payment
from storage.types import core_table
from trips.models import Trip

__all__ = ["PaymentMatch", "match_payments"]

_JOURNEY_SPAN = dt.timedelta(hours=5)
_STREAM_ROWS = 5_000
_IN_FLIGHT = frozenset({"new", "pending", "authorised"})
KINDS = (
    "captured",
    "amount_differs",
    "paid_otherwise",
    "declined",
    "written_off",
    "in_flight",
    "no_payment",
    "free",
)
_COLLECTED = frozenset({"captured", "amount_differs", "paid_otherwise"})


@dataclass
class PaymentMatch:
    trips: int = 0
    fares_fen: int = 0
    captured_fen: int = 0  # what the trips' own payments brought in
    uncollected_fen: int = 0  # fares of trips neither captured nor paid otherwise
    counts: Counter[str] = field(default_factory=Counter)
    lines: list[dict[str, Any]] = field(default_factory=list)  # every trip not captured
    lines_left_out: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "trips": self.trips,
            "fares_fen": self.fares_fen,
            "captured_fen": self.captured_fen,
            "uncollected_fen": self.uncollected_fen,
            "counts": {kind: self.counts[kind] for kind in KINDS},
            "lines": self.lines,
            "lines_left_out": self.lines_left_out,
        }


def classify(fare_fen: int, status: str | None, paid_fen: int | None, reason: str | None) -> str:
    """The kind of one trip beside its payment (None: it has none)."""
    if fare_fen == 0:
        return "free"
    if status is None:
        return "no_payment"
    if status == "captured":
        return "captured" if paid_fen == fare_fen else "amount_differs"
    if status == "written_off":
        return "paid_otherwise" if reason == "paid_otherwise" else "written_off"
    return "in_flight" if status in _IN_FLIGHT else "declined"


def match_payments(
    session: Session,
    *,
    operator: str,
    day: dt.date,
    cut_min: int,
    ledger_to: int,
    max_lines: int = 200,
) -> PaymentMatch:
    """The operator's trips of `day` below `ledger_to`, each beside its payment."""
    trips, payments = core_table(Trip), core_table(Payment)
    start, _ = day_bounds(day, cut_min)
    lo = first_index_after(session, start - _JOURNEY_SPAN)
    rows: Iterable[Any] = session.execute(
        select(
            trips.c.record_index,
            trips.c.event_id,
            trips.c.fare_fen,
            trips.c.ended_at,
            trips.c.started_at,
            payments.c.status,
            payments.c.amount_fen,
            payments.c.reason,
            payments.c.record_index.label("payment_index"),
        )
        .join(payments, payments.c.trip_event_id == trips.c.event_id, isouter=True)
        .where(
            trips.c.operator_id == operator,
            trips.c.record_index >= lo,
            trips.c.record_index < ledger_to,
        )
        .order_by(trips.c.record_index)
        .execution_options(yield_per=_STREAM_ROWS)
    )
    result = PaymentMatch()
    for row in rows:
        moment = row.ended_at or row.started_at
        if business_day(moment, cut_min) != day:
            continue
        kind = classify(row.fare_fen, row.status, row.amount_fen, row.reason)
        result.trips += 1
        result.fares_fen += row.fare_fen
        result.counts[kind] += 1
        if kind in ("captured", "amount_differs"):
            result.captured_fen += row.amount_fen
        elif kind not in _COLLECTED and kind != "free":
            result.uncollected_fen += row.fare_fen
        if kind in ("captured", "free"):
            continue
        if len(result.lines) >= max_lines:
            result.lines_left_out += 1
            continue
        result.lines.append(
            {
                "kind": kind,
                "trip_event_id": row.event_id,
                "fare_fen": row.fare_fen,
                "paid_fen": row.amount_fen if kind == "amount_differs" else None,
                "ledger_index": row.record_index,
                "payment_index": row.payment_index,
            }
        )
    return result
