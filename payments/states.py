"""The payment and refund state machines: pure, so every path has a known answer.

A payment (one per charged trip, or one per pay-now) moves::

    new ──submit──▶ pending ──authorised──▶ authorised ──captured──▶ captured
     │                 │                         │
     └──── captured / declined (straight from new or pending too) ─┴──▶ declined
    declined ──retry──▶ new (attempt + 1)        declined ──give up──▶ written_off

`new` means the provider may not have it yet (the request may be lost, so it is sent
again with the same attempt key); `pending` means the provider has it. Provider news
(a webhook or a query answer) names the attempt it is about: news of an older attempt,
news repeating the current state, and news older than the state (authorised after
captured, which out-of-order webhooks bring) change nothing. Every change that the
provider reports, and every write-off, is a ledger record; `submit` and `retry` are
bookkeeping between records.

A refund moves new ──submit──▶ pending ──▶ refunded | failed, the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FINAL",
    "IN_FLIGHT",
    "InconsistentNews",
    "Outcome",
    "PaymentStatus",
    "RefundOutcome",
    "RefundStatus",
    "Step",
    "apply_news",
    "apply_refund_news",
]


class PaymentStatus(StrEnum):
    NEW = "new"
    PENDING = "pending"
    AUTHORISED = "authorised"
    CAPTURED = "captured"
    DECLINED = "declined"
    WRITTEN_OFF = "written_off"


class Outcome(StrEnum):
    """What a provider says of one payment attempt."""

    PENDING = "pending"
    AUTHORISED = "authorised"
    CAPTURED = "captured"
    DECLINED = "declined"


class RefundStatus(StrEnum):
    NEW = "new"
    PENDING = "pending"
    REFUNDED = "refunded"
    FAILED = "failed"


class RefundOutcome(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# Payments whose money may still arrive: what pay-now may not ask for twice.
IN_FLIGHT = frozenset({PaymentStatus.NEW, PaymentStatus.PENDING, PaymentStatus.AUTHORISED})
FINAL = frozenset({PaymentStatus.CAPTURED, PaymentStatus.WRITTEN_OFF})

_RANK = {
    PaymentStatus.NEW: 0,
    PaymentStatus.PENDING: 1,
    PaymentStatus.AUTHORISED: 2,
    PaymentStatus.CAPTURED: 3,
    PaymentStatus.DECLINED: 3,
    PaymentStatus.WRITTEN_OFF: 4,
}


class InconsistentNews(ValueError):
    """The provider reports an outcome that contradicts one it reported before."""


@dataclass(frozen=True, slots=True)
class Step:
    """The status after some news, and whether the change is a ledger record."""

    status: PaymentStatus
    record: bool


def apply_news(
    status: PaymentStatus, attempt: int, outcome: Outcome, news_attempt: int
) -> Step | None:
    """The step `outcome` (about attempt `news_attempt`) causes, or None: nothing changes."""
    if news_attempt != attempt:
        return None  # a late or repeated word about an attempt that is over
    target = PaymentStatus(outcome.value)
    if target == status:
        return None
    if status in (PaymentStatus.CAPTURED, PaymentStatus.DECLINED) and target in (
        PaymentStatus.CAPTURED,
        PaymentStatus.DECLINED,
    ):
        raise InconsistentNews(
            f"expected {status} to stay {status} for attempt {attempt}, the provider says {target}"
        )
    if status is PaymentStatus.WRITTEN_OFF:
        if target is PaymentStatus.CAPTURED:
            raise InconsistentNews(f"expected no capture of written-off attempt {attempt}")
        return None
    if _RANK[target] <= _RANK[status]:
        return None  # older news overtaken by newer (authorised after captured)
    return Step(target, record=target is not PaymentStatus.PENDING)


def apply_refund_news(status: RefundStatus, outcome: RefundOutcome) -> RefundStatus | None:
    """The refund's status after `outcome`, or None when nothing changes."""
    if outcome is RefundOutcome.PENDING:
        return RefundStatus.PENDING if status is RefundStatus.NEW else None
    target = RefundStatus.REFUNDED if outcome is RefundOutcome.SUCCEEDED else RefundStatus.FAILED
    if status == target:
        return None
    if status in (RefundStatus.REFUNDED, RefundStatus.FAILED):
        raise InconsistentNews(f"expected refund to stay {status}, the provider says {target}")
    return target
