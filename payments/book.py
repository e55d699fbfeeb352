"""Recording payment news: every state change one ledger record, appended in one block.

`record_news` takes what providers said (answers to requests, queried states, webhooks)
and what the worker decided (write-offs), and in one transaction: takes the ledger's
write lock (`LedgerWriter.lock_head`, as `invoicing.transitions` does), re-reads each
payment or refund *after* taking it (so the API, the worker and the batcher serialise),
runs the state machine (`payments.states`), appends the records as one signed block,
moves the riders' balances, restates the deny list, and commits. News that changes
nothing (a repeat, an older attempt, older news overtaken) appends nothing.

The worker hands it hundreds of news at once, so the rows are read and written as
sets: one SELECT each for the attempts, payments and balances the news is about, one
bulk UPDATE each for the payments changed and the balances moved
(`storage.bulk.update_by_key`, `subtract_by_key`). Balances move by deltas in one
statement, as the batcher's charges do, never by writing back a value read earlier.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.commitment import commit_record
from ledger.store import LedgerWriter
from payments import records
from payments.arrears import DenyChange, restate
from payments.models import Payment, PaymentAccount, PaymentAttempt, PaymentInbox, Refund
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
from storage.bulk import subtract_by_key, update_by_key
from storage.types import among, core_table
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


# The payment columns `record_news` reads and may change; the first is the key.
_READ = (
    "key",
    "rider_id",
    "kind",
    "trip_event_id",
    "amount_fen",
    "status",
    "attempt",
    "provider",
    "provider_ref",
    "reason",
    "first_declined_at",
    "next_attempt_at",
    "record_index",
    "updated_at",
)
_WRITTEN = (
    "status",
    "provider_ref",
    "reason",
    "first_declined_at",
    "next_attempt_at",
    "record_index",
    "updated_at",
)
_PAYMENTS, _ATTEMPTS, _RIDERS = core_table(Payment), core_table(PaymentAttempt), core_table(Rider)


@dataclass(slots=True)
class _Pay:
    """A payment row while its news is applied; written back in one statement."""

    key: bytes
    rider_id: str
    kind: str
    trip_event_id: str | None
    amount_fen: int
    status: str
    attempt: int
    provider: str
    provider_ref: str | None
    reason: str | None
    first_declined_at: datetime | None
    next_attempt_at: datetime | None
    record_index: int | None
    updated_at: datetime
    changed: bool = False


@dataclass
class _Plan:
    session: Session
    policy: Policy
    now: datetime
    payments: dict[bytes, _Pay]
    attempts: dict[bytes, tuple[bytes, int]]  # attempt key -> (payment key, attempt)
    balances: dict[str, int]
    entries: list[tuple[str, dict[str, object], Callable[[int], None]]] = field(
        default_factory=list
    )
    riders: set[str] = field(default_factory=set)  # whose standing may have changed
    paid: set[str] = field(default_factory=set)  # who had only payments go through
    moved: dict[str, int] = field(default_factory=dict)  # rider -> fen added
    unknown: int = 0

    def credit(self, rider_id: str, fen: int) -> int:
        """Add `fen` to the rider's balance; the balance after."""
        self.balances[rider_id] += fen
        self.moved[rider_id] = self.moved.get(rider_id, 0) + fen
        return self.balances[rider_id]

    def add(self, kind: str, fields: dict[str, object], row: _Pay | Refund) -> None:
        def apply(index: int) -> None:
            row.record_index = index

        self.entries.append((kind, fields, apply))
        if kind == records.PAYMENT and fields["status"] in ("authorised", "captured"):
            self.paid.add(row.rider_id)
        else:
            self.riders.add(row.rider_id)


def record_news(
    session: Session,
    writer: LedgerWriter,
    policy: Policy,
    news: Sequence[News],
    now: datetime,
    *,
    inbox: Sequence[str] = (),
) -> Recorded:
    """Apply `news` in order; append one block for the changes; commit.

    `inbox`: the ids of the webhooks the news came from, marked applied in the same
    transaction, so a crash applies them again (harmlessly) or not at all.
    """
    try:
        head = writer.lock_head(session)
        plan = _load(session, policy, news, now)
        for item in news:
            if isinstance(item, PaymentAnswer):
                _payment_news(plan, item)
            elif isinstance(item, RefundAnswer):
                _refund_news(plan, item)
            else:
                _write_off(plan, item)
        result = Recorded(unknown=plan.unknown)
        if plan.entries:
            bodies = [commit_record(f) for _, f, _ in plan.entries]
            block = writer.append_block(session, head, bodies, now)
            for offset, (_, _, apply) in enumerate(plan.entries):
                apply(block.first_index + offset)
            result.records = len(plan.entries)
        _write(plan, inbox)
        result.deny = restate(session, _to_restate(plan), block_fen=policy.block_fen)
        session.commit()
    except BaseException:
        # Forget before the rollback releases the lock: another writer may append next.
        writer.forget()
        session.rollback()
        raise
    return result


def _load(session: Session, policy: Policy, news: Sequence[News], now: datetime) -> _Plan:
    """Read, under the ledger's lock, every row the news is about: a few statements."""
    attempt_keys = [n.key for n in news if isinstance(n, PaymentAnswer)]
    attempts: dict[bytes, tuple[bytes, int]] = {}
    if attempt_keys:
        rows = session.execute(
            select(_ATTEMPTS.c.key, _ATTEMPTS.c.payment_key, _ATTEMPTS.c.attempt).where(
                among(session, _ATTEMPTS.c.key, attempt_keys)
            )
        )
        attempts = {key: (payment, attempt) for key, payment, attempt in rows}
    wanted = {p for p, _ in attempts.values()}
    wanted |= {n.payment_key for n in news if isinstance(n, WriteOff)}
    payments: dict[bytes, _Pay] = {}
    if wanted:
        rows = session.execute(
            select(*(_PAYMENTS.c[c] for c in _READ)).where(
                among(session, _PAYMENTS.c.key, list(wanted))
            )
        )
        payments = {row.key: _Pay(**row._mapping) for row in rows}
    riders = {p.rider_id for p in payments.values()}
    for item in news:
        if isinstance(item, RefundAnswer):
            refund = session.get(Refund, item.key, populate_existing=True)
            if refund is not None:
                riders.add(refund.rider_id)
    balances: dict[str, int] = {}
    if riders:
        balances = dict(
            session.execute(
                select(_RIDERS.c.id, _RIDERS.c.balance_fen).where(
                    among(session, _RIDERS.c.id, list(riders))
                )
            ).all()
        )
    return _Plan(session, policy, now, payments, attempts, balances)


def _to_restate(plan: _Plan) -> set[str]:
    """The riders whose deny-list standing may have changed.

    A payment going through (authorised, captured) raises the balance by what leaves
    the in-flight sum, so it never raises what a rider owes: a rider not blocked stays
    unblocked, and only a blocked one (who may now owe less) is looked at again.
    """
    paid_only = plan.paid - plan.riders
    if not paid_only:
        return plan.riders
    blocked = plan.session.scalars(
        select(col(PaymentAccount.rider_id)).where(
            among(plan.session, col(PaymentAccount.rider_id), list(paid_only)),
            col(PaymentAccount.debt_blocked).is_(True),
        )
    )
    return plan.riders | set(blocked)


def _write(plan: _Plan, inbox: Sequence[str]) -> None:
    session = plan.session
    changed = [p for p in plan.payments.values() if p.changed]
    update_by_key(
        session,
        _PAYMENTS,
        "key",
        _WRITTEN,
        [(p.key, *(getattr(p, c) for c in _WRITTEN)) for p in changed],
    )
    moved = {rider: -fen for rider, fen in plan.moved.items() if fen}
    subtract_by_key(session, _RIDERS, "id", "balance_fen", moved)
    if inbox:
        session.execute(
            update(PaymentInbox)
            .where(among(session, col(PaymentInbox.event_id), list(inbox)))
            .values(applied=True)
        )
    session.flush()  # refunds and pay-now accounts changed through the ORM


def _payment_news(plan: _Plan, answer: PaymentAnswer) -> None:
    found = plan.attempts.get(answer.key)
    payment = None if found is None else plan.payments.get(found[0])
    if found is None or payment is None:
        plan.unknown += 1
        return
    try:
        step = apply_news(PaymentStatus(payment.status), payment.attempt, answer.outcome, found[1])
    except InconsistentNews as error:
        log.error("payment %s: %s", payment.key.hex(), error)
        return
    if step is None:
        return
    payment.changed = True
    payment.status, payment.updated_at = str(step.status), plan.now
    payment.provider_ref = answer.ref or payment.provider_ref
    if step.status is PaymentStatus.DECLINED:
        payment.reason = answer.reason
        payment.first_declined_at = payment.first_declined_at or plan.now
        if payment.kind == "trip":
            payment.next_attempt_at = plan.policy.schedule.next_attempt_at(
                payment.first_declined_at, payment.attempt
            )
    captured = step.status is PaymentStatus.CAPTURED
    balance = plan.credit(payment.rider_id, payment.amount_fen if captured else 0)
    if (
        step.status in (PaymentStatus.CAPTURED, PaymentStatus.DECLINED)
        and payment.kind == "pay_now"
    ):
        _release_pay_now(plan.session, payment.rider_id, payment.key)
    if step.record:
        plan.add(records.PAYMENT, _payment_fields(plan, payment, balance), payment)
    if (
        step.status is PaymentStatus.DECLINED
        and payment.kind == "trip"
        and payment.next_attempt_at is None
    ):
        _write_off(plan, WriteOff(payment.key, "retries_exhausted"))


def _write_off(plan: _Plan, item: WriteOff) -> None:
    payment = plan.payments.get(item.payment_key)
    if payment is None or payment.status != PaymentStatus.DECLINED:
        return  # captured meanwhile, or written off already
    payment.changed = True
    payment.status, payment.reason, payment.updated_at = "written_off", item.reason, plan.now
    payment.next_attempt_at = None
    balance = plan.balances[payment.rider_id]
    plan.add(records.PAYMENT, _payment_fields(plan, payment, balance), payment)


def _payment_fields(plan: _Plan, payment: _Pay, balance_after_fen: int) -> dict[str, object]:
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
        balance_after_fen=balance_after_fen,
        at=plan.now,
    )


def _release_pay_now(session: Session, rider_id: str, key: bytes) -> None:
    session.execute(
        update(PaymentAccount)
        .where(col(PaymentAccount.rider_id) == rider_id, col(PaymentAccount.pay_now_open) == key)
        .values(pay_now_open=None)
    )


def _refund_news(plan: _Plan, answer: RefundAnswer) -> None:
    refund = plan.session.get(Refund, answer.key)  # read afresh under the lock by `_load`
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
    back = 0
    if answer.outcome is RefundOutcome.FAILED:
        refund.reason = answer.reason
        back = refund.amount_fen
    balance = plan.credit(refund.rider_id, back)
    plan.add(records.REFUND, refund_fields(refund, balance, plan.now), refund)


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
