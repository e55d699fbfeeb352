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

from typing import NamedTuple

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
_HALF = _DEN // 2  # added before a floor division: rounds half up to the fen
_DAY_S = 86_400


def _clock(clock_s: int) -> str:
    return f"{clock_s // 3600:02d}:{clock_s % 3600 // 60:02d}"


def _spans(rules: TaxiRules, start: int, end: int, distance_m: int) -> list[tuple[int, int, bool]]:
    """The trip's metre ranges [a, b) and whether each was driven at night."""
    clock = start % _DAY_S
    to_next = min(
        (rules.night_from_s - clock - 1) % _DAY_S + 1,
        (rules.night_until_s - clock - 1) % _DAY_S + 1,
    )
    if end - start <= to_next:  # no night boundary crossed, the usual case
        return [(0, distance_m, rules.is_night(clock))]
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


class _Texts(NamedTuple):
    """The parts of the explanation that depend on the tariff only, built once."""

    flag_fall: QuoteLine
    rate: str
    waiting_rate: str
    night: str
    empty_return: str
    rounding: str
    tiers: tuple[tuple[SurchargeTier, str], ...]


_TEXTS: dict[int, tuple[TaxiRules, _Texts]] = {}


def _texts(rules: TaxiRules) -> _Texts:
    hit = _TEXTS.get(id(rules))
    if hit is not None and hit[0] is rules:
        return hit[1]
    steps = ", then to ".join(f"{format_yuan(s)} yuan" for s in rules.round_to_fen)
    window = f"{_clock(rules.night_from_s)}-{_clock(rules.night_until_s)}"
    texts = _Texts(
        flag_fall=QuoteLine(
            "taxi.flag-fall",
            f"Taxi flag fall, first {format_km(rules.flag_fall_m)} km",
            rules.flag_fall_fen,
        ),
        rate=f"{format_yuan(rules.per_km_fen)} yuan/km",
        waiting_rate=f" at {format_yuan(rules.waiting_fen_per_min)} yuan/min",
        night=f"Night surcharge {rules.night_pct}% ({window}) on ",
        empty_return="Empty-return surcharge"
        + ("" if rules.empty_return_at_night else ", daytime")
        + ": ",
        rounding=f"Meter rounding, half up to {steps or '0.01 yuan'}",
        tiers=tuple(
            (
                tier,
                f"({format_km(tier.from_m)} km "
                + (f"to {format_km(tier.to_m)} km)" if tier.to_m is not None else "onwards)"),
            )
            for tier in rules.empty_return
        ),
    )
    _TEXTS[id(rules)] = (rules, texts)
    return texts


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
    texts = _texts(rules)
    start = wall_s(started)
    took = ended - started
    end = start + took.days * _DAY_S + took.seconds
    night_start = rules.is_night(start % _DAY_S)

    rate = rules.per_km_fen
    flag_m = rules.flag_fall_m
    charged_m = night_m = surcharged = 0  # surcharged: metres x percent, all tiers
    tiers = rules.empty_return
    tier_m = [0] * len(tiers)  # metres surcharged in each empty-return tier
    for a, b, night in _spans(rules, start, end, trip.distance_m):
        lo = a if a > flag_m else flag_m
        if b <= lo:
            continue
        charged_m += b - lo
        if night:
            night_m += b - lo
            if not rules.empty_return_at_night:
                continue
        for i, tier in enumerate(tiers):
            t_lo = lo if lo > tier.from_m else tier.from_m
            t_hi = b if tier.to_m is None or b < tier.to_m else tier.to_m
            if t_hi > t_lo:
                tier_m[i] += t_hi - t_lo
                surcharged += (t_hi - t_lo) * tier.pct
    empty_u = rate * surcharged * _PER_KM_M_PCT
    distance_u = rate * charged_m * _PER_KM_M
    night_u = rate * night_m * rules.night_pct * _PER_KM_M_PCT
    if night_start:
        night_u += rules.flag_fall_fen * rules.night_pct * _PER_PCT
    waiting_u = rules.waiting_fen_per_min * trip.waiting_s * _PER_MIN_S

    lines = [texts.flag_fall]
    if distance_u:
        text = f"{format_km(charged_m)} km more at {texts.rate}"
        lines.append(QuoteLine("taxi.distance", text, (distance_u + _HALF) // _DEN))
    if night_u:
        on = "the flag fall" if night_start else ""
        if night_m:
            on += f"{' and ' if on else ''}{format_km(night_m)} km driven at night"
        lines.append(QuoteLine("taxi.night", texts.night + on, (night_u + _HALF) // _DEN))
    if waiting_u:
        minutes, seconds = divmod(trip.waiting_s, 60)
        text = f"Waiting {minutes} min{f' {seconds} s' if seconds else ''}{texts.waiting_rate}"
        lines.append(QuoteLine("taxi.waiting", text, (waiting_u + _HALF) // _DEN))
    if surcharged:
        parts = [
            f"{tier.pct}% on {format_km(m)} km {where}"
            for m, (tier, where) in zip(tier_m, texts.tiers, strict=True)
            if m
        ]
        text = texts.empty_return + "; ".join(parts)
        lines.append(QuoteLine("taxi.empty-return", text, (empty_u + _HALF) // _DEN))

    total_u = rules.flag_fall_fen * _DEN + distance_u + night_u + waiting_u + empty_u
    for step in rules.round_to_fen or (1,):
        unit = step * _DEN
        total_u = (total_u + unit // 2) // unit * unit
    total = total_u // _DEN
    total_fen = sum([line.amount_fen for line in lines])
    if total != total_fen:
        lines.append(QuoteLine("taxi.rounding", texts.rounding, total - total_fen))
    return BaseFare(tuple(lines), total, ((trip.operator, 1),), trip.distance_m)
