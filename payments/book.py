"""Recording payment news: every state change one ledger record, appended in one block.

`record_news` takes what providers said (answers to requests, queried states, webhooks)
and what the worker decided (write-offs), and in one transaction: takes the ledger's
write lock (`LedgerWriter.lock_head`, as `invoicing.transitions` does), re-reads each
payment or refund *after* taking it (so the API, the worker and the batcher serialise),
runs the state machine (`payments.states`), appends the records as one signed block,
moves the riders' balances, restates the deny list, and commits. News that changes
nothing (a repeat, an older attempt, older news overtaken) appends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ledger import records as ledger_records
from ledger.store import LedgerWriter
from payments import records
from payments.arrears import DenyChange, restate
from payments.models import Payment, PaymentAccount, PaymentAttempt, Refund
from payments.provider import PaymentAnswer, RefundAnswer
from payments.schedule import RetrySchedule
from payments.states import (
    InconsistentNews,
    PaymentStatus,
    RefundOutcome,
    RefundStatus,
    apply_news,
    apply_refund_news,
)
from trips.models import Rider

__all__ = ["Policy", "Recorded", "WriteOff", "record_news"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Policy:
    provider: str
    schedule: RetrySchedule
    block_fen: int


@dataclass(frozen=True, slots=True)
class WriteOff:
    payment_key: bytes
    reason: str


News = PaymentAnswer | RefundAnswer | WriteOff


@dataclass
class Recorded:
    records: int = 0
    deny: list[DenyChange] = field(default_factory=list)
    unknown: int = 0


@dataclass
class _Plan:
    session: Session
    policy: Policy
    now: datetime
    entries: list[tuple[str, dict[str, object], Callable[[int], None]]] = field(
        default_factory=list
    )
    riders: set[str] = field(default_factory=set)
    unknown: int = 0

    def rider(self, rider_id: str) -> Rider:
        row = self.session.get(Rider, rider_id)
        assert row is not None, rider_id
        return row

    def add(self, kind: str, fields: dict[str, object], row: Payment | Refund) -> None:
        def apply(index: int) -> None:
            row.record_index = index

        self.entries.append((kind, fields, apply))
        self.riders.add(row.rider_id)


def record_news(
    session: Session, writer: LedgerWriter, policy: Policy, news: Sequence[News], now: datetime
) -> Recorded:
    """Apply `news` in order; append one block for the changes; commit."""
    try:
        head = writer.lock_head(session)
        plan = _Plan(session, policy, now)
        for item in news:
            if isinstance(item, PaymentAnswer):
                _payment_news(plan, item)
            elif isinstance(item, RefundAnswer):
                _refund_news(plan, item)
            else:
                _write_off(plan, item)
        result = Recorded(unknown=plan.unknown)
        if plan.entries:
            bodies = [(k, ledger_records.encode_record(f)) for k, f, _ in plan.entries]
            block = writer.append_block(session, head, bodies, now)
            for offset, (_, _, apply) in enumerate(plan.entries):
                apply(block.first_index + offset)
            result.records = len(plan.entries)
        result.deny = restate(session, plan.riders, block_fen=policy.block_fen)
        session.commit()
    except BaseException:
        # Forget before the rollback releases the lock: another writer may append next.
        writer.forget()
        session.rollback()
        raise
    return result


def _payment_news(plan: _Plan, answer: PaymentAnswer) -> None:
    session = plan.session
    attempt = session.get(PaymentAttempt, answer.key)
    payment = (
        None
        if attempt is None
        else session.get(Payment, attempt.payment_key, populate_existing=True)
    )
    if attempt is None or payment is None:
        plan.unknown += 1
        return
    try:
        step = apply_news(
            PaymentStatus(payment.status), payment.attempt, answer.outcome, attempt.attempt
        )
    except InconsistentNews as error:
        log.error("payment %s: %s", payment.key.hex(), error)
        return
    if step is None:
        return
    payment.status, payment.updated_at = str(step.status), plan.now
    payment.provider_ref = answer.ref or payment.provider_ref
    if step.status is PaymentStatus.DECLINED:
        payment.reason = answer.reason
        payment.first_declined_at = payment.first_declined_at or plan.now
        if payment.kind == "trip":
            payment.next_attempt_at = plan.policy.schedule.next_attempt_at(
                payment.first_declined_at, payment.attempt
            )
    rider = plan.rider(payment.rider_id)
    if step.status is PaymentStatus.CAPTURED:
        rider.balance_fen += payment.amount_fen
    if (
        step.status in (PaymentStatus.CAPTURED, PaymentStatus.DECLINED)
        and payment.kind == "pay_now"
    ):
        _release_pay_now(session, payment)
    if step.record:
        plan.add(records.PAYMENT, _payment_fields(plan, payment, rider), payment)
    if (
        step.status is PaymentStatus.DECLINED
        and payment.kind == "trip"
        and payment.next_attempt_at is None
    ):
        _write_off(plan, WriteOff(payment.key, "retries_exhausted"))


def _write_off(plan: _Plan, item: WriteOff) -> None:
    payment = plan.session.get(Payment, item.payment_key, populate_existing=True)
    if payment is None or payment.status != PaymentStatus.DECLINED:
        return  # captured meanwhile, or written off already
    payment.status, payment.reason, payment.updated_at = "written_off", item.reason, plan.now
    payment.next_attempt_at = None
    plan.add(records.PAYMENT, _payment_fields(plan, payment, plan.rider(payment.rider_id)), payment)


def _payment_fields(plan: _Plan, payment: Payment, rider: Rider) -> dict[str, object]:
    return records.payment_record(
        key=payment.key,
        rider=payment.rider_id,
        kind=payment.kind,
        trip_event_id=payment.trip_event_id,
        status=payment.status,
        attempt=payment.attempt,
        amount_fen=payment.amount_fen,
        provider=payment.provider,
        provider_ref=payment.provider_ref,
        reason=payment.reason,
        balance_after_fen=rider.balance_fen,
        at=plan.now,
    )


def _release_pay_now(session: Session, payment: Payment) -> None:
    account = session.get(PaymentAccount, payment.rider_id, populate_existing=True)
    if account is not None and account.pay_now_open == payment.key:
        account.pay_now_open = None


def _refund_news(plan: _Plan, answer: RefundAnswer) -> None:
    refund = plan.session.get(Refund, answer.key, populate_existing=True)
    if refund is None:
        plan.unknown += 1
        return
    try:
        status = apply_refund_news(RefundStatus(refund.status), answer.outcome)
    except InconsistentNews as error:
        log.error("refund %s: %s", refund.key.hex(), error)
        return
    if status is None:
        return
    refund.status, refund.updated_at = str(status), plan.now
    refund.provider_ref = answer.ref or refund.provider_ref
    if status is RefundStatus.PENDING:
        return
    rider = plan.rider(refund.rider_id)
    if answer.outcome is RefundOutcome.FAILED:
        refund.reason = answer.reason
        rider.balance_fen += refund.amount_fen
    plan.add(records.REFUND, refund_fields(refund, rider.balance_fen, plan.now), refund)


def refund_fields(refund: Refund, balance_after_fen: int, now: datetime) -> dict[str, object]:
    return records.refund_record(
        key=refund.key,
        rider=refund.rider_id,
        credit_note=refund.credit_note,
        trip_event_id=refund.trip_event_id,
        status="requested" if refund.status in ("new", "pending") else refund.status,
        credit_fen=refund.credit_fen,
        amount_fen=refund.amount_fen,
        provider=refund.provider,
        provider_ref=refund.provider_ref,
        reason=refund.reason,
        balance_after_fen=balance_after_fen,
        at=now,
    )
