"""`farechain verify`: the ledger audit, then every projection row against its record.

The rows riders, operators and the tax bureau read must say exactly what the ledger
records say: each trip and charge row is rebuilt from its record with the functions the
batcher used and compared column by column; a row without its record, or a record
without its row, is named too. Invoices are checked by invoicing.audit, which also
replays their lifecycle; then every paid trip must have an invoice (a free one has none).

Version-2 records are read whole with their openings (`ledger.commitment`); an opening
that does not match its commitment is a problem like a changed row. A record whose
opening was erased (`ledger.openings.erase_subject`) is checked by the ledger audit
only: no one is left to compare its row with.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import exists, func
from sqlalchemy import select as select_many  # sqlmodel's select takes at most 4
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col, select

from invoicing.audit import check_invoices
from invoicing.models import Invoice
from ledger.audit import LedgerAudit, audit_ledger
from ledger.exceptions import RecordError
from ledger.models import LedgerOpening, LedgerRecord
from ledger.openings import whole_record
from trips.models import Charge, Rider, Trip
from trips.projections import charge_row, trip_row_from_record

_STREAM = 2_000


BalanceMove = Callable[[Mapping[str, Any]], int]


def audit(
    session: Session,
    *,
    verifier_keys: Sequence[str],
    origin: str,
    witness_keys: Sequence[str] = (),
    balance_moves: Mapping[str, BalanceMove] | None = None,
) -> LedgerAudit:
    """`balance_moves`: record types besides charges that move a rider's balance (payments,
    refunds), each with how much; their records carry `balance_after_fen` too."""
    report = audit_ledger(
        session, verifier_keys=verifier_keys, witness_keys=witness_keys, origin=origin
    )
    if report.problem is None:
        report.problem = (
            _check_projection(session, Trip, "trip", trip_row_from_record)
            or _check_projection(session, Charge, "charge", charge_row)
            or _check_balances(session, balance_moves or {})
            or check_invoices(session)
            or check_paid_trips_invoiced(session)
        )
    return report


def check_paid_trips_invoiced(session: Session) -> str | None:
    """Every paid trip has its invoice; a trip that cost nothing needs none.

    Run after the row checks, so the rows say what the records say. A re-titled or
    refunded trip keeps its first invoice (a credit note reverses it, it is not removed).
    A 0-yuan invoice from before free trips went uninvoiced is not a fault either.
    """
    invoiced = exists().where(
        col(Invoice.trip_event_id) == col(Trip.event_id), col(Invoice.kind) == "invoice"
    )
    missing = session.execute(
        select(col(Trip.record_index), col(Trip.event_id), col(Trip.fare_fen))
        .where(col(Trip.fare_fen) > 0, ~invoiced)
        .order_by(col(Trip.record_index))
        .limit(1)
    ).first()
    if missing is None:
        return None
    index, event_id, fare_fen = missing
    return f"record {index}: trip {event_id} was charged {fare_fen} fen and has no invoice"


def _check_balances(session: Session, moves: Mapping[str, BalanceMove]) -> str | None:
    """Each rider's balance is what the ledger's records make of it: minus the charges
    (riders post-pay), plus whatever `moves` says of the other types (payments, refunds);
    and each record's balance_after follows from the ones before it."""
    balances: dict[str, int] = defaultdict(int)
    rows: Iterable[tuple[int, str, bytes, bytes | None, bytes | None]] = session.execute(
        select_many(
            col(LedgerRecord.idx),
            col(LedgerRecord.type),
            col(LedgerRecord.body),
            col(LedgerOpening.salt),
            col(LedgerOpening.personal),
        )
        .join(LedgerOpening, col(LedgerOpening.idx) == col(LedgerRecord.idx), isouter=True)
        .where(col(LedgerRecord.type).in_(["charge", *moves]))
        .order_by(col(LedgerRecord.idx))
    ).yield_per(_STREAM)
    erased = False
    for index, kind, body, salt, personal in rows:
        try:
            record = whole_record(body, salt, personal)
        except RecordError as error:
            return f"record {index}: {error}"
        if record is None:
            erased = True  # an erased rider's record: no one to add it to
            continue
        if kind == "charge":
            balances[record["rider"]] -= record["amount_fen"]
        else:
            balances[record["rider"]] += moves[kind](record)
        if record["balance_after_fen"] != balances[record["rider"]]:
            return (
                f"record {index}: balance after the {kind} is {record['balance_after_fen']}, "
                f"the records before it make {balances[record['rider']]}"
            )
    for rider, balance in session.execute(select(col(Rider.id), col(Rider.balance_fen))):
        if erased and rider not in balances:
            continue  # maybe an erased rider: the ledger no longer says whose records
        if balance != balances.get(rider, 0):
            return (
                f"rider {rider}: balance_fen is {balance} in the table, "
                f"{balances.get(rider, 0)} by the ledger's records"
            )
    return None


def _check_projection(
    session: Session,
    table: type[SQLModel],
    record_type: str,
    rebuild: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> str | None:
    index_column = getattr(table, "record_index")  # noqa: B009
    rows: Iterable[tuple[Any, bytes | None, str | None, int | None, bytes | None, bytes | None]] = (
        session.execute(
            select_many(
                table,
                col(LedgerRecord.body),
                col(LedgerRecord.type),
                col(LedgerRecord.block_height),
                col(LedgerOpening.salt),
                col(LedgerOpening.personal),
            )
            .join(LedgerRecord, col(LedgerRecord.idx) == index_column, isouter=True)
            .join(LedgerOpening, col(LedgerOpening.idx) == index_column, isouter=True)
            .order_by(index_column)
        ).yield_per(_STREAM)
    )
    name = table.__tablename__
    count = 0
    for row, body, kind, height, salt, personal in rows:
        count += 1
        where = f"{name} row of record {row.record_index}"
        if body is None or kind != record_type:
            return f"{where}: the ledger has no {record_type} record there"
        # The ledger audit holds each record's block height to its block's index range.
        if getattr(row, "block_height", height) != height:
            return (
                f"{where}: block_height is {row.block_height} in the table, {height} on the ledger"
            )
        try:
            record = whole_record(body, salt, personal)
            if record is None:
                continue  # the rider was erased: the row is no longer the ledger's to check
            expected = rebuild(record)
        except (KeyError, TypeError, ValueError) as error:
            return f"record {row.record_index}: not a well-formed {record_type} record: {error!r}"
        stored = row.model_dump()
        for column, value in expected.items():
            if stored[column] != value and not _same_json(column, stored[column], value):
                return (
                    f"{where}: {column} is {stored[column]!r} in the table, {value!r} on the ledger"
                )
    recorded = session.scalar(
        select(func.count()).select_from(LedgerRecord).where(col(LedgerRecord.type) == record_type)
    )
    if recorded != count:
        return f"{recorded} {record_type} records on the ledger but {count} {name} rows"
    return None


def _same_json(column: str, stored: object, expected: object) -> bool:
    # Rows written before the batcher switched to orjson hold the json module's text of
    # the same value (", " and ": ", ASCII escapes). Only that exact text is accepted:
    # comparing parsed values would let false pass for 0 and 200 for 200.0.
    if not column.endswith("_json") or not isinstance(stored, str):
        return False
    try:
        return stored == json.dumps(json.loads(str(expected)), sort_keys=True)
    except ValueError:
        return False
