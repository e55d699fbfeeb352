"""Changing invoices after issue: every change one ledger record, every request one block.

A request (a company's batch of locks, a rider's credit or re-title) runs in one
transaction: take the ledger's write lock, check every invoice against the lifecycle
(`invoicing.lifecycle`) *after* taking it, so concurrent requests and the batcher
serialise, append the records as one signed block, update the projection rows, commit.
Any failure rolls everything back: a batch is all or nothing.

Invoices the actor may not read are reported as not found, never as forbidden: numbers
are sequential, and a 403 would confirm that a guessed number exists (and the
lifecycle's message would name its buyer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from invoicing.document import CreditReason
from invoicing.entries import credit_note_entry, retitled_entry, status_entry
from invoicing.errors import (
    ActionForbidden,
    InvalidInvoiceData,
    InvalidQuery,
    InvoiceNotFound,
    TransitionConflict,
)
from invoicing.issue import Buyer, invoice_row, reserve_numbers
from invoicing.lifecycle import (
    Action,
    Actor,
    CompanyActor,
    InvoiceState,
    RiderActor,
    authorize_read,
    transition,
)
from invoicing.models import Invoice, InvoiceEvent
from invoicing.numbering import format_number, issue_year, parse_number
from ledger import merkle
from ledger.commitment import Opening, commit_record
from ledger.models import LedgerRecord
from ledger.openings import open_body
from ledger.store import LedgerWriter, SealedBlock

__all__ = [
    "MAX_BATCH",
    "Outcome",
    "change_status",
    "credit_invoice",
    "retitle_invoice",
    "visible_invoice",
]

MAX_BATCH = 1000
_COMPANY_ACTIONS = (Action.LOCK, Action.UNLOCK, Action.REIMBURSE)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one request appended: the block, and the record index of each change."""

    block_height: int
    tree_size: int
    # (invoice number, its status now, index of the record that changed or issued it);
    # a credit note's record reports both the original (credited) and itself (issued)
    changes: tuple[tuple[str, str, int], ...]


@dataclass(slots=True)
class _Entry:
    type: str
    fields: dict[str, object]
    body: bytes
    opening: Opening | None  # the private half of a version-2 record
    apply: Callable[[int], None]  # writes the projection once the record's index is known
    reports: tuple[tuple[str, str], ...]  # (invoice number, its status after this record)


def visible_invoice(session: Session, actor: Actor, number: str) -> Invoice:
    """The invoice `number` if `actor` may read it, else `InvoiceNotFound`."""
    row = session.get(Invoice, number)
    if row is not None:
        try:
            authorize_read(actor, row)
        except ActionForbidden:
            row = None
    if row is None:
        raise InvoiceNotFound(f"expected an invoice visible to you, got no invoice {number}")
    return row


def change_status(
    session: Session,
    writer: LedgerWriter,
    *,
    actor: CompanyActor,
    action: Action,
    numbers: Sequence[str],
    now: datetime,
) -> Outcome:
    """Lock, unlock or reimburse every invoice in `numbers`, or none of them."""
    if action not in _COMPANY_ACTIONS:
        raise InvalidQuery(f"expected one of {[str(a) for a in _COMPANY_ACTIONS]}, got {action}")
    seen: set[str] = set()
    for number in numbers:
        if number in seen:
            raise InvalidQuery(f"expected each invoice number once, got {number} twice")
        seen.add(number)
    if not 1 <= len(numbers) <= MAX_BATCH:
        raise InvalidQuery(f"expected 1 to {MAX_BATCH} invoice numbers, got {len(numbers)}")

    def plan() -> list[_Entry]:
        entries = []
        for number in numbers:
            row = visible_invoice(session, actor, number)
            before = InvoiceState(row.status)
            after = _checked(number, before, action, actor, row)
            fields = status_entry(
                number=number,
                invoice_index=row.record_index,
                action=action,
                before=before,
                after=after,
                actor=actor,
                at=now,
            )
            apply = _status_applier(session, row, action, after, actor, now)
            entries.append(_entry(fields, apply, (number, str(after))))
        return entries

    return _append(session, writer, now, plan)


def credit_invoice(
    session: Session,
    writer: LedgerWriter,
    *,
    actor: RiderActor,
    number: str,
    reason: CreditReason,
    now: datetime,
) -> Outcome:
    """Reverse the rider's invoice `number` in full with a red-letter credit note."""
    if reason is CreditReason.RETITLE:
        raise InvalidQuery("expected reason refund or fare_correction; re-title with /retitle")

    def plan() -> list[_Entry]:
        row = visible_invoice(session, actor, number)
        _checked(number, InvoiceState(row.status), Action.CREDIT, actor, row)
        return [_credit_note(session, row, actor, reason, Action.CREDIT, now)]

    return _append(session, writer, now, plan)


def retitle_invoice(
    session: Session,
    writer: LedgerWriter,
    *,
    actor: RiderActor,
    number: str,
    buyer: Buyer,
    now: datetime,
) -> Outcome:
    """Credit the rider's invoice `number` and issue it again to `buyer`."""

    def plan() -> list[_Entry]:
        row = visible_invoice(session, actor, number)
        _checked(number, InvoiceState(row.status), Action.RETITLE, actor, row)
        if (buyer.kind, buyer.name, buyer.tax_id) == (
            row.buyer_kind,
            row.buyer_name,
            row.buyer_tax_id,
        ):
            raise InvalidInvoiceData(
                f"expected a title other than the invoice's own, got {buyer.name!r} again"
            )
        credit = _credit_note(session, row, actor, CreditReason.RETITLE, Action.RETITLE, now)
        fields = retitled_entry(
            _record_of(session, row)[0],
            number=_next_number(session, row, now),
            issued_at=now,
            buyer={"kind": buyer.kind, "name": buyer.name, "tax_id": buyer.tax_id},
            credit_note_leaf=merkle.leaf_hash(credit.body),
        )
        new = _entry(fields, _row_inserter(session, fields), (str(fields["number"]), "issued"))
        return [credit, new]

    return _append(session, writer, now, plan)


def _append(
    session: Session, writer: LedgerWriter, now: datetime, plan: Callable[[], list[_Entry]]
) -> Outcome:
    try:
        head = writer.lock_head(session)
        entries = plan()
        block: SealedBlock = writer.append_block(
            session, head, [(e.type, e.body, e.opening) for e in entries], now
        )
        changes = []
        for offset, entry in enumerate(entries):
            index = block.first_index + offset
            entry.apply(index)
            changes += [(number, status, index) for number, status in entry.reports]
        session.commit()
    except BaseException:
        # Forget before the rollback releases the lock: another writer may append next.
        writer.forget()
        session.rollback()
        raise
    return Outcome(block.height, block.tree_size, tuple(changes))


def _entry(
    fields: dict[str, object], apply: Callable[[int], None], *reports: tuple[str, str]
) -> _Entry:
    committed = commit_record(fields)
    return _Entry(committed.kind, fields, committed.body, committed.opening, apply, reports)


def _checked(
    number: str, state: InvoiceState, action: Action, actor: Actor, row: Invoice
) -> InvoiceState:
    try:
        return transition(state, action, actor, row)
    except TransitionConflict as error:
        # The lifecycle says why; in a batch the caller also needs to know which invoice.
        raise type(error)(f"invoice {number}: {error}") from error


def _status_applier(
    session: Session,
    row: Invoice,
    action: Action,
    after: InvoiceState,
    actor: CompanyActor,
    now: datetime,
) -> Callable[[int], None]:
    def apply(index: int) -> None:
        row.status = str(after)
        if action is Action.LOCK:
            row.locked_by = actor.tax_id
        elif action is Action.UNLOCK:
            row.locked_by = None
        session.add(row)
        session.add(_event(index, row.number, action, after, "company", actor.tax_id, now))
        session.flush()

    return apply


def _credit_note(
    session: Session,
    row: Invoice,
    actor: RiderActor,
    reason: CreditReason,
    action: Action,
    now: datetime,
) -> _Entry:
    original, leaf = _record_of(session, row)
    fields = credit_note_entry(
        original,
        number=_next_number(session, row, now),
        issued_at=now,
        reason=reason,
        original_index=row.record_index,
        original_leaf=leaf,
    )
    insert_row = _row_inserter(session, fields)

    def apply(index: int) -> None:
        insert_row(index)
        row.status = str(InvoiceState.CREDITED)
        session.add(row)
        event = _event(
            index, row.number, action, InvoiceState.CREDITED, "rider", actor.rider_id, now
        )
        event.credit_note_number = str(fields["number"])
        session.add(event)
        session.flush()

    credited = (row.number, str(InvoiceState.CREDITED))
    return _entry(fields, apply, credited, (str(fields["number"]), "issued"))


def _row_inserter(session: Session, fields: dict[str, object]) -> Callable[[int], None]:
    def apply(index: int) -> None:
        session.execute(insert(Invoice), [invoice_row(fields, index)])

    return apply


def _record_of(session: Session, row: Invoice) -> tuple[dict[str, object], bytes]:
    record = session.get(LedgerRecord, row.record_index)
    if record is None:  # pragma: no cover - the audit reports such a row
        raise InvoiceNotFound(f"expected a ledger record for invoice {row.number}, got none")
    opened = open_body(session, row.record_index, record.body)
    if opened.erased:
        raise InvoiceNotFound(
            f"expected the personal fields of invoice {row.number}, got them erased"
        )
    return opened.fields, record.leaf_hash


def _next_number(session: Session, row: Invoice, now: datetime) -> str:
    # The seller's channel code is part of every number it issued, so the original's
    # number says which sequence the new document continues.
    parts = parse_number(row.number)
    year = issue_year(now)
    sequence = reserve_numbers(session, row.seller_id, year, 1)
    return format_number(year=year, region=parts.region, channel=parts.channel, sequence=sequence)


def _event(
    index: int,
    number: str,
    action: Action,
    status: InvoiceState,
    actor_kind: str,
    actor_id: str,
    at: datetime,
) -> InvoiceEvent:
    return InvoiceEvent(
        record_index=index,
        number=number,
        action=str(action),
        status=str(status),
        actor_kind=actor_kind,
        actor_id=actor_id,
        at=at,
    )
