"""Figures from a run: percentiles, sustained rates, and Locust's CSV files.

Locust writes `<prefix>_stats.csv` (one row per request name and an `Aggregated` row
with response-time percentiles over the whole run) and `<prefix>_stats_history.csv`
(one row a second: the current rate and percentiles over a sliding window).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile `q` (0-100) of `values`; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


@dataclass(frozen=True, slots=True)
class Rates:
    mean: float  # over the steady window
    p5: float  # the rate held in 95 % of the window's seconds
    best_60s: float  # the busiest minute
    seconds: int  # the steady window's length


def steady_rates(per_second: Mapping[int, int], *, warmup_s: int = 5) -> Rates:
    """Rates over whole seconds, skipping the warm-up and the last (partial) second."""
    if not per_second:
        return Rates(0.0, 0.0, 0.0, 0)
    first, last = min(per_second), max(per_second)
    start = min(first + warmup_s, last)
    seconds = list(range(start, last)) or [last]
    counts = [per_second.get(s, 0) for s in seconds]
    window = min(60, len(counts))
    best = max(sum(counts[i : i + window]) for i in range(len(counts) - window + 1)) / window
    return Rates(sum(counts) / len(counts), percentile(counts, 5), best, len(counts))


@dataclass(frozen=True, slots=True)
class PlanHeld:
    planned: float  # taps the plan asked for over the whole run
    peak_planned_per_s: float  # in the plan's busiest minute
    peak_accepted_per_s: float  # accepted in that same minute


def plan_held(
    rate_at: Callable[[float], float],
    duration_s: float,
    start_epoch: float,
    accepted_per_s: Mapping[int, int],
) -> PlanHeld:
    """Was the plan's peak held? Its busiest minute, planned against accepted.

    A day's peak is narrower than a minute when the day is compressed, so "best minute"
    alone cannot say whether the peak rate was reached; this compares the same minute.
    """
    seconds = max(1, int(duration_s))
    planned = [rate_at(t + 0.5) for t in range(seconds)]
    window = min(60, seconds)
    sums = [sum(planned[i : i + window]) for i in range(seconds - window + 1)]
    busiest = max(range(len(sums)), key=sums.__getitem__)
    first = int(start_epoch) + busiest
    accepted = sum(accepted_per_s.get(s, 0) for s in range(first, first + window))
    return PlanHeld(sum(planned), sums[busiest] / window, accepted / window)


@dataclass(frozen=True, slots=True)
class Responses:
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float


def locust_totals(stats_csv: Path) -> Responses:
    """The `Aggregated` row of Locust's stats CSV."""
    with stats_csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return Responses(
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    p50_ms=_num(row["50%"]),
                    p95_ms=_num(row["95%"]),
                    p99_ms=_num(row["99%"]),
                    max_ms=_num(row["Max Response Time"]),
                    rps=_num(row["Requests/s"]),
                )
    raise ValueError(f"expected an Aggregated row in {stats_csv}, found none")


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    t: float
    users: int
    rps: float
    failures_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def locust_history(history_csv: Path) -> list[HistoryPoint]:
    points = []
    with history_csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] != "Aggregated":
                continue
            points.append(
                HistoryPoint(
                    t=float(row["Timestamp"]),
                    users=int(row["User Count"]),
                    rps=_num(row["Requests/s"]),
                    failures_per_s=_num(row["Failures/s"]),
                    p50_ms=_num(row["50%"]),
                    p95_ms=_num(row["95%"]),
                    p99_ms=_num(row["99%"]),
                )
            )
    return points


def _num(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # Locust writes "N/A" before the first response
        return math.nan
