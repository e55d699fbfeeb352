"""`farechain verify`'s check of the settlement tables against their ledger records.

An operator reads its statement through `operator_statements` (the console, the
exports); the proof it can show the tax bureau is the ledger record. So each row must
point at an `operator_statement` record of the same operator and day with the same
payable net, signed by a log key when verifier keys are given (`verify_statement`); each
day's statements must state the ledger range and day cut its `operator_settlements` row
records, and sit in the block that row names; and every statement record must have its
row (a record whose row is missing would be a statement nobody can download).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.keys import Verifier
from ledger.models import LedgerRecord
from operators.models import OperatorStatement, Settlement
from operators.statement import RECORD_TYPE, verify_statement
from storage.types import core_table

__all__ = ["check_statement_rows"]

_STREAM = 1_000


def check_statement_rows(session: Session, verifiers: Sequence[Verifier] = ()) -> str | None:
    """The first statement row that disagrees with its record, or None."""
    records, statements = core_table(LedgerRecord), core_table(OperatorStatement)
    settlements = core_table(Settlement)
    rows: Iterable[Any] = session.execute(
        select(
            statements,
            records.c.type.label("record_type"),
            records.c.body.label("record"),
            records.c.block_height.label("record_height"),
            settlements.c.day.label("settled_day"),
            settlements.c.cut_min,
            settlements.c.ledger_from,
            settlements.c.ledger_to,
            settlements.c.block_height,
        )
        .join(records, records.c.idx == statements.c.record_index, isouter=True)
        .join(settlements, settlements.c.day == statements.c.day, isouter=True)
        .order_by(statements.c.record_index)
    ).yield_per(_STREAM)
    count = 0
    for row in rows:
        count += 1
        problem = _check_row(row, verifiers)
        if problem is not None:
            return problem
    recorded = session.scalar(
        select(func.count()).select_from(records).where(records.c.type == RECORD_TYPE)
    )
    if recorded != count:
        return f"{recorded} {RECORD_TYPE} records on the ledger but {count} statement rows"
    return None


def _check_row(row: Any, verifiers: Sequence[Verifier]) -> str | None:
    where = f"statement of {row.operator_id} for {row.day} (record {row.record_index})"
    if row.record is None or row.record_type != RECORD_TYPE:
        return f"{where}: the ledger has no {RECORD_TYPE} record there"
    record = json.loads(row.record)
    expected = {"operator": row.operator_id, "day": row.day, "payable_net_fen": row.payable_net_fen}
    for name, value in expected.items():
        if record.get(name) != value:
            return f"{where}: {name} is {value!r} in the table, {record.get(name)!r} on the ledger"
    if row.settled_day is None:
        return f"{where}: no settlement row for {row.day}"
    settled = {
        "cut_min": row.cut_min,
        "ledger_from": row.ledger_from,
        "ledger_to": row.ledger_to,
    }
    for name, value in settled.items():
        if record.get(name) != value:
            return (
                f"{where}: {name} is {record.get(name)!r} on the ledger, "
                f"{value!r} in the day's settlement row"
            )
    if row.record_height != row.block_height:
        return (
            f"{where}: in block {row.record_height}, the settlement row says "
            f"block {row.block_height}"
        )
    if verifiers and not verify_statement(record, verifiers):
        return f"{where}: its signature is not a log key's"
    return None
