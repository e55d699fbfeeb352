"""What riders and providers ask of payments: accounts, agreements, pay-now, webhooks.

Plain functions `(session, ..., *, ...)`; nothing here imports FastAPI. A provider call
is never made inside a database transaction that holds a lock: the work is claimed and
committed first, the provider is asked, and the answer is recorded in a second
transaction (`payments.book.record_news`), so a crash between the two is repaired by
asking again with the same idempotency key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger.commitment import commit_record
from ledger.store import LedgerWriter
from payments import keys, records
from payments.arrears import DenyChange, restate, standing_of
from payments.book import Policy, record_news
from payments.errors import (
    AgreementConflict,
    InvalidPayment,
    PayNowInProgress,
    ProviderDown,
)
from payments.models import Payment, PaymentAccount, PaymentAttempt, Refund
from payments.provider import (
    AgreementRequest,
    Provider,
    ProviderUnavailable,
)
from payments.states import PaymentStatus
from storage.bulk import insert_tuples
from storage.types import core_table

__all__ = [
    "PayNowResult",
    "account",
    "new_payment",
    "new_trip_payments",
    "pay_now",
    "revoke_agreement",
    "rider_payments",
    "sign_agreement",
]


def account(session: Session, rider_id: str) -> PaymentAccount:
    """The rider's account row, created (and committed) on first use."""
    row = session.get(PaymentAccount, rider_id)
    if row is None:
        try:
            session.add(PaymentAccount(rider_id=rider_id))
            session.commit()
        except IntegrityError:
            session.rollback()  # created at the same moment by another request
        row = session.get(PaymentAccount, rider_id)
        assert row is not None
    return row


def new_payment(
    session: Session,
    *,
    key: bytes,
    rider_id: str,
    kind: str,
    trip_event_id: str | None,
    amount_fen: int,
    provider: str,
    now: datetime,
) -> Payment:
    """Add a payment in state `new` with its first attempt (no commit)."""
    attempt = keys.attempt_key(key, 1)
    row = Payment(
        key=key,
        rider_id=rider_id,
        kind=kind,
        trip_event_id=trip_event_id,
        amount_fen=amount_fen,
        status=str(PaymentStatus.NEW),
        attempt=1,
        attempt_key=attempt,
        provider=provider,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.add(PaymentAttempt(key=attempt, payment_key=key, attempt=1))
    return row


def new_trip_payments(
    session: Session, trips: Sequence[tuple[str, str, int]], *, provider: str, now: datetime
) -> int:
    """`new_payment` for many charged trips (event id, rider, fen), as two bulk inserts."""
    payments, attempts = [], []
    for event_id, rider_id, amount_fen in trips:
        key = keys.trip_payment_key(event_id)
        attempt = keys.attempt_key(key, 1)
        new = str(PaymentStatus.NEW)
        head = (key, rider_id, "trip", event_id, amount_fen, new, 1, attempt, provider)
        payments.append((*head, None, None, now, now, None, None, None))
        attempts.append((attempt, key, 1))
    insert_tuples(session, core_table(Payment), _PAYMENT_COLUMNS, payments)
    insert_tuples(session, core_table(PaymentAttempt), ("key", "payment_key", "attempt"), attempts)
    return len(payments)


_PAYMENT_COLUMNS = (
    "key",
    "rider_id",
    "kind",
    "trip_event_id",
    "amount_fen",
    "status",
    "attempt",
    "attempt_key",
    "provider",
    "provider_ref",
    "reason",
    "created_at",
    "updated_at",
    "first_declined_at",
    "next_attempt_at",
    "record_index",
)


@dataclass(frozen=True, slots=True)
class PayNowResult:
    payment: Payment
    deny: list[DenyChange]


def pay_now(
    session: Session,
    writer: LedgerWriter,
    provider: Provider,
    policy: Policy,
    *,
    rider_id: str,
    amount_fen: int,
    now: datetime,
) -> PayNowResult:
    """Pay `amount_fen` of what the rider owes, now; one pay-now at a time per rider."""
    if amount_fen <= 0:
        raise InvalidPayment(f"expected amount_fen > 0, got {amount_fen}")
    row = account(session, rider_id)
    owed = standing_of(session, [rider_id])[rider_id].owed_fen
    if amount_fen > owed:
        raise InvalidPayment(
            f"expected amount_fen at most {owed} (what you owe), got {amount_fen}", owed_fen=owed
        )
    seq = row.pay_now_seq
    key = keys.pay_now_key(rider_id, seq)
    # One conditional UPDATE: of two pay-nows at once exactly one matches the row.
    claimed = session.execute(
        update(PaymentAccount)
        .where(
            col(PaymentAccount.rider_id) == rider_id,
            col(PaymentAccount.pay_now_open).is_(None),
            col(PaymentAccount.pay_now_seq) == seq,
        )
        .values(pay_now_open=key, pay_now_seq=seq + 1)
    )
    if int(getattr(claimed, "rowcount", 0)) != 1:
        session.rollback()
        raise PayNowInProgress("expected no other pay-now in progress, got one: try again soon")
    payment = new_payment(
        session,
        key=key,
        rider_id=rider_id,
        kind="pay_now",
        trip_event_id=None,
        amount_fen=amount_fen,
        provider=policy.provider,
        now=now,
    )
    attempt_key = payment.attempt_key
    session.commit()
    try:
        answer = provider.create_payment(
            key=attempt_key, agreement_ref=None, amount_fen=amount_fen, description="pay-now"
        )
    except ProviderUnavailable:
        # Taken or not, the worker sends it again with the same key: 202, still `new`.
        return PayNowResult(_reload(session, key), [])
    recorded = record_news(session, writer, policy, [answer], now)
    return PayNowResult(_reload(session, key), recorded.deny)


def _reload(session: Session, key: bytes) -> Payment:
    row = session.get(Payment, key, populate_existing=True)
    assert row is not None
    return row


def sign_agreement(
    session: Session, writer: LedgerWriter, provider: Provider, *, rider_id: str, now: datetime
) -> PaymentAccount:
    """Authorise entrusted deduction with the provider; one ledger record."""
    row = account(session, rider_id)
    if row.agreement == "active":
        raise AgreementConflict("expected no active agreement, got one: revoke it first")
    seq = row.agreement_seq
    session.commit()
    try:
        answer = provider.create_agreement(key=keys.agreement_key(rider_id, seq), payer=rider_id)
    except ProviderUnavailable as error:
        raise ProviderDown(f"the payment provider did not answer: {error}") from error
    return _record_agreement(session, writer, provider, rider_id, seq, answer.ref, now)


def revoke_agreement(
    session: Session, writer: LedgerWriter, provider: Provider, *, rider_id: str, now: datetime
) -> PaymentAccount:
    row = account(session, rider_id)
    if row.agreement != "active" or row.agreement_ref is None:
        raise AgreementConflict(f"expected an active agreement to revoke, got {row.agreement}")
    ref, seq = row.agreement_ref, row.agreement_seq
    session.commit()
    try:
        provider.revoke_agreement(ref=ref)
    except ProviderUnavailable as error:
        raise ProviderDown(f"the payment provider did not answer: {error}") from error
    return _record_agreement(session, writer, provider, rider_id, seq, None, now)


def _record_agreement(
    session: Session,
    writer: LedgerWriter,
    provider: Provider,
    rider_id: str,
    seq: int,
    new_ref: str | None,
    now: datetime,
) -> PaymentAccount:
    try:
        head = writer.lock_head(session)
        row = session.get(PaymentAccount, rider_id, populate_existing=True)
        assert row is not None
        signing = new_ref is not None
        if (row.agreement == "active") == signing or row.agreement_seq != seq:
            raise AgreementConflict("expected the agreement unchanged meanwhile, got a change")
        fields = records.agreement_record(
            rider=rider_id,
            status="authorised" if signing else "revoked",
            provider=provider.name,
            provider_ref=new_ref or row.agreement_ref or "",
            at=now,
        )
        writer.append_block(session, head, [commit_record(fields)], now)
        if signing:
            row.agreement, row.agreement_ref, row.agreement_since = "active", new_ref, now
            row.agreement_seq = seq + 1
        else:
            row.agreement, row.agreement_since = "revoked", now
        session.commit()
    except BaseException:
        writer.forget()
        session.rollback()
        raise
    return row


def rider_payments(
    session: Session, rider_id: str, limit: int
) -> tuple[list[Payment], list[Refund]]:
    payments = session.scalars(
        select(Payment)
        .where(col(Payment.rider_id) == rider_id)
        .order_by(col(Payment.created_at).desc())
        .limit(limit)
    )
    refunds = session.scalars(
        select(Refund)
        .where(col(Refund.rider_id) == rider_id)
        .order_by(col(Refund.created_at).desc())
        .limit(limit)
    )
    return list(payments), list(refunds)


def restate_riders(session: Session, policy: Policy, rider_ids: list[str]) -> list[DenyChange]:
    changes = restate(session, rider_ids, block_fen=policy.block_fen)
    session.commit()
    return changes


# Most agreements asked of the provider in one request (a bulk onboarding file's size).
AGREEMENTS_PER_REQUEST = 5_000


def sign_agreements(
    session: Session,
    writer: LedgerWriter,
    provider: Provider,
    *,
    rider_ids: list[str],
    now: datetime,
    per_request: int = AGREEMENTS_PER_REQUEST,
) -> int:
    """Agreements for riders who never had one (the demo world's), in one block.

    The provider is asked `per_request` riders at a time (`create_agreements`), and the
    accounts go in as one bulk insert: one at a time, 20,000 riders took a minute.
    """
    have = set(session.scalars(select(col(PaymentAccount.rider_id))))
    todo = [r for r in rider_ids if r not in have]
    refs: dict[str, str] = {}
    for start in range(0, len(todo), per_request):
        chunk = todo[start : start + per_request]
        answers = provider.create_agreements(
            [AgreementRequest(key=keys.agreement_key(r, 0), payer=r) for r in chunk]
        )
        refs.update((r, a.ref) for r, a in zip(chunk, answers, strict=True))
    if not refs:
        return 0
    try:
        head = writer.lock_head(session)
        bodies = [
            commit_record(
                records.agreement_record(
                    rider=rider_id,
                    status="authorised",
                    provider=provider.name,
                    provider_ref=ref,
                    at=now,
                )
            )
            for rider_id, ref in refs.items()
        ]
        insert_tuples(
            session,
            core_table(PaymentAccount),
            _ACCOUNT_COLUMNS,
            [
                (rider_id, "active", ref, now, 1, 0, None, False, 0)
                for rider_id, ref in refs.items()
            ],
        )
        writer.append_block(session, head, bodies, now)
        session.commit()
    except BaseException:
        writer.forget()
        session.rollback()
        raise
    return len(refs)


_ACCOUNT_COLUMNS = (
    "rider_id",
    "agreement",
    "agreement_ref",
    "agreement_since",
    "agreement_seq",
    "pay_now_seq",
    "pay_now_open",
    "debt_blocked",
    "blocked_owed_fen",
)
