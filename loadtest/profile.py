"""Traffic plans: a day of taps replayed compressed, or a fixed rate held for a while.

A plan maps the time since the run started to two things: the target tap rate (taps/s
over all simulated devices) and the simulated clock that stamps each tap's `at`. The
simulated clock runs `compression` times faster than the wall clock, so a 30-minute
metro ride lasts about a minute of the run while its taps still say 30 minutes to the
fare engine. It always stays behind the real clock and within the device API's 72-hour
window (gates reject taps from the future or older than that).

The day profile is the share of a weekday's taps in each local hour (Asia/Shanghai): a
morning peak at 08:00-09:00, an evening peak at 18:00-19:00 and a near-silent night
when the metro is closed and only taxis and night buses run. The shape follows the
published hourly curves of large Chinese metros; the peak hour carries about 11 % of
the day, as on Shenzhen Metro's record days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from fare.localtime import SHANGHAI

# Relative taps in each local hour, 00:00 first.
HOURLY_WEIGHTS: tuple[float, ...] = (
    0.20, 0.05, 0.03, 0.03, 0.05, 0.30, 2.00, 7.50, 10.50, 6.50, 4.50, 4.50,
    4.30, 4.30, 4.50, 4.80, 5.50, 8.50, 10.00, 7.00, 5.00, 4.20, 2.60, 1.00,
)  # fmt: skip
DAY_S = 86_400.0
MAX_SPAN_S = 70 * 3600.0  # the API refuses taps older than 72 h; keep 2 h of margin
_SIM_LEAD_S = 120.0  # the simulated clock ends this long before the wall clock


def day_share(hour: float) -> float:
    """The day profile at a fractional local hour, scaled so the busiest hour is 1.0.

    Linear between the middles of the hours, so the rate ramps instead of jumping.
    """
    peak = max(HOURLY_WEIGHTS)
    position = (hour % 24.0) - 0.5
    low = math.floor(position)
    frac = position - low
    a = HOURLY_WEIGHTS[low % 24]
    b = HOURLY_WEIGHTS[(low + 1) % 24]
    return (a + (b - a) * frac) / peak


@dataclass(frozen=True, slots=True)
class Plan:
    """What the load generator aims at, as a function of seconds since the start."""

    duration_s: float
    compression: float  # simulated seconds per wall-clock second
    sim_start: datetime  # the simulated time at the start (aware)
    fixed_rate: float | None  # taps/s held for the whole run, or None for the day profile
    peak_rate: float  # taps/s at the day's busiest moment (equals fixed_rate when fixed)

    def rate_at(self, elapsed_s: float) -> float:
        if self.fixed_rate is not None:
            return self.fixed_rate
        return self.peak_rate * day_share(self.sim_hour_at(elapsed_s))

    def sim_at(self, elapsed_s: float) -> datetime:
        return self.sim_start + timedelta(seconds=elapsed_s * self.compression)

    def sim_hour_at(self, elapsed_s: float) -> float:
        local = self.sim_at(elapsed_s).astimezone(SHANGHAI)
        return local.hour + local.minute / 60 + local.second / 3600

    def expected_taps(self, step_s: float = 1.0) -> float:
        """Taps the plan asks for over the whole run (integrated in `step_s` steps)."""
        steps = max(1, math.ceil(self.duration_s / step_s))
        width = self.duration_s / steps
        return sum(self.rate_at((i + 0.5) * width) * width for i in range(steps))

    def to_json(self) -> dict[str, object]:
        return {
            "duration_s": self.duration_s,
            "compression": self.compression,
            "sim_start": self.sim_start.isoformat(),
            "fixed_rate": self.fixed_rate,
            "peak_rate": self.peak_rate,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Plan:
        fixed = data["fixed_rate"]
        return cls(
            duration_s=float(str(data["duration_s"])),
            compression=float(str(data["compression"])),
            sim_start=datetime.fromisoformat(str(data["sim_start"])),
            fixed_rate=None if fixed is None else float(str(fixed)),
            peak_rate=float(str(data["peak_rate"])),
        )


def fixed_plan(
    taps_per_s: float, duration_s: float, start: datetime, *, compression: float = 30.0
) -> Plan:
    """Hold `taps_per_s` for `duration_s`; simulated time ends just before the real end."""
    _check_aware(start)
    if taps_per_s <= 0 or duration_s <= 0:
        raise ValueError(
            f"expected a positive rate and duration, got {taps_per_s} taps/s for {duration_s} s"
        )
    compression = max(1.0, min(compression, MAX_SPAN_S / duration_s))
    sim_end = start + timedelta(seconds=duration_s - _SIM_LEAD_S)
    sim_start = sim_end - timedelta(seconds=duration_s * compression)
    return Plan(duration_s, compression, sim_start, taps_per_s, taps_per_s)


def day_plan(day_in_s: float, peak_taps_per_s: float, start: datetime) -> Plan:
    """Replay yesterday (local time, midnight to midnight) in `day_in_s` seconds."""
    _check_aware(start)
    if day_in_s <= 0 or peak_taps_per_s <= 0:
        raise ValueError(
            f"expected a positive length and peak rate, got {day_in_s} s at "
            f"{peak_taps_per_s} taps/s"
        )
    today = start.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    sim_start = today - timedelta(days=1)
    return Plan(day_in_s, DAY_S / day_in_s, sim_start, None, peak_taps_per_s)


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"expected an aware start time, got naive {moment.isoformat()}")
