"""The run's summary: the figures the issue asks for, the audit's verdict, the goals.

A run passes when the audit finds every accepted trip-end on the ledger exactly once
with its invoice, every resend deduplicated, `farechain verify` succeeds (or was not
asked for) and errors stay under the allowed rate. The speed goals are reported beside
the figures; they fail the run only when asked (`--strict-goals`), so a slow machine
still gets a verdict on correctness.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from loadtest.stats import PlanHeld, Rates, Responses

GOAL_TAPS_PER_S = 2000.0
GOAL_RESPONSE_P99_MS = 100.0
GOAL_LAG_P99_MS = 2000.0
GOAL_PAID_P99_MS = 5000.0  # DESIGN.md: tap-out -> payment captured, sandbox provider


@dataclass
class PaymentFigures:
    """The run's trip payments, as the ledger's `payment` records tell."""

    charged: int = 0  # trips with a fare to pay
    captured: int = 0
    declined: int = 0
    unsettled: int = 0  # no payment yet, or still in flight, when the wait ended
    settled_s: float = math.nan  # after the batcher drained; NaN: not within the wait
    lag_p50_ms: float = math.nan  # tap-out -> the captured record's block time
    lag_p99_ms: float = math.nan
    lag_commit_p50_ms: float = math.nan  # tap-out -> that block seen committed
    lag_commit_p99_ms: float = math.nan
    enabled: bool = True  # False: the run's system had no payments worker


@dataclass
class Summary:
    run_id: str
    run_dir: str
    plan: str
    users: int
    taps_accepted: int
    taps: Rates
    trip_ends_expected: int
    trip_ends_committed: Rates
    responses: Responses
    refused: int
    lost: int
    stopped: int
    resends: int
    resends_replayed: int
    open_at_end: int
    lag_block_p50_ms: float
    lag_block_p99_ms: float
    lag_commit_p50_ms: float
    lag_commit_p99_ms: float
    max_queue: int
    max_pending: int
    drained_s: float
    cpu_mean: dict[str, float]
    trips_on_ledger: int
    checked: int
    problems: list[str]
    notes: list[str]
    verify_ok: bool | None  # None: not run (--no-verify)
    verify_output: str
    verify_s: float
    max_error_rate: float
    settings: dict[str, Any] = field(default_factory=dict)
    plan_held: PlanHeld | None = None
    payments: PaymentFigures = field(default_factory=PaymentFigures)

    @property
    def error_rate(self) -> float:
        return self.responses.failures / self.responses.requests if self.responses.requests else 0

    @property
    def correct(self) -> bool:
        return not self.problems and self.verify_ok is not False

    def _verify_line(self) -> str:
        if self.verify_ok is None:
            return "  farechain verify    not run"
        return (
            f"  farechain verify    {'OK' if self.verify_ok else 'FAILED'} "
            f"in {self.verify_s:.0f} s: {self.verify_output.strip()[:300]}"
        )

    def goals(self) -> list[tuple[str, str, bool]]:
        goals = [
            (
                f"taps/s sustained >= {GOAL_TAPS_PER_S:,.0f}",
                f"{self.taps.mean:,.0f}",
                self.taps.mean >= GOAL_TAPS_PER_S,
            ),
            (
                f"response p99 <= {GOAL_RESPONSE_P99_MS:.0f} ms",
                f"{self.responses.p99_ms:,.0f} ms",
                self.responses.p99_ms <= GOAL_RESPONSE_P99_MS,
            ),
            (
                f"tap-out -> signed block p99 <= {GOAL_LAG_P99_MS:,.0f} ms",
                f"{self.lag_commit_p99_ms:,.0f} ms",
                self.lag_commit_p99_ms <= GOAL_LAG_P99_MS,
            ),
            (
                f"tap-out -> payment captured p99 <= {GOAL_PAID_P99_MS:,.0f} ms",
                f"{self.payments.lag_commit_p99_ms:,.0f} ms",
                self.payments.lag_commit_p99_ms <= GOAL_PAID_P99_MS,
            ),
        ]
        # Without payments there is no capture to time: that goal is not missed, absent.
        return goals if self.payments.enabled else goals[:-1]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_rate"] = self.error_rate
        data["correct"] = self.correct
        data["goals"] = [{"goal": g, "measured": m, "met": ok} for g, m, ok in self.goals()]
        finite: dict[str, Any] = _finite(data)
        return finite

    def _plan_lines(self) -> list[str]:
        held = self.plan_held
        if held is None:
            return []
        share = held.peak_accepted_per_s / max(held.peak_planned_per_s, 1e-9)
        return [
            f"  plan                {held.planned:,.0f} taps planned; its busiest minute "
            f"{held.peak_planned_per_s:,.0f}/s planned, {held.peak_accepted_per_s:,.0f}/s "
            f"accepted ({share:.1%})"
        ]

    def _payments_line(self) -> str:
        p = self.payments
        if not p.enabled:
            return f"  payments            off (no payments worker); {p.charged:,} trips to pay"
        return (
            f"  payments            {p.charged:,} trips to pay: {p.captured:,} captured, "
            f"{p.declined:,} declined, {p.unsettled:,} unsettled (settled "
            f"{p.settled_s:.1f} s after the batcher drained); tap-out -> captured block "
            f"time p50 {p.lag_p50_ms:,.0f} ms, p99 {p.lag_p99_ms:,.0f} ms; -> commit seen "
            f"p50 {p.lag_commit_p50_ms:,.0f} ms, p99 {p.lag_commit_p99_ms:,.0f} ms"
        )

    def render(self) -> str:
        r, t, c = self.responses, self.taps, self.trip_ends_committed
        lines = [
            f"farechain load test {self.run_id}: {self.plan}, {self.users} users",
            f"  taps accepted       {self.taps_accepted:,} "
            f"({t.mean:,.0f}/s sustained over {t.seconds} s, p5 {t.p5:,.0f}/s, "
            f"best minute {t.best_60s:,.0f}/s)",
            *self._plan_lines(),
            f"  trip-ends           {self.trip_ends_expected:,} accepted; committed "
            f"{c.mean:,.0f}/s sustained, best minute {c.best_60s:,.0f}/s",
            f"  responses           {r.requests:,} requests, p50 {r.p50_ms:,.0f} ms, "
            f"p95 {r.p95_ms:,.0f} ms, p99 {r.p99_ms:,.0f} ms, max {r.max_ms:,.0f} ms",
            f"  errors              {r.failures:,} failed requests ({self.error_rate:.3%}); "
            f"{self.refused:,} refused, {self.lost:,} unanswered after retries, "
            f"{self.stopped:,} in flight when the load stopped",
            f"  batcher lag         tap-out -> block time p50 {self.lag_block_p50_ms:,.0f} ms, "
            f"p99 {self.lag_block_p99_ms:,.0f} ms; -> commit seen p50 "
            f"{self.lag_commit_p50_ms:,.0f} ms, p99 {self.lag_commit_p99_ms:,.0f} ms",
            self._payments_line(),
            f"  queue               max depth {self.max_queue:,} (pending {self.max_pending:,}); "
            f"drained {self.drained_s:.1f} s after the load stopped",
            "  cpu (% of a core)   "
            + ", ".join(f"{k} {v:.0f}" for k, v in sorted(self.cpu_mean.items())),
            "  cpu ms per tap      "
            + ", ".join(
                f"{k} {v * 10 / t.mean:.2f}"
                for k, v in sorted(self.cpu_mean.items())
                if t.mean > 0 and k != "machine"
            ),
            f"  audit               {self.checked:,} trip-ends checked, "
            f"{self.trips_on_ledger:,} trip records of this run on the ledger; "
            f"{self.resends_replayed}/{self.resends} resends deduplicated; "
            f"{self.open_at_end:,} journeys still open",
            self._verify_line(),
        ]
        for goal, measured, met in self.goals():
            lines.append(f"  goal {'met   ' if met else 'MISSED'}  {goal}: {measured}")
        lines += [f"  note: {n}" for n in self.notes[:5]]
        lines += [f"  PROBLEM: {p}" for p in self.problems]
        if self.error_rate > self.max_error_rate:
            lines.append(
                f"  PROBLEM: error rate {self.error_rate:.3%} is above "
                f"the allowed {self.max_error_rate:.3%}"
            )
        lines.append(
            "  verdict: "
            + ("PASS" if self.correct and self.error_rate <= self.max_error_rate else "FAIL")
        )
        return "\n".join(lines)


def _finite(value: Any) -> Any:
    """JSON has no NaN: missing figures become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
