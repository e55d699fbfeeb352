"""Tables of the operators' back office: sign-in accounts, settled days, statements and
reconciliation reports.

A statement's truth is its ledger record (`operator_statements.record_index` names it);
a settlement row records the ledger range it covered, so the statement can be computed
again and compared byte for byte. A reconciliation report and its lines are written in
one transaction at the end of the upload, or not at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


class OperatorAccount(SQLModel, table=True):
    """An operator's back-office sign-in: `Authorization: Bearer <id>.<secret>`."""

    __tablename__ = "operator_accounts"

    id: str = Field(primary_key=True)
    operator_id: str = Field(foreign_key="operators.id", index=True)
    token_sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Settlement(SQLModel, table=True):
    """One settled business day: the ledger range its statements cover."""

    __tablename__ = "operator_settlements"

    day: str = Field(primary_key=True)  # YYYY-MM-DD, Asia/Shanghai business day
    cut_min: int
    ledger_from: int = Field(sa_column=Column(BigInteger, nullable=False))
    ledger_to: int = Field(sa_column=Column(BigInteger, nullable=False))
    block_height: int
    settled_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class OperatorStatement(SQLModel, table=True):
    __tablename__ = "operator_statements"

    operator_id: str = Field(primary_key=True)
    day: str = Field(primary_key=True)
    record_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    payable_net_fen: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReconciliationReport(SQLModel, table=True):
    __tablename__ = "operator_reconciliations"

    id: str = Field(primary_key=True)  # from operator, day, ledger bound and upload hash
    operator_id: str = Field(index=True)
    day: str
    upload_sha256: str
    ledger_to: int = Field(sa_column=Column(BigInteger, nullable=False))
    rows: int
    counts_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ReconciliationLine(SQLModel, table=True):
    __tablename__ = "operator_reconciliation_lines"

    report_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    kind: str
    key: str
    device: str
    journal_line: int | None = None
    journal_fen: int | None = None
    ledger_fen: int | None = None
    ledger_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    detail: str = ""
