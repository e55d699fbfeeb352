"""Known answers and properties of the pure payment modules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.commitment import commit_record, open_record
from ledger.records import decode_record, encode_record
from payments import keys
from payments.records import agreement_record, balance_delta, payment_record, refund_record
from payments.schedule import DEFAULT_RETRY_AFTER_H, RetrySchedule
from payments.states import (
    InconsistentNews,
    Outcome,
    PaymentStatus,
    RefundOutcome,
    RefundStatus,
    Step,
    apply_news,
    apply_refund_news,
)

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_trip_key_is_a_known_sha256() -> None:
    # SHA-256("farechain/payments/v1" || len||"trip" || len||"e-1"), lengths 4-byte big-endian
    import hashlib

    expected = hashlib.sha256(b"farechain/payments/v1" + b"\0\0\0\4trip" + b"\0\0\0\3e-1").digest()
    assert keys.trip_payment_key("e-1") == expected
    assert len(keys.trip_payment_key("e-1")) == 32


@given(st.text(min_size=1), st.text(min_size=1))
def test_different_trips_never_share_a_key(a: str, b: str) -> None:
    assert (keys.trip_payment_key(a) == keys.trip_payment_key(b)) == (a == b)


def test_keys_separate_kinds_and_attempts() -> None:
    pay = keys.trip_payment_key("r1")
    derived = {
        pay,
        keys.attempt_key(pay, 1),
        keys.attempt_key(pay, 2),
        keys.pay_now_key("r1", 0),
        keys.pay_now_key("r1", 1),
        keys.refund_key("r1"),
        keys.agreement_key("r1", 0),
    }
    assert len(derived) == 7
    assert keys.attempt_key(pay, 2) == keys.attempt_key(pay, 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: keys.trip_payment_key(""), "non-empty trip event id"),
        (lambda: keys.attempt_key(b"x", 1), "32-byte payment key"),
        (lambda: keys.attempt_key(bytes(32), 0), "attempt number >= 1"),
        (lambda: keys.pay_now_key("r", -1), "sequence >= 0"),
    ],
)
def test_keys_refuse_bad_parts(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_default_schedule_is_three_more_over_thirty_days() -> None:
    schedule = RetrySchedule.from_hours(DEFAULT_RETRY_AFTER_H)
    assert schedule.max_attempts == 4
    assert schedule.next_attempt_at(T0, 1) == T0 + timedelta(days=1)
    assert schedule.next_attempt_at(T0, 2) == T0 + timedelta(days=7)
    assert schedule.next_attempt_at(T0, 3) == T0 + timedelta(days=30)
    assert schedule.next_attempt_at(T0, 4) is None


def test_schedule_refuses_unordered_offsets_and_naive_times() -> None:
    with pytest.raises(ValueError, match="ascending"):
        RetrySchedule((60, 30))
    with pytest.raises(ValueError, match="ascending"):
        RetrySchedule((0,))
    with pytest.raises(ValueError, match="aware"):
        RetrySchedule((60,)).next_attempt_at(T0.replace(tzinfo=None), 1)
    assert RetrySchedule(()).next_attempt_at(T0, 1) is None


@given(st.lists(st.integers(1, 10_000), unique=True, max_size=6), st.integers(1, 8))
def test_schedule_never_schedules_past_its_last_attempt(offsets: list[int], made: int) -> None:
    schedule = RetrySchedule(tuple(sorted(offsets)))
    due = schedule.next_attempt_at(T0, made)
    assert (due is None) == (made >= schedule.max_attempts)
    if due is not None:
        assert due > T0


S, Out = PaymentStatus, Outcome


@pytest.mark.parametrize(
    ("status", "outcome", "expected"),
    [
        (S.NEW, Out.PENDING, Step(S.PENDING, record=False)),
        (S.NEW, Out.CAPTURED, Step(S.CAPTURED, record=True)),
        (S.PENDING, Out.AUTHORISED, Step(S.AUTHORISED, record=True)),
        (S.AUTHORISED, Out.CAPTURED, Step(S.CAPTURED, record=True)),
        (S.AUTHORISED, Out.DECLINED, Step(S.DECLINED, record=True)),
        (S.PENDING, Out.DECLINED, Step(S.DECLINED, record=True)),
        (S.CAPTURED, Out.AUTHORISED, None),  # out of order: the capture came first
        (S.CAPTURED, Out.CAPTURED, None),  # the same webhook twice
        (S.DECLINED, Out.DECLINED, None),
        (S.AUTHORISED, Out.PENDING, None),
        (S.WRITTEN_OFF, Out.DECLINED, None),
    ],
)
def test_payment_news(status: PaymentStatus, outcome: Outcome, expected: Step | None) -> None:
    assert apply_news(status, 1, outcome, 1) == expected


def test_news_of_an_older_attempt_changes_nothing() -> None:
    assert apply_news(S.PENDING, 2, Out.DECLINED, 1) is None
    assert apply_news(S.PENDING, 2, Out.CAPTURED, 3) is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(S.CAPTURED, Out.DECLINED), (S.DECLINED, Out.CAPTURED), (S.WRITTEN_OFF, Out.CAPTURED)],
)
def test_contradicting_news_is_refused(status: PaymentStatus, outcome: Outcome) -> None:
    with pytest.raises(InconsistentNews, match="expected"):
        apply_news(status, 1, outcome, 1)


@given(st.lists(st.sampled_from(list(Outcome)), max_size=8))
def test_any_order_of_one_attempts_news_records_each_state_once(news: list[Outcome]) -> None:
    """Webhooks of one captured attempt, repeated and shuffled: at most one capture record."""
    news = [n for n in news if n is not Out.DECLINED]
    status, recorded = S.NEW, []
    for outcome in news:
        step = apply_news(status, 1, outcome, 1)
        if step is not None:
            status = step.status
            if step.record:
                recorded.append(status)
    assert len(recorded) == len(set(recorded))
    assert (S.CAPTURED in recorded) == (Out.CAPTURED in news)


def test_refund_news() -> None:
    R, RO = RefundStatus, RefundOutcome
    assert apply_refund_news(R.NEW, RO.PENDING) is R.PENDING
    assert apply_refund_news(R.PENDING, RO.SUCCEEDED) is R.REFUNDED
    assert apply_refund_news(R.NEW, RO.FAILED) is R.FAILED
    assert apply_refund_news(R.REFUNDED, RO.SUCCEEDED) is None
    assert apply_refund_news(R.REFUNDED, RO.PENDING) is None
    with pytest.raises(InconsistentNews):
        apply_refund_news(R.REFUNDED, RO.FAILED)


def _payment(status: str, amount: int = 300) -> dict[str, object]:
    return payment_record(
        key=bytes(range(32)),
        rider="r0000001",
        kind="trip",
        trip_event_id="e-1",
        status=status,
        attempt=1,
        amount_fen=amount,
        provider="sandbox",
        provider_ref="pay_1",
        reason=None,
        balance_after_fen=0,
        at=T0,
    )


def test_payment_record_is_canonical_and_versioned() -> None:
    body = encode_record(_payment("captured"))
    assert decode_record(body)["v"] == 2
    assert body.startswith(b'{"amount_fen":300,"at":"2026-12-03T08:00:00+00:00","attempt":1,')
    assert b'"payment":"000102' in body
    assert b'"type":"payment"' in body


def test_the_public_payment_record_commits_to_rider_reference_balance_and_time() -> None:
    committed = commit_record(_payment("captured"), bytes(16))
    public = decode_record(committed.body)
    for secret in (b"r0000001", b"pay_1", b"2026-12-03T08", b"balance_after"):
        assert secret not in committed.body
    assert public["amount_fen"] == 300 and public["status"] == "captured"
    assert committed.opening is not None and committed.opening.subject == "r0000001"
    assert open_record(public, committed.opening) == _payment("captured")
    agreement = agreement_record(
        rider="r0000001", status="authorised", provider="sandbox", provider_ref="agr_1", at=T0
    )
    assert b"agr_1" not in commit_record(agreement).body


def test_balance_deltas() -> None:
    assert balance_delta(_payment("captured")) == 300
    for status in ("authorised", "declined", "written_off"):
        assert balance_delta(_payment(status)) == 0

    def refund(status: str, credit: int, amount: int) -> dict[str, object]:
        return refund_record(
            key=bytes(32),
            rider="r1",
            credit_note="1",
            trip_event_id=None,
            status=status,
            credit_fen=credit,
            amount_fen=amount,
            provider="sandbox",
            provider_ref=None,
            reason=None,
            balance_after_fen=0,
            at=T0,
        )

    assert balance_delta(refund("requested", 300, 300)) == 0  # paid, and paid back
    assert balance_delta(refund("requested", 300, 0)) == 300  # unpaid: the debt goes
    assert balance_delta(refund("requested", 300, 100)) == 200  # partly owed: netted
    assert balance_delta(refund("refunded", 300, 300)) == 0
    assert balance_delta(refund("failed", 300, 200)) == 200  # the money stays on account
    with pytest.raises(ValueError, match="amount_fen <= credit_fen"):
        refund("refunded", 100, 200)


def test_records_refuse_unknown_states() -> None:
    with pytest.raises(ValueError, match="payment state"):
        _payment("settled")
    with pytest.raises(ValueError, match="authorised or revoked"):
        agreement_record(rider="r", status="paused", provider="sandbox", provider_ref="a", at=T0)
    with pytest.raises(ValueError, match="amount_fen >= 0"):
        _payment("captured", -1)
    with pytest.raises(ValueError, match="payment or refund"):
        balance_delta({"type": "charge", "amount_fen": 1})
