"""Request and response shapes of the payment routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from payments.arrears import Standing
from payments.models import Payment, PaymentAccount, Refund

__all__ = [
    "AccountPublic",
    "AgreementPublic",
    "PayNowCreate",
    "PaymentList",
    "PaymentPublic",
    "RefundPublic",
]


class AgreementPublic(BaseModel):
    status: Literal["none", "active", "revoked"]
    since: datetime | None


class AccountPublic(BaseModel):
    balance_fen: int
    owed_fen: int  # debt no payment in flight is collecting: what pay-now may pay
    blocked: bool
    blocked_reason: str | None
    agreement: AgreementPublic

    @classmethod
    def of(cls, account: PaymentAccount, standing: Standing, rider_blocked: bool) -> AccountPublic:
        reason = "debt" if account.debt_blocked else ("blocked" if rider_blocked else None)
        return cls(
            balance_fen=standing.balance_fen,
            owed_fen=standing.owed_fen,
            blocked=rider_blocked,
            blocked_reason=reason,
            agreement=AgreementPublic(
                status=account.agreement,
                since=account.agreement_since,
            ),
        )


class PayNowCreate(BaseModel):
    amount_fen: int = Field(gt=0, le=10**9, strict=True)


class PaymentPublic(BaseModel):
    id: str  # the payment's key, hex
    kind: str
    status: str
    amount_fen: int
    trip_event_id: str | None
    attempt: int
    reason: str | None
    record_index: int | None  # the ledger record of its latest state
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Payment) -> PaymentPublic:
        return cls(
            id=row.key.hex(),
            kind=row.kind,
            status=row.status,
            amount_fen=row.amount_fen,
            trip_event_id=row.trip_event_id,
            attempt=row.attempt,
            reason=row.reason,
            record_index=row.record_index,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class RefundPublic(BaseModel):
    id: str
    status: str
    credit_note: str
    credit_fen: int
    amount_fen: int  # paid back through the provider; the rest settled debt
    trip_event_id: str | None
    record_index: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: Refund) -> RefundPublic:
        return cls(
            id=row.key.hex(),
            status=row.status,
            credit_note=row.credit_note,
            credit_fen=row.credit_fen,
            amount_fen=row.amount_fen,
            trip_event_id=row.trip_event_id,
            record_index=row.record_index,
            created_at=row.created_at,
        )


class PaymentList(BaseModel):
    payments: list[PaymentPublic]
    refunds: list[RefundPublic]
