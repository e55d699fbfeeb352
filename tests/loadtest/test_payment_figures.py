"""The summary's payment figures: what they say, the goal they are judged by, and the
per-second count of this run's trip-ends that no longer counts payment records."""

from __future__ import annotations

import math
from collections import Counter

from loadtest.audit import LedgerCheck
from loadtest.payments import PaymentCheck
from loadtest.stats import Rates, Responses
from loadtest.summary import PaymentFigures, Summary


def _summary(payments: PaymentFigures) -> Summary:
    rates = Rates(300.0, 290.0, 300.0, 60)
    return Summary(
        run_id="r",
        run_dir="/tmp/r",
        plan="300 taps/s for 1m",
        users=20,
        taps_accepted=18_000,
        taps=rates,
        trip_ends_expected=9_000,
        trip_ends_committed=Rates(150.0, 140.0, 150.0, 60),
        responses=Responses(18_000, 0, 2.0, 5.0, 9.0, 40.0, 300.0),
        refused=0,
        lost=0,
        stopped=0,
        resends=0,
        resends_replayed=0,
        open_at_end=0,
        lag_block_p50_ms=100.0,
        lag_block_p99_ms=200.0,
        lag_commit_p50_ms=150.0,
        lag_commit_p99_ms=300.0,
        max_queue=10,
        max_pending=5,
        drained_s=1.0,
        cpu_mean={"payments": 30.0},
        trips_on_ledger=9_000,
        checked=9_000,
        problems=[],
        notes=[],
        verify_ok=True,
        verify_output="verify OK",
        verify_s=1.0,
        max_error_rate=0.01,
        payments=payments,
    )


def test_the_payments_line_and_goal() -> None:
    figures = PaymentFigures(8_000, 7_830, 170, 0, 3.5, 900.0, 2_100.0, 1_000.0, 2_400.0)
    text = _summary(figures).render()
    assert (
        "payments            8,000 trips to pay: 7,830 captured, 170 declined, 0 unsettled "
        "(settled 3.5 s after the batcher drained); tap-out -> captured block time p50 900 ms, "
        "p99 2,100 ms; -> commit seen p50 1,000 ms, p99 2,400 ms"
    ) in text
    assert "goal met     tap-out -> payment captured p99 <= 5,000 ms: 2,400 ms" in text
    slow = _summary(PaymentFigures(lag_commit_p99_ms=30_400.0)).render()
    assert "goal MISSED  tap-out -> payment captured p99 <= 5,000 ms: 30,400 ms" in slow
    assert "verdict: PASS" in slow  # speed goals judge nothing unless asked
    assert _summary(PaymentFigures()).to_json()["payments"]["lag_p99_ms"] is None  # NaN


def test_unsettled_counts_charged_trips_neither_captured_nor_declined() -> None:
    check = PaymentCheck(charged=10, statuses=Counter(captured=6, declined=1, authorised=2))
    assert check.unsettled == 3
    assert math.isnan(PaymentFigures().settled_s)


def test_committed_per_second_counts_trips_by_when_their_block_was_seen() -> None:
    check = LedgerCheck(lag_points=[(1_000_500, 80.0), (1_000_900, 90.0), (1_002_000, 70.0)])
    assert check.committed_per_s == {1_000: 2, 1_002: 1}


def test_a_run_without_payments_says_so_and_has_no_payment_goal() -> None:
    text = _summary(PaymentFigures(charged=8_000, enabled=False)).render()
    assert "payments            off (no payments worker); 8,000 trips to pay" in text
    assert "payment captured" not in text
    assert "verdict: PASS" in text
    with_payments = _summary(PaymentFigures(charged=8_000)).goals()
    assert len(_summary(PaymentFigures(enabled=False)).goals()) == len(with_payments) - 1
