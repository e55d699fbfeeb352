"""Tables of payments: accounts, payments and their attempts, refunds, the inbox, cursors.

Payment and refund rows are projections of their ledger records plus the bookkeeping
the worker needs between records (attempt keys, when to retry); each keeps the index
of its latest record. The provider's own state is never copied here except its refs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime

__all__ = [
    "Payment",
    "PaymentAccount",
    "PaymentAttempt",
    "PaymentCursor",
    "PaymentInbox",
    "Refund",
]


def _key() -> Column[bytes]:
    return Column(LargeBinary, primary_key=True)


def _at(nullable: bool = False) -> Column[datetime]:
    return Column(UtcDateTime(), nullable=nullable)


class PaymentAccount(SQLModel, table=True):
    """A rider's standing with the payments side: agreement, pay-now lock, debt block."""

    __tablename__ = "payment_accounts"

    rider_id: str = Field(primary_key=True)
    agreement: str = "none"  # none | active | revoked
    agreement_ref: str | None = None
    agreement_since: datetime | None = Field(default=None, sa_column=_at(True))
    agreement_seq: int = 0  # agreements signed so far: the next one's key
    pay_now_seq: int = 0  # pay-nows started so far: the next one's key
    # The open pay-now's key: set by one conditional UPDATE, so of two at once one wins.
    pay_now_open: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    debt_blocked: bool = False
    blocked_owed_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class Payment(SQLModel, table=True):
    __tablename__ = "payments"
    # The worker's retry step asks every round for declined payments due again; only
    # those have a next attempt, so the index holds a few rows, not every payment.
    __table_args__ = (
        Index(
            "ix_payments_retry_due",
            "next_attempt_at",
            postgresql_where=text("next_attempt_at IS NOT NULL"),
            sqlite_where=text("next_attempt_at IS NOT NULL"),
        ),
    )

    key: bytes = Field(sa_column=_key())
    rider_id: str = Field(index=True)
    kind: str  # trip | pay_now
    trip_event_id: str | None = Field(default=None, unique=True)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(index=True)  # payments.states.PaymentStatus
    attempt: int = 1
    attempt_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False, unique=True))
    provider: str
    provider_ref: str | None = None
    reason: str | None = None
    created_at: datetime = Field(sa_column=_at())
    updated_at: datetime = Field(sa_column=_at())
    first_declined_at: datetime | None = Field(default=None, sa_column=_at(True))
    next_attempt_at: datetime | None = Field(default=None, sa_column=_at(True))
    record_index: int | None = Field(default=None, sa_column=Column(BigInteger))


class PaymentAttempt(SQLModel, table=True):
    """Every attempt key ever sent, so late news of an old attempt is known, not 404."""

    __tablename__ = "payment_attempts"

    key: bytes = Field(sa_column=_key())
    payment_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False, index=True))
    attempt: int


class Refund(SQLModel, table=True):
    __tablename__ = "refunds"

    key: bytes = Field(sa_column=_key())
    rider_id: str = Field(index=True)
    credit_note: str = Field(unique=True)
    trip_event_id: str | None = None
    credit_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(index=True)  # payments.states.RefundStatus
    provider: str
    provider_ref: str | None = None
    reason: str | None = None
    created_at: datetime = Field(sa_column=_at())
    updated_at: datetime = Field(sa_column=_at())
    record_index: int | None = Field(default=None, sa_column=Column(BigInteger))


class PaymentInbox(SQLModel, table=True):
    """Verified webhooks, kept until the worker applies them; the id makes repeats no-ops."""

    __tablename__ = "payment_inbox"
    # The worker asks every round for the rows not applied yet: a few seconds' worth
    # among every webhook ever received.
    __table_args__ = (
        Index(
            "ix_payment_inbox_unapplied",
            "received_at",
            postgresql_where=text("NOT applied"),
            sqlite_where=text("NOT applied"),
        ),
    )

    event_id: str = Field(primary_key=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = Field(sa_column=_at())
    applied: bool = False


class PaymentCursor(SQLModel, table=True):
    """How far the worker has read a committed table (charges, credit notes), by index."""

    __tablename__ = "payment_cursors"

    name: str = Field(primary_key=True)
    position: int = Field(default=-1, sa_column=Column(BigInteger, nullable=False))
