"""The taxi fare, computed as the meter does, following Shenzhen's 2017 taxi tariff.

Flag fall covers the first kilometres; each further kilometre costs the per-km rate;
driving in the night window (23:00-06:00 Asia/Shanghai) adds a percentage to the
flag fall (by the start time) and to the kilometres driven at night; waiting costs
a rate per minute (pro rata to the second); the empty-return surcharge adds a
percentage to the per-km rate on the kilometres past each tier start (daytime only
unless the tariff says otherwise).

The meter reports only total distance and times, so a trip crossing a night
boundary is split by assuming a constant speed: the distance driven before 23:00 is
the distance times the share of the trip's duration before 23:00 (whole metres,
rounded down). Everything is summed exactly in units of 1/6,000,000 fen (exact for
per-km rates over metres, percentages and per-minute rates over seconds), then
rounded as the tariff's `round_to_fen` says: half up to each step in turn (0.1 yuan,
then the yuan). Each explained line is its exact value rounded half up to the fen;
the meter's rounding shows as a line of its own, so the lines add up to the total.
"""

from __future__ import annotations

import datetime as dt

from fare.errors import PricingError
from fare.localtime import wall_s
from fare.quote import BaseFare, QuoteLine, format_km, format_yuan
from fare.tariff import SurchargeTier, Tariff, TaxiRules
from fare.trip import TripEnd

__all__ = ["price_taxi"]

_DEN = 6_000_000  # units per fen
_PER_KM_M = _DEN // 1000  # a per-km rate times metres
_PER_KM_M_PCT = _DEN // 100_000  # a per-km rate times metres times a percentage
_PER_PCT = _DEN // 100  # an amount times a percentage
_PER_MIN_S = _DEN // 60  # a per-minute rate times seconds
_DAY_S = 86_400


def _fen(units: int) -> int:
    return (units + _DEN // 2) // _DEN


def _clock(clock_s: int) -> str:
    return f"{clock_s // 3600:02d}:{clock_s % 3600 // 60:02d}"


def _spans(rules: TaxiRules, start: int, end: int, distance_m: int) -> list[tuple[int, int, bool]]:
    """The trip's metre ranges [a, b) and whether each was driven at night."""
    if end <= start:
        return [(0, distance_m, rules.is_night(start % _DAY_S))]
    cuts = sorted(
        day * _DAY_S + clock
        for day in range(start // _DAY_S, end // _DAY_S + 1)
        for clock in (rules.night_from_s, rules.night_until_s)
        if start < day * _DAY_S + clock < end
    )
    spans: list[tuple[int, int, bool]] = []
    pos, since = 0, start
    for moment in (*cuts, end):
        reached = distance_m * (moment - start) // (end - start)
        if reached > pos:
            spans.append((pos, reached, rules.is_night(since % _DAY_S)))
        pos, since = reached, moment
    return spans


def _empty_return_text(rules: TaxiRules, metres: dict[SurchargeTier, int]) -> str:
    parts = []
    for tier, m in metres.items():
        upper = f"to {format_km(tier.to_m)} km" if tier.to_m is not None else "onwards"
        parts.append(f"{tier.pct}% on {format_km(m)} km ({format_km(tier.from_m)} km {upper})")
    when = "" if rules.empty_return_at_night else ", daytime"
    return f"Empty-return surcharge{when}: {'; '.join(parts)}"


def price_taxi(tariff: Tariff, trip: TripEnd) -> BaseFare:
    rules = tariff.taxi
    started = trip.started_at
    ended = trip.ended_at if trip.ended_at is not None else started
    if started is None or ended is None or ended < started:
        raise PricingError(f"expected a taxi trip's start before its end, got {started}, {ended}")
    if trip.distance_m < 0 or trip.waiting_s < 0:
        raise PricingError(
            f"expected distance and waiting >= 0, got {trip.distance_m} m, {trip.waiting_s} s"
        )
    start = wall_s(started)
    end = start + (ended - started) // dt.timedelta(seconds=1)
    night_start = rules.is_night(start % _DAY_S)

    rate = rules.per_km_fen
    distance_u = night_u = empty_u = 0
    charged_m = night_m = 0
    tier_m: dict[SurchargeTier, int] = {}
    for a, b, night in _spans(rules, start, end, trip.distance_m):
        lo = max(a, rules.flag_fall_m)
        if b <= lo:
            continue
        charged_m += b - lo
        distance_u += rate * (b - lo) * _PER_KM_M
        if night:
            night_m += b - lo
            night_u += rate * (b - lo) * rules.night_pct * _PER_KM_M_PCT
        if night and not rules.empty_return_at_night:
            continue
        for tier in rules.empty_return:
            t_lo = max(lo, tier.from_m)
            t_hi = b if tier.to_m is None else min(b, tier.to_m)
            if t_hi > t_lo:
                tier_m[tier] = tier_m.get(tier, 0) + t_hi - t_lo
                empty_u += rate * (t_hi - t_lo) * tier.pct * _PER_KM_M_PCT
    if night_start:
        night_u += rules.flag_fall_fen * rules.night_pct * _PER_PCT
    waiting_u = rules.waiting_fen_per_min * trip.waiting_s * _PER_MIN_S

    lines = [
        QuoteLine(
            "taxi.flag-fall",
            f"Taxi flag fall, first {format_km(rules.flag_fall_m)} km",
            rules.flag_fall_fen,
        )
    ]
    if distance_u:
        text = f"{format_km(charged_m)} km more at {format_yuan(rate)} yuan/km"
        lines.append(QuoteLine("taxi.distance", text, _fen(distance_u)))
    if night_u:
        on = ["the flag fall"] if night_start else []
        on += [f"{format_km(night_m)} km driven at night"] if night_m else []
        window = f"{_clock(rules.night_from_s)}-{_clock(rules.night_until_s)}"
        text = f"Night surcharge {rules.night_pct}% ({window}) on {' and '.join(on)}"
        lines.append(QuoteLine("taxi.night", text, _fen(night_u)))
    if waiting_u:
        minutes, seconds = divmod(trip.waiting_s, 60)
        took = f"{minutes} min" + (f" {seconds} s" if seconds else "")
        text = f"Waiting {took} at {format_yuan(rules.waiting_fen_per_min)} yuan/min"
        lines.append(QuoteLine("taxi.waiting", text, _fen(waiting_u)))
    if empty_u:
        lines.append(
            QuoteLine("taxi.empty-return", _empty_return_text(rules, tier_m), _fen(empty_u))
        )

    total_u = rules.flag_fall_fen * _DEN + distance_u + night_u + waiting_u + empty_u
    for step in rules.round_to_fen or (1,):
        unit = step * _DEN
        total_u = (total_u + unit // 2) // unit * unit
    total = total_u // _DEN
    adjustment = total - sum(line.amount_fen for line in lines)
    if adjustment:
        steps = ", then to ".join(f"{format_yuan(s)} yuan" for s in rules.round_to_fen)
        text = f"Meter rounding, half up to {steps or '0.01 yuan'}"
        lines.append(QuoteLine("taxi.rounding", text, adjustment))
    return BaseFare(
        lines=tuple(lines),
        fare_fen=total,
        weights=((trip.operator, 1),),
        distance_m=trip.distance_m,
    )
