"""The tax bureau's anomaly report: invoices that break a rule the system should keep.

None of these can arise through the API; finding one means a bug, a tampered row or a
writer that bypassed the lifecycle. Each kind is one aggregate query:

- `trip_invoiced_twice`: a trip with more invoices than credit notes reversing them
  beyond one (a re-title's new invoice follows the credit note of the old one);
- `credit_exceeds_invoice`: credit notes whose totals add up to more than the invoice
  they reverse (two credit notes of one invoice, or a larger amount), or that reverse
  no invoice at all;
- `locked_by_other_company`: locked or reimbursed by a company that is not the buyer;
- `future_date`: issued after now (beyond a small clock skew), or dated after today;
- `numbering_gap`: a seller's year with missing sequence numbers.

Besides these, invoiced trips that were possible but unusual (invoicing.trip_anomalies:
`unusual_taxi_speed`, `long_taxi_wait`, `long_metro_trip`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_
from sqlalchemy.orm import Session, aliased
from sqlmodel import col, select

from fare.localtime import SHANGHAI
from invoicing.errors import InvalidInvoiceNumber
from invoicing.models import Invoice
from invoicing.numbering import find_gaps, parse_number
from invoicing.trip_anomalies import find_trip_anomalies

__all__ = ["CLOCK_SKEW", "Anomaly", "find_anomalies"]

CLOCK_SKEW = timedelta(minutes=5)

_PREFIX = 8  # year, region and channel: one seller's sequence of one year


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: str
    numbers: tuple[str, ...]
    detail: str


def find_anomalies(session: Session, *, now: datetime, limit: int = 100) -> list[Anomaly]:
    """Every kind of anomaly, at most `limit` of each."""
    return [
        *_trips_invoiced_twice(session, limit),
        *_credits_exceeding(session, limit),
        *_locked_by_others(session, limit),
        *_future_dates(session, now, limit),
        *_numbering_gaps(session, limit),
        *(Anomaly(*found) for found in find_trip_anomalies(session, limit)),
    ]


def _trips_invoiced_twice(session: Session, limit: int) -> list[Anomaly]:
    live = func.sum(case((col(Invoice.kind) == "credit_note", -1), else_=1))
    trips = list(
        session.scalars(
            select(col(Invoice.trip_event_id))
            .group_by(col(Invoice.trip_event_id))
            .having(live > 1)
            .order_by(col(Invoice.trip_event_id))
            .limit(limit)
        )
    )
    found = []
    for trip in trips:
        rows = session.execute(
            select(col(Invoice.number), col(Invoice.kind))
            .where(col(Invoice.trip_event_id) == trip)
            .order_by(col(Invoice.record_index))
        ).all()
        invoices = sum(1 for _, kind in rows if kind == "invoice")
        found.append(
            Anomaly(
                "trip_invoiced_twice",
                tuple(number for number, _ in rows),
                f"trip {trip}: expected at most one invoice not reversed, got {invoices} "
                f"invoices and {len(rows) - invoices} credit notes",
            )
        )
    return found


def _credits_exceeding(session: Session, limit: int) -> list[Anomaly]:
    original = aliased(Invoice)
    credited = func.sum(col(Invoice.total_fen))
    rows = session.execute(
        select(
            col(Invoice.original_number),
            credited,
            col(original.total_fen),
            func.count(),
        )
        .join(original, col(original.number) == col(Invoice.original_number), isouter=True)
        .where(col(Invoice.kind) == "credit_note")
        .group_by(col(Invoice.original_number), col(original.total_fen))
        .having(or_(col(original.total_fen).is_(None), credited > col(original.total_fen)))
        .order_by(col(Invoice.original_number))
        .limit(limit)
    ).all()
    found = []
    for number, credit_fen, invoice_fen, notes in rows:
        notes_of = session.scalars(
            select(col(Invoice.number)).where(col(Invoice.original_number) == number)
        ).all()
        detail = (
            f"invoice {number}: expected credit notes of at most {invoice_fen} fen, "
            f"got {notes} totalling {credit_fen} fen"
            if invoice_fen is not None
            else f"expected credit notes to reverse an invoice, got none numbered {number}"
        )
        found.append(Anomaly("credit_exceeds_invoice", (str(number), *notes_of), detail))
    return found


def _locked_by_others(session: Session, limit: int) -> list[Anomaly]:
    rows = session.execute(
        select(
            col(Invoice.number),
            col(Invoice.status),
            col(Invoice.buyer_tax_id),
            col(Invoice.locked_by),
        )
        .where(
            col(Invoice.status).in_(["locked", "reimbursed"]),
            or_(
                col(Invoice.locked_by).is_(None),
                col(Invoice.buyer_tax_id).is_(None),
                col(Invoice.locked_by) != col(Invoice.buyer_tax_id),
            ),
        )
        .order_by(col(Invoice.record_index))
        .limit(limit)
    ).all()
    return [
        Anomaly(
            "locked_by_other_company",
            (number,),
            f"invoice {number} ({status}): expected the buyer {buyer} to hold it, got {holder}",
        )
        for number, status, buyer, holder in rows
    ]


def _future_dates(session: Session, now: datetime, limit: int) -> list[Anomaly]:
    latest = now + CLOCK_SKEW
    today = latest.astimezone(SHANGHAI).date().isoformat()
    rows = session.execute(
        select(col(Invoice.number), col(Invoice.issued_at), col(Invoice.issue_date))
        .where(or_(col(Invoice.issued_at) > latest, col(Invoice.issue_date) > today))
        .order_by(col(Invoice.record_index))
        .limit(limit)
    ).all()
    return [
        Anomaly(
            "future_date",
            (number,),
            f"invoice {number}: expected an issue time before {latest.isoformat()}, "
            f"got {issued_at} (dated {issue_date})",
        )
        for number, issued_at, issue_date in rows
    ]


def _numbering_gaps(session: Session, limit: int) -> list[Anomaly]:
    prefix = func.substr(col(Invoice.number), 1, _PREFIX)
    groups = session.execute(
        select(prefix, func.count(), func.max(col(Invoice.number)))
        .group_by(prefix)
        .order_by(prefix)
    ).all()
    found = []
    for start, count, highest in groups:
        try:
            if int(count) == parse_number(highest).sequence:
                continue  # 1..max all present: numbers are unique, so none is missing
            sequences = [
                parse_number(n).sequence
                for n in session.scalars(
                    select(col(Invoice.number)).where(col(Invoice.number).startswith(start))
                )
            ]
        except InvalidInvoiceNumber as error:
            found.append(Anomaly("numbering_gap", (highest,), f"numbers {start}…: {error}"))
            continue
        gaps = find_gaps(sequences).gaps
        shown = ", ".join(f"{g.start}..{g.stop - 1}" for g in gaps[:10])
        found.append(
            Anomaly(
                "numbering_gap",
                (highest,),
                f"numbers {start}…: expected sequences 1..{parse_number(highest).sequence} "
                f"without gaps, got {len(gaps)} gaps: {shown}",
            )
        )
        if len(found) >= limit:
            break
    return found
