"""`farechain verify`: the ledger audit, then every projection row against its record.

The rows riders and the tax bureau read (trips, charges, invoices) must say what the
ledger records say; a changed amount in any of them is named with its record index.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from farechain.models import Charge, Trip
from invoicing.models import Invoice
from ledger.audit import LedgerAudit, audit_ledger
from ledger.models import LedgerRecord


def audit(
    session: Session, *, verifier_keys: Sequence[str], origin: str, witness_keys: Sequence[str] = ()
) -> LedgerAudit:
    report = audit_ledger(
        session, verifier_keys=verifier_keys, witness_keys=witness_keys, origin=origin
    )
    if report.problem is None:
        for table, check in ((Trip, _trip), (Charge, _charge), (Invoice, _invoice)):
            problem = _check_projection(session, table, check)
            if problem:
                report.problem = problem
                break
    return report


Check = Callable[[Any, dict[str, Any]], list[tuple[str, object, object]]]


def _check_projection(session: Session, table: Any, check: Check) -> str | None:
    rows: Iterable[tuple[Any, bytes]] = session.execute(
        select(table, col(LedgerRecord.body))
        .join(LedgerRecord, col(LedgerRecord.idx) == table.record_index, isouter=True)
        .order_by(table.record_index)
    ).yield_per(2_000)
    for row, body in rows:
        name = f"{table.__tablename__} row of record {row.record_index}"
        if body is None:
            return f"{name}: no such record on the ledger"
        record = json.loads(body)
        for field, stored, recorded in check(row, record):
            if stored != recorded:
                return f"{name}: {field} is {stored!r} in the table, {recorded!r} on the ledger"
    return None


def _trip(row: Trip, record: dict[str, Any]) -> list[tuple[str, object, object]]:
    return [
        ("type", "trip", record["type"]),
        ("event_id", row.event_id, record["event_id"]),
        ("rider_id", row.rider_id, record["rider"]),
        ("fare_fen", row.fare_fen, record["quote"]["amount_fen"]),
        ("quote", json.loads(row.quote_json), record["quote"]),
    ]


def _charge(row: Charge, record: dict[str, Any]) -> list[tuple[str, object, object]]:
    return [
        ("type", "charge", record["type"]),
        ("trip_event_id", row.trip_event_id, record["trip_event_id"]),
        ("rider_id", row.rider_id, record["rider"]),
        ("amount_fen", row.amount_fen, record["amount_fen"]),
        ("balance_after_fen", row.balance_after_fen, record["balance_after_fen"]),
    ]


def _invoice(row: Invoice, record: dict[str, Any]) -> list[tuple[str, object, object]]:
    return [
        ("number", row.number, record["number"]),
        ("seller_id", row.seller_id, record["seller"]["id"]),
        ("buyer_tax_id", row.buyer_tax_id, record["buyer"]["tax_id"]),
        ("total_fen", row.total_fen, record["total_fen"]),
        ("base_fen", row.base_fen, record["base_fen"]),
        ("tax_fen", row.tax_fen, record["tax_fen"]),
        ("check_code", row.check_code, record["check_code"]),
        ("trip_event_id", row.trip_event_id, record["trip_event_id"]),
    ]
