"""One PNG of a run: throughput, response times, queue depth and lag, CPU by role.

The x axis is seconds since the load started. Throughput compares the plan's target
with the taps the API accepted and the trip-ends the batcher committed; response times
are Locust's sliding-window percentiles; lag is the p99, per five-second bin, from a
tap-out's arrival to the moment its block was seen committed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: render straight to a file

import matplotlib.pyplot as plt

from loadtest.profile import Plan
from loadtest.sampler import Sample
from loadtest.stats import HistoryPoint, percentile

_LAG_BIN_S = 5


def plot_run(
    path: Path,
    *,
    title: str,
    start_epoch: float,
    plan: Plan,
    accepted_per_s: Mapping[int, int],
    samples: Sequence[Sample],
    history: Sequence[HistoryPoint],
    lag_points: Sequence[tuple[int, float]],
) -> Path:
    fig, axes = plt.subplots(4, 1, figsize=(11, 12), sharex=True)
    ax_rate, ax_resp, ax_queue, ax_cpu = axes
    fig.suptitle(title)

    span = range(0, int(plan.duration_s) + 1, max(1, int(plan.duration_s) // 300))
    ax_rate.plot(list(span), [plan.rate_at(s) for s in span], "k--", lw=1, label="target taps/s")
    if accepted_per_s:
        seconds = sorted(accepted_per_s)
        ax_rate.plot(
            [s - start_epoch for s in seconds],
            [accepted_per_s[s] for s in seconds],
            lw=1,
            label="taps accepted/s",
        )
    committed = Counter(seen // 1000 for seen, _ in lag_points)  # this run's trip-ends
    if committed:
        xs = sorted(committed)
        ax_rate.plot(
            [x - start_epoch for x in xs],
            [committed[x] for x in xs],
            lw=1,
            label="trip-ends committed/s",
        )
    ax_rate.set_ylabel("per second")
    ax_rate.legend(loc="upper right", fontsize="small")

    if history:
        hx = [p.t - start_epoch for p in history]
        for name in ("p50_ms", "p95_ms", "p99_ms"):
            ax_resp.plot(hx, [getattr(p, name) for p in history], lw=1, label=name[:3])
    ax_resp.set_ylabel("response ms")
    ax_resp.set_yscale("log")
    ax_resp.legend(loc="upper right", fontsize="small")

    if samples:
        ax_queue.plot(
            [s.t - start_epoch for s in samples], [s.queue for s in samples], lw=1, label="queue"
        )
    ax_queue.set_ylabel("queue depth (events)")
    if lag_points:
        lag_ax = ax_queue.twinx()
        bins: dict[int, list[float]] = defaultdict(list)
        for seen_ms, lag in lag_points:
            bins[int(seen_ms / 1000 - start_epoch) // _LAG_BIN_S * _LAG_BIN_S].append(lag)
        xs = sorted(bins)
        lag_ax.plot(xs, [percentile(bins[x], 99) for x in xs], "r-", lw=1, label="lag p99")
        lag_ax.set_ylabel("tap-out -> commit p99 ms", color="r")
    ax_queue.legend(loc="upper left", fontsize="small")

    roles = sorted({r for s in samples for r in s.cpu})
    for role in roles:
        ax_cpu.plot(
            [s.t - start_epoch for s in samples],
            [s.cpu.get(role, 0.0) for s in samples],
            lw=1,
            label=role,
        )
    ax_cpu.set_ylabel("CPU % of one core")
    ax_cpu.set_xlabel("seconds since the load started")
    if roles:
        ax_cpu.legend(loc="upper right", fontsize="small", ncol=3)

    for ax in axes:
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
