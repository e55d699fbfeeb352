"""The sandbox provider's own books: what a real provider keeps on its side.

They share farechain's database only because the sandbox runs beside it; farechain's
code never reads them (only `payments.sandbox` does), and the sandbox writes them in
transactions of its own, so a rollback on farechain's side never undoes what the
"provider" did. Times are unix milliseconds.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

__all__ = ["SandboxAgreement", "SandboxPayment", "SandboxRefund", "SandboxWebhook"]


def _ms() -> Column[int]:
    return Column(BigInteger, nullable=False)


def _due_index(table: str) -> Index:
    """The pending rows by when they settle: what `pump` asks for every round, found
    without reading the settled ones (all but a few seconds' worth)."""
    pending = text("status = 'pending'")
    return Index(
        f"ix_{table}_pending_settle_ms",
        "settle_ms",
        postgresql_where=pending,
        sqlite_where=pending,
    )


class SandboxAgreement(SQLModel, table=True):
    __tablename__ = "sandbox_agreements"

    ref: str = Field(primary_key=True)
    key: bytes = Field(sa_column=Column(LargeBinary, nullable=False, unique=True))
    payer: str
    active: bool = True
    created_ms: int = Field(sa_column=_ms())


class SandboxPayment(SQLModel, table=True):
    __tablename__ = "sandbox_payments"
    __table_args__ = (_due_index("sandbox_payments"),)

    key: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    ref: str = Field(unique=True)
    agreement_ref: str | None = None
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str  # pending | captured | declined
    reason: str | None = None
    created_ms: int = Field(sa_column=_ms())
    settle_ms: int = Field(sa_column=_ms())


class SandboxRefund(SQLModel, table=True):
    __tablename__ = "sandbox_refunds"
    __table_args__ = (_due_index("sandbox_refunds"),)

    key: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    ref: str = Field(unique=True)
    payer: str
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str  # pending | succeeded | failed
    reason: str | None = None
    created_ms: int = Field(sa_column=_ms())
    settle_ms: int = Field(sa_column=_ms())


class SandboxWebhook(SQLModel, table=True):
    """A notification waiting to be sent (a repeat is a second row with the same id)."""

    __tablename__ = "sandbox_webhooks"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    deliver_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    attempts: int = 0
    done: bool = Field(default=False, index=True)  # given up; a delivered one is deleted
