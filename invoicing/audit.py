"""Audit of e-invoicing's tables against the ledger: the records are the truth.

`check_invoices` replays every `invoice_status` and `credit_note` record in ledger order
and checks each is a legal move of the lifecycle from the state the records before it
left (so a forged "reimbursed" with no lock before it is caught), then compares:

- every `invoices` row with its issue record (parties, amounts, dates, check code...)
  and with the status and lock holder the replay arrived at;
- every `invoice_events` row with the record at its index, and the reverse;
- every `invoice` and `credit_note` record with its row (none may be missing).

Version-2 records are read whole with their openings; an erased rider's invoice is
checked for its status only (its parties are no longer on record to compare).

It returns the first difference, naming the record index, or None. It reads every
invoice record once, in streams; memory grows only with the invoices that changed
status.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select as select_many  # sqlmodel's select takes at most 4
from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.errors import ActionForbidden, TransitionConflict
from invoicing.lifecycle import Action, CompanyActor, InvoiceFacts, InvoiceState, transition
from invoicing.models import Invoice, InvoiceEvent
from ledger.models import LedgerOpening, LedgerRecord
from ledger.openings import whole_record

__all__ = ["check_invoices"]

_CHANGE_TYPES = ("invoice_status", "credit_note")
_ISSUE_TYPES = ("invoice", "credit_note")
_STREAM = 2_000


def check_invoices(session: Session) -> str | None:
    folded: dict[str, tuple[str, str | None]] = {}
    return (
        _replay(session, folded)
        or _orphan_events(session)
        or _compare_rows(session, folded)
        or _missing_rows(session)
    )


def _replay(session: Session, folded: dict[str, tuple[str, str | None]]) -> str | None:
    rows: Iterable[tuple[int, bytes, InvoiceEvent | None, bytes | None, bytes | None]] = (
        session.execute(
            select_many(
                col(LedgerRecord.idx),
                col(LedgerRecord.body),
                InvoiceEvent,
                col(LedgerOpening.salt),
                col(LedgerOpening.personal),
            )
            .join(
                InvoiceEvent, col(InvoiceEvent.record_index) == col(LedgerRecord.idx), isouter=True
            )
            .join(LedgerOpening, col(LedgerOpening.idx) == col(LedgerRecord.idx), isouter=True)
            .where(col(LedgerRecord.type).in_(_CHANGE_TYPES))
            .order_by(col(LedgerRecord.idx))
        ).yield_per(_STREAM)
    )
    for index, body, event, salt, personal in rows:
        try:
            record = whole_record(body, salt, personal)
            if record is None:  # an erased rider's credit note: the public part
                record = {**json.loads(body), "rider": None}
            problem = _replay_one(session, folded, index, record, event)
        except (KeyError, TypeError, ValueError) as error:
            problem = f"record {index}: expected a well-formed change record, got {error!r}"
        if problem:
            return problem
    return None


def _replay_one(
    session: Session,
    folded: dict[str, tuple[str, str | None]],
    index: int,
    record: dict[str, Any],
    event: InvoiceEvent | None,
) -> str | None:
    name = f"record {index} ({record['type']})"
    if record["type"] == "credit_note":
        number = str(record["original_number"])
        action = "retitle" if record["reason"] == "retitle" else "credit"
        state, holder = folded.get(number, ("issued", None))
        if state != "issued":
            return f"{name}: expected it to reverse an issued invoice, got {number} {state}"
        rider = record["rider"]
        after, actor_id = "credited", None if rider is None else str(rider)
        # An erased rider's credit note keeps no issue time on record (None: not compared).
        actor_kind, at, credit_note = "rider", record.get("issued_at"), str(record["number"])
    else:
        number, action = str(record["number"]), str(record["action"])
        actor_id = str(record["actor"]["id"])
        actor_kind, at, credit_note = str(record["actor"]["kind"]), record["at"], None
        state, holder = folded.get(number, ("issued", None))
        if record["from"] != state:
            return f"{name}: expected a change from {state!r}, got from {record['from']!r}"
        after, problem = _follow(session, number, state, action, actor_id)
        if problem or after != record["to"]:
            return f"{name}: {problem or f'expected {action} to lead to {after!r}'}"
        holder = actor_id if action == "lock" else None if action == "unlock" else holder
    folded[number] = (after, holder)
    if event is None:
        return f"{name}: expected an invoice_events row, got none"
    for field, stored, recorded in (
        ("number", event.number, number),
        ("action", event.action, action),
        ("status", event.status, after),
        ("actor_id", event.actor_id, actor_id),
        ("actor_kind", event.actor_kind, actor_kind),
        ("at", event.at, None if at is None else datetime.fromisoformat(str(at))),
        ("credit_note_number", event.credit_note_number, credit_note),
    ):
        erased = (field == "actor_id" and actor_id is None) or (field == "at" and at is None)
        if stored != recorded and not erased:
            return (
                f"invoice_events row of {name}: {field} is {stored!r}, {recorded!r} on the ledger"
            )
    return None


def _follow(
    session: Session, number: str, state: str, action: str, actor: str
) -> tuple[str, str | None]:
    """The state a company's `action` leads to, or why the lifecycle forbids it."""
    row = session.get(Invoice, number)
    if row is None:
        return state, f"expected invoice {number} to exist, got no row"
    facts = InvoiceFacts(row.rider_id, row.buyer_tax_id, row.kind)
    try:
        after = transition(InvoiceState(state), Action(action), CompanyActor(actor), facts)
    except (ActionForbidden, TransitionConflict, ValueError) as error:
        return state, f"expected a legal {action} of invoice {number}, got: {error}"
    return str(after), None


def _orphan_events(session: Session) -> str | None:
    orphan = session.scalar(
        select(col(InvoiceEvent.record_index))
        .join(LedgerRecord, col(LedgerRecord.idx) == col(InvoiceEvent.record_index), isouter=True)
        .where((col(LedgerRecord.idx).is_(None)) | (col(LedgerRecord.type).not_in(_CHANGE_TYPES)))
        .limit(1)
    )
    if orphan is None:
        return None
    return f"invoice_events row of record {orphan}: no status or credit note record there"


def _compare_rows(session: Session, folded: dict[str, tuple[str, str | None]]) -> str | None:
    rows: Iterable[tuple[Invoice, bytes | None, bytes | None, bytes | None]] = session.execute(
        select(
            Invoice, col(LedgerRecord.body), col(LedgerOpening.salt), col(LedgerOpening.personal)
        )
        .join(LedgerRecord, col(LedgerRecord.idx) == col(Invoice.record_index), isouter=True)
        .join(LedgerOpening, col(LedgerOpening.idx) == col(Invoice.record_index), isouter=True)
        .order_by(col(Invoice.record_index))
    ).yield_per(_STREAM)
    for row, body, salt, personal in rows:
        name = f"invoices row of record {row.record_index}"
        if body is None:
            return f"{name}: no such record on the ledger"
        try:
            record = whole_record(body, salt, personal)
        except ValueError as error:
            return f"record {row.record_index}: {error}"
        status, holder = folded.get(row.number, ("issued", None))
        for field, stored, recorded in [
            *(_issue_fields(row, record) if record is not None else []),
            ("status", row.status, status),
            ("locked_by", row.locked_by, holder),
        ]:
            if stored != recorded:
                return f"{name}: {field} is {stored!r} in the table, {recorded!r} on the ledger"
    return None


def _issue_fields(row: Invoice, record: dict[str, Any]) -> list[tuple[str, object, object]]:
    issued_at = row.issued_at if row.issued_at.tzinfo else row.issued_at.replace(tzinfo=UTC)
    return [
        ("type", "credit_note" if row.kind == "credit_note" else "invoice", record["type"]),
        ("number", row.number, record.get("number")),
        ("kind", row.kind, record.get("kind")),
        ("seller_id", row.seller_id, record["seller"]["id"]),
        ("rider_id", row.rider_id, record["rider"]),
        ("trip_event_id", row.trip_event_id, record["trip_event_id"]),
        ("buyer_kind", row.buyer_kind, record["buyer"]["kind"]),
        ("buyer_name", row.buyer_name, record["buyer"]["name"]),
        ("buyer_tax_id", row.buyer_tax_id, record["buyer"]["tax_id"]),
        ("issued_at", issued_at, datetime.fromisoformat(record["issued_at"])),
        ("issue_date", row.issue_date, record["issue_date"]),
        ("total_fen", row.total_fen, record["total_fen"]),
        ("base_fen", row.base_fen, record["base_fen"]),
        ("tax_fen", row.tax_fen, record["tax_fen"]),
        ("rate_bp", row.rate_bp, record["rate_bp"]),
        ("regime", row.regime, record["regime"]),
        ("check_code", row.check_code, record["check_code"]),
        ("original_number", row.original_number, record["original_number"]),
    ]


def _missing_rows(session: Session) -> str | None:
    missing = session.scalar(
        select(col(LedgerRecord.idx))
        .join(Invoice, col(Invoice.record_index) == col(LedgerRecord.idx), isouter=True)
        .where(col(LedgerRecord.type).in_(_ISSUE_TYPES), col(Invoice.number).is_(None))
        .order_by(col(LedgerRecord.idx))
        .limit(1)
    )
    if missing is None:
        return None
    return f"record {missing}: an invoice on the ledger with no invoices row"
