"""Refunds from credit notes: a persisted cursor over the committed credit notes.

A rider's credit note with action `credit` (reason refund or fare correction) gives the
fare back; a re-title (action `retitle`) moves no money and is passed over. Each refund
gets its key from the credit note's number, and its `requested` record is appended in
the same transaction that moves the cursor: the note's total is credited to the rider,
the debt the rider still has is settled from it, and the rest (`amount_fen`) is what the
provider will pay back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.models import Invoice, InvoiceEvent
from ledger.commitment import commit_record
from ledger.store import LedgerWriter
from payments import keys
from payments.book import Policy, refund_fields
from payments.models import PaymentCursor, Refund
from trips.models import Rider

__all__ = ["open_refunds"]

_CURSOR = "credit_notes"


def open_refunds(
    session: Session, writer: LedgerWriter, policy: Policy, now: datetime, limit: int
) -> int:
    """Open a refund for each new refund credit note; one block; commit. Returns how many."""
    position = session.scalar(
        select(col(PaymentCursor.position)).where(col(PaymentCursor.name) == _CURSOR)
    )
    # Most rounds find no credit note: ask before taking the ledger's lock, which the
    # batcher waits for.
    newer = session.scalar(
        select(col(InvoiceEvent.record_index))
        .where(
            col(InvoiceEvent.record_index) > (-1 if position is None else position),
            col(InvoiceEvent.credit_note_number).is_not(None),
        )
        .limit(1)
    )
    session.rollback()
    if newer is None:
        return 0
    try:
        head = writer.lock_head(session)
        cursor = session.get(PaymentCursor, _CURSOR) or PaymentCursor(name=_CURSOR)
        events = list(
            session.execute(
                select(
                    col(InvoiceEvent.record_index),
                    col(InvoiceEvent.action),
                    col(InvoiceEvent.credit_note_number),
                )
                .where(
                    col(InvoiceEvent.record_index) > cursor.position,
                    col(InvoiceEvent.credit_note_number).is_not(None),
                )
                .order_by(col(InvoiceEvent.record_index))
                .limit(limit)
            )
        )
        if not events:
            session.rollback()
            return 0
        entries: list[tuple[Refund, dict[str, object]]] = []
        for _, action, number in events:
            note = None if number is None else session.get(Invoice, number)
            if action != "credit" or note is None:
                continue
            number = note.number
            if session.get(Refund, keys.refund_key(number)) is not None:
                continue
            rider = session.get(Rider, note.rider_id)
            assert rider is not None
            credit = abs(note.total_fen)
            # What the rider still owes is settled first; only the rest is paid back.
            amount = min(credit, max(0, rider.balance_fen + credit))
            rider.balance_fen += credit - amount
            refund = Refund(
                key=keys.refund_key(number),
                rider_id=note.rider_id,
                credit_note=number,
                trip_event_id=note.trip_event_id,
                credit_fen=credit,
                amount_fen=amount,
                status="new",
                provider=policy.provider,
                created_at=now,
                updated_at=now,
            )
            session.add(refund)
            entries.append((refund, refund_fields(refund, rider.balance_fen, now)))
        cursor.position = events[-1][0]
        session.add(cursor)
        if entries:
            bodies = [commit_record(f) for _, f in entries]
            block = writer.append_block(session, head, bodies, now)
            for offset, (refund, _) in enumerate(entries):
                refund.record_index = block.first_index + offset
        session.commit()
    except BaseException:
        writer.forget()
        session.rollback()
        raise
    return len(entries)
