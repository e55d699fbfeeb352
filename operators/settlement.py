"""Settling a business day: one signed statement per operator, appended as one block.

A day is settled once. Under the ledger's write lock (so the batcher and other
settlers queue behind it) the settlement reads the tree size `ledger_to`; the day's
items are the trips and refunds of that day below it. Its adjustments are the late
items of days settled before, that reached the ledger since the last settlement
(`[ledger_from, ledger_to)`, `ledger_from` being the latest settlement's `ledger_to`):
each such range is claimed by exactly one settlement, so every item is cleared exactly
once, in its own day's statement or in one adjustment.

Settling a settled day appends nothing and returns what was stored; `recompute`
computes a settled day's statements again from the stored range and must give the
same bytes (statements hold no clock time; Ed25519 signatures are deterministic).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger import records
from ledger.keys import Signer
from ledger.models import Block, LedgerRecord
from ledger.store import LedgerWriter
from operators.clearing import Clearing, Item, business_day, clear, day_bounds
from operators.errors import DayNotClosed, NotFound
from operators.extract import first_index_after, refund_items, trip_items
from operators.models import OperatorStatement, Settlement
from operators.statement import RECORD_TYPE, sign_statement, statement_fields
from trips.models import Operator

__all__ = ["SettleOutcome", "recompute", "settle_day", "settled_days", "unsettled_days"]


@dataclass(frozen=True, slots=True)
class SettleOutcome:
    day: dt.date
    created: bool  # False: the day was settled before and nothing was appended
    ledger_from: int
    ledger_to: int
    statements: dict[str, int]  # operator -> the statement's ledger index
    items: int = 0


def settled_days(session: Session) -> dict[str, Settlement]:
    return {s.day: s for s in session.scalars(select(Settlement))}


def _stored(session: Session, settlement: Settlement) -> SettleOutcome:
    rows = session.scalars(
        select(OperatorStatement).where(col(OperatorStatement.day) == settlement.day)
    )
    return SettleOutcome(
        dt.date.fromisoformat(settlement.day),
        False,
        settlement.ledger_from,
        settlement.ledger_to,
        {row.operator_id: row.record_index for row in rows},
    )


def _statements(
    session: Session,
    *,
    day: dt.date,
    cut_min: int,
    ledger_from: int,
    ledger_to: int,
    settled_before: set[dt.date],
    signer: Signer,
) -> tuple[dict[str, dict[str, object]], int]:
    start, _ = day_bounds(day, cut_min)
    lo = first_index_after(session, start)
    todays: list[Item] = []
    late: dict[dt.date, list[Item]] = defaultdict(list)
    for source in (trip_items, refund_items):
        for item in source(session, min(lo, ledger_from), ledger_to, cut_min=cut_min):
            if item.day == day and item.index >= lo:
                todays.append(item)
            elif item.index >= ledger_from and item.day in settled_before:
                late[item.day].append(item)
    day_clearing = clear(todays)
    adjustments: dict[dt.date, Clearing] = {d: clear(items) for d, items in late.items()}
    operators = set(session.scalars(select(col(Operator.id))))
    operators.update(day_clearing.operators())
    for clearing in adjustments.values():
        operators.update(clearing.operators())
    statements = {
        operator: sign_statement(
            statement_fields(
                operator=operator,
                day=day,
                cut_min=cut_min,
                ledger_from=ledger_from,
                ledger_to=ledger_to,
                day_clearing=day_clearing,
                adjustments=adjustments,
            ),
            signer,
        )
        for operator in sorted(operators)
    }
    return statements, len(todays) + sum(len(v) for v in late.values())


def settle_day(
    session: Session,
    writer: LedgerWriter,
    *,
    day: dt.date,
    cut_min: int,
    now: dt.datetime,
) -> SettleOutcome:
    """Settle `day` (once it has ended), or return its earlier settlement; commits."""
    _, end = day_bounds(day, cut_min)
    if now < end:
        raise DayNotClosed(f"expected a day that has ended, got {day} (ends at {end.isoformat()})")
    try:
        head = writer.lock_head(session)
        settled = settled_days(session)
        if day.isoformat() in settled:
            outcome = _stored(session, settled[day.isoformat()])
            session.rollback()
            return outcome
        ledger_from = max((s.ledger_to for s in settled.values()), default=0)
        ledger_to = head.tree_size
        statements, items = _statements(
            session,
            day=day,
            cut_min=cut_min,
            ledger_from=ledger_from,
            ledger_to=ledger_to,
            settled_before={dt.date.fromisoformat(d) for d in settled},
            signer=writer.signers[0],
        )
        bodies = [(RECORD_TYPE, records.encode_record(s)) for s in statements.values()]
        block = writer.append_block(session, head, bodies, now)
        indexes: dict[str, int] = {}
        for offset, (operator, fields) in enumerate(statements.items()):
            indexes[operator] = block.first_index + offset
            net = fields["payable_net_fen"]
            assert isinstance(net, int)
            session.add(
                OperatorStatement(
                    operator_id=operator,
                    day=day.isoformat(),
                    record_index=indexes[operator],
                    payable_net_fen=net,
                )
            )
        session.add(
            Settlement(
                day=day.isoformat(),
                cut_min=cut_min,
                ledger_from=ledger_from,
                ledger_to=ledger_to,
                block_height=block.height,
                settled_at=now,
            )
        )
        session.commit()
    except BaseException:
        writer.forget()
        session.rollback()
        raise
    return SettleOutcome(day, True, ledger_from, ledger_to, indexes, items)


def recompute(session: Session, day: dt.date, signer: Signer) -> dict[str, bytes]:
    """A settled day's statements computed again: operator -> (stored, recomputed) equal?"""
    settlement = session.get(Settlement, day.isoformat())
    if settlement is None:
        raise NotFound(f"expected a settled day, got {day}, not settled")
    before = {
        dt.date.fromisoformat(s.day)
        for s in settled_days(session).values()
        if s.ledger_to < settlement.ledger_to
    }
    statements, _ = _statements(
        session,
        day=day,
        cut_min=settlement.cut_min,
        ledger_from=settlement.ledger_from,
        ledger_to=settlement.ledger_to,
        settled_before=before,
        signer=signer,
    )
    return {op: records.encode_record(fields) for op, fields in statements.items()}


def stored_statement(session: Session, operator: str, day: dt.date) -> tuple[int, bytes]:
    """The ledger index and bytes of an operator's statement for a day."""
    row = session.get(OperatorStatement, (operator, day.isoformat()))
    record = None if row is None else session.get(LedgerRecord, row.record_index)
    if row is None or record is None:
        raise NotFound(f"expected a statement of {operator} for {day}, got none")
    return row.record_index, bytes(record.body)


def unsettled_days(
    session: Session, *, now: dt.datetime, cut_min: int, first: dt.date | None
) -> list[dt.date]:
    """Ended days from `first` (default: the day of the first block) not yet settled."""
    if first is None:
        created = session.scalar(select(col(Block.created_at)).order_by(col(Block.height)).limit(1))
        if created is None:
            return []
        first = business_day(created, cut_min)
    done = set(settled_days(session))
    days, day = [], first
    while day_bounds(day, cut_min)[1] <= now:
        if day.isoformat() not in done:
            days.append(day)
        day += dt.timedelta(days=1)
    return days
