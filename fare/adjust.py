"""The steps common to every mode, in order: rider category, transfer, caps, shares.

1. Category: the rider pays (100 - discount)% of the base fare, rounded half up to
   the fen, on the modes the category rule lists.
2. Transfer: if the rider's most recent earlier trip (any mode) is complete, of the
   rule's from-mode, ended at most the rule's window before this trip started, and
   did not itself get this discount (unless the rule chains), the first matching
   rule takes its amount or percentage off, never below zero.
3. Caps: for each cap on this mode, what the rider already paid in the same service
   day (from the tariff's day start, 04:30 local) or Monday-to-Sunday week on the
   covered modes, incomplete trips left out, leaves a remainder; the trip costs at
   most the smallest remainder, and the line shows what the cap saved.
An incomplete journey gets step 1 only: it is neither a transfer nor capped, and it
does not count toward caps. "Earlier" means a history trip whose start (or, with no
start, its end) is strictly before this trip's; later ones are ignored, and the
history's order does not matter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fare.apportion import apportion
from fare.errors import PricingError
from fare.localtime import service_day, service_week, wall_s
from fare.quote import BaseFare, Quote, QuoteLine, format_yuan
from fare.tariff import Tariff, TransferRule
from fare.trip import PricedTrip, TripEnd

__all__ = ["finish_quote"]

_DAY_S = 86_400
_PERIOD_NAMES = {"day": "service day", "week": "week (Monday to Sunday)"}


def _order(trip: PricedTrip) -> tuple[object, ...]:
    # Every field, so that the latest of two trips at the same moment never depends on
    # the order of the history.
    return (
        trip.at,
        trip.end,
        trip.mode,
        trip.amount_fen,
        trip.incomplete,
        trip.rule_ids,
        trip.category,
    )


def _latest(history: Sequence[PricedTrip], before: dt.datetime) -> PricedTrip | None:
    latest: PricedTrip | None = None
    for past in history:
        if past.at < before and (
            latest is None
            or past.at > latest.at
            or (past.at == latest.at and _order(past) > _order(latest))
        ):
            latest = past
    return latest


def _transfer(
    tariff: Tariff, trip: TripEnd, start: dt.datetime, history: Sequence[PricedTrip]
) -> TransferRule | None:
    previous = None
    for rule in tariff.transfers_to.get(trip.mode, ()):
        if previous is None:
            previous = _latest(history, start)
            if previous is None or previous.incomplete:
                return None
        gap_s = (start - previous.end).total_seconds()
        if (
            rule.from_mode == previous.mode
            and 0 <= gap_s <= rule.window_s
            and (rule.chain or f"transfer.{rule.id}" not in previous.rule_ids)
        ):
            return rule
    return None


def _caps(
    tariff: Tariff, trip: TripEnd, at: dt.datetime, history: Sequence[PricedTrip], amount: int
) -> QuoteLine | None:
    caps = tariff.caps_by_mode.get(trip.mode)
    if not caps or amount == 0:
        return None
    if not history and all(cap.amount_for(trip.category) >= amount for cap in caps):
        return None  # nothing paid yet, and no cap is below this one fare
    starts = tariff.service_day_starts_s
    day = service_day(wall_s(at), starts)
    best: tuple[int, str, str] | None = None
    for cap in caps:
        # The period as a range of wall-clock seconds, so each past trip costs a compare.
        first_day = day if cap.period == "day" else service_week(day) * 7 - 3
        low = first_day * _DAY_S + starts
        high = low + (_DAY_S if cap.period == "day" else 7 * _DAY_S)
        modes = cap.modes
        spent = 0
        for past in history:
            if (
                low <= past.wall_s < high
                and not past.incomplete
                and past.mode in modes
                and past.at < at
            ):
                spent += past.amount_fen
        limit = cap.amount_for(trip.category)
        remaining = max(0, limit - spent)
        if remaining < amount and (best is None or remaining < best[0]):
            period = _PERIOD_NAMES[cap.period]
            text = (
                f"Cap {cap.id}: at most {format_yuan(limit)} yuan per {period}, "
                f"{format_yuan(spent)} already paid"
            )
            best = (remaining, f"cap.{cap.id}", text)
    if best is None:
        return None
    remaining, rule_id, text = best
    return QuoteLine(rule_id, text, remaining - amount)


def finish_quote(
    tariff: Tariff, trip: TripEnd, base: BaseFare, history: Sequence[PricedTrip]
) -> Quote:
    category = tariff.categories.get(trip.category)
    if category is None:
        known = ", ".join(sorted(tariff.categories))
        raise PricingError(f"expected a rider category ({known}), got {trip.category!r}")
    lines = list(base.lines)
    amount = base.fare_fen
    if category.discount_pct and trip.mode in category.modes:
        pays = (amount * (100 - category.discount_pct) + 50) // 100
        text = f"{category.name} discount {category.discount_pct}%"
        lines.append(QuoteLine(f"category.{category.id}", text, pays - amount))
        amount = pays

    cap_saved = 0
    at = trip.at
    if not base.incomplete and at is not None:
        rule = _transfer(tariff, trip, at, history) if history else None
        if rule is not None and amount:
            if rule.discount_fen is not None:
                off = min(amount, rule.discount_fen)
            else:
                off = (amount * (rule.discount_pct or 0) + 50) // 100
            window = rule.window_s // 60
            text = f"Transfer {rule.from_mode} to {rule.to_mode} within {window} min"
            lines.append(QuoteLine(f"transfer.{rule.id}", text, -off))
            amount -= off
        cap_line = _caps(tariff, trip, at, history, amount)
        if cap_line is not None:
            lines.append(cap_line)
            cap_saved = -cap_line.amount_fen
            amount -= cap_saved

    return Quote(
        amount_fen=amount,
        lines=tuple(lines),
        shares=apportion(amount, base.weights),
        tariff_version=tariff.version,
        incomplete=base.incomplete,
        cap_saved_fen=cap_saved,
        distance_m=base.distance_m,
        mode=trip.mode,
        category=trip.category,
    )
