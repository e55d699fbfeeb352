"""Read models of the operator routes and console: plain dicts, the operator's side only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger.models import LedgerRecord
from operators.errors import NotFound
from operators.models import (
    OperatorStatement,
    ReconciliationLine,
    ReconciliationReport,
    Settlement,
)
from operators.payment_match import match_payments

__all__ = [
    "LINE_COLUMNS",
    "day_summary",
    "report_csv_lines",
    "report_lines",
    "report_list",
    "report_public",
    "report_with_payments",
    "statement_list",
    "visible_report",
]

LINE_COLUMNS = (
    "seq",
    "kind",
    "key",
    "device",
    "journal_line",
    "journal_fen",
    "ledger_fen",
    "ledger_index",
    "detail",
)


def statement_list(session: Session, operator: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OperatorStatement)
        .where(col(OperatorStatement.operator_id) == operator)
        .order_by(col(OperatorStatement.day).desc())
    )
    return [
        {"day": r.day, "ledger_index": r.record_index, "payable_net_fen": r.payable_net_fen}
        for r in rows
    ]


def day_summary(session: Session, operator: str, day: dt.date) -> dict[str, Any]:
    settlement = session.get(Settlement, day.isoformat())
    row = session.get(OperatorStatement, (operator, day.isoformat()))
    out: dict[str, Any] = {"operator": operator, "day": day.isoformat(), "settled": False}
    if settlement is not None and row is not None:
        record = session.get(LedgerRecord, row.record_index)
        assert record is not None
        statement = orjson.loads(record.body)
        out.update(
            settled=True,
            ledger_index=row.record_index,
            ledger_from=settlement.ledger_from,
            ledger_to=settlement.ledger_to,
            totals=statement["totals"],
            positions=statement["positions"],
            adjustments=statement["adjustments"],
            payable_net_fen=statement["payable_net_fen"],
        )
    reports = [r for r in report_list(session, operator) if r["day"] == day.isoformat()]
    out["reconciliations"] = reports
    return out


def report_public(report: ReconciliationReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "operator": report.operator_id,
        "day": report.day,
        "upload_sha256": report.upload_sha256,
        "ledger_to": report.ledger_to,
        "rows": report.rows,
        "counts": json.loads(report.counts_json),
        "created_at": report.created_at.isoformat(),
    }


def report_with_payments(session: Session, report: ReconciliationReport) -> dict[str, Any]:
    """The report, and its day's payments against fares up to the same ledger bound."""
    settlement = session.get(Settlement, report.day)
    out = report_public(report)
    if settlement is not None:
        out["payments"] = match_payments(
            session,
            operator=report.operator_id,
            day=dt.date.fromisoformat(report.day),
            cut_min=settlement.cut_min,
            ledger_to=report.ledger_to,
        ).as_dict()
    return out


def report_list(session: Session, operator: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ReconciliationReport)
        .where(col(ReconciliationReport.operator_id) == operator)
        .order_by(col(ReconciliationReport.created_at).desc())
        .limit(100)
    )
    return [report_public(r) for r in rows]


def visible_report(session: Session, operator: str, report_id: str) -> ReconciliationReport:
    report = session.get(ReconciliationReport, report_id)
    if report is None or report.operator_id != operator:
        raise NotFound(f"expected one of your reconciliation reports, got {report_id!r}")
    return report


def _line(row: ReconciliationLine) -> dict[str, Any]:
    return {name: getattr(row, name) for name in LINE_COLUMNS}


def report_lines(
    session: Session, report_id: str, *, kind: str | None, after: int, limit: int
) -> list[dict[str, Any]]:
    query = select(ReconciliationLine).where(
        col(ReconciliationLine.report_id) == report_id, col(ReconciliationLine.seq) > after
    )
    if kind is not None:
        query = query.where(col(ReconciliationLine.kind) == kind)
    rows = session.scalars(query.order_by(col(ReconciliationLine.seq)).limit(limit))
    return [_line(r) for r in rows]


def report_csv_lines(session: Session, report_id: str) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LINE_COLUMNS)
    after = 0
    while True:
        lines = report_lines(session, report_id, kind=None, after=after, limit=5_000)
        for line in lines:
            writer.writerow([line[name] for name in LINE_COLUMNS])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if len(lines) < 5_000:
            return
        after = lines[-1]["seq"]
