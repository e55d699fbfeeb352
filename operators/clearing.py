"""Clearing between operators for one business day: pure, over plain values.

The rules (the statement and every test follow them):

1. **Business day.** Asia/Shanghai wall clock, cut at 04:30 by default (`cut_min`,
   configurable): day D runs from D 04:30 to D+1 04:30 local time, like the fare caps.
2. **Items.** Two kinds of item are cleared, each from one ledger record:
   - a *trip* (a `trip` record): its day is the business day of its end (the exit tap,
     bus boarding or meter report), or of its start when it never ended (an entry the
     sweeper closed as incomplete);
   - a *refund* (a `credit_note` record with reason refund or fare_correction): its day
     is the business day the credit note was issued, never the day of the trip it
     reverses (a closed day is not rewritten). A credit note that re-titles an invoice
     is not cleared: the invoice issued with it carries the same fare, seller and trip,
     so no money moves.
3. **Collected.** The seller of a trip (the operator whose device ended it, who issues
   the invoice) collects its fare: the quote's final amount in fen, after every
   discount and cap, as charged and invoiced. A refund is collected back (negative) by
   the same seller.
4. **Earned.** A trip's revenue is earned by the quote's operator shares: kilometres on
   each operator's lines along the priced path, Hamilton-rounded in fen
   (`fare.apportion`), so the shares add up to the fare exactly. Single-operator trips
   (bus, taxi, one metro operator) earn everything for that operator. A refund takes
   back exactly the shares of the trip it reverses (credit notes reverse in full).
5. **Caps, discounts, incomplete journeys.** They change the fare before it is
   apportioned, so they reduce every operator's share in proportion; a trip capped to
   0 fen is cleared as a trip of 0 fen. An incomplete journey is cleared at the fare the
   tariff gave it (e.g. the network maximum), with the quote's shares. Cap savings,
   discount lines and incomplete trips are counted for information only.
6. **Positions.** For every item and every operator O other than its seller S with a
   share s, S owes O s fen (a refund reverses it). The net position of A against B is
   what B owes A minus what A owes B, so `position(A, B) = -position(B, A)`, an
   operator's positions add up to `earned - collected`, and all of them add up to zero.
7. **Late items.** A day is settled once (`operators.settlement`); an item of a settled
   day that reaches the ledger after that settlement is cleared as an *adjustment* on
   the next statement produced, under its own day, never by rewriting the old one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fare.localtime import SHANGHAI, service_day, wall_s

__all__ = [
    "DEFAULT_CUT_MIN",
    "Clearing",
    "Item",
    "OperatorTotals",
    "business_day",
    "clear",
    "day_bounds",
]

DEFAULT_CUT_MIN = 4 * 60 + 30
_LOCAL_EPOCH = dt.date(1970, 1, 1)


def business_day(moment: dt.datetime, cut_min: int = DEFAULT_CUT_MIN) -> dt.date:
    """The business day a moment belongs to (aware time in, local date out)."""
    if moment.tzinfo is None:
        raise ValueError(f"expected an aware time, got naive {moment.isoformat()}")
    return _LOCAL_EPOCH + dt.timedelta(days=service_day(wall_s(moment), cut_min * 60))


def day_bounds(day: dt.date, cut_min: int = DEFAULT_CUT_MIN) -> tuple[dt.datetime, dt.datetime]:
    """The business day's [start, end) as aware UTC times."""
    start = dt.datetime.combine(day, dt.time(), SHANGHAI) + dt.timedelta(minutes=cut_min)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI)
    end += dt.timedelta(minutes=cut_min)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class Item:
    """One cleared ledger record: a trip (amount > 0 or 0) or a refund (`refund=True`)."""

    index: int  # the ledger index of the trip or credit_note record
    day: dt.date
    seller: str
    amount_fen: int  # the fare, or the refunded amount; never negative
    shares: tuple[tuple[str, int], ...]  # (operator, fen), adding up to amount_fen
    refund: bool = False
    incomplete: bool = False
    cap_saved_fen: int = 0
    discount_fen: int = 0  # the quote's discount lines, as a positive number

    def __post_init__(self) -> None:
        if self.amount_fen < 0:
            raise ValueError(f"item {self.index}: expected an amount >= 0, got {self.amount_fen}")
        total = sum(fen for _, fen in self.shares)
        if total != self.amount_fen:
            raise ValueError(
                f"item {self.index}: expected shares adding up to {self.amount_fen} fen, "
                f"got {total}"
            )


@dataclass(slots=True)
class OperatorTotals:
    trips: int = 0
    refunds: int = 0
    collected_fen: int = 0
    refunded_fen: int = 0  # part of collected_fen (already subtracted), shown apart
    earned_fen: int = 0
    incomplete: int = 0
    cap_saved_fen: int = 0
    discount_fen: int = 0

    @property
    def net_fen(self) -> int:
        """What the others owe this operator (negative: what it owes them)."""
        return self.earned_fen - self.collected_fen

    def as_record(self) -> dict[str, int]:
        return {
            "trips": self.trips,
            "refunds": self.refunds,
            "collected_fen": self.collected_fen,
            "refunded_fen": self.refunded_fen,
            "earned_fen": self.earned_fen,
            "net_fen": self.net_fen,
            "incomplete": self.incomplete,
            "cap_saved_fen": self.cap_saved_fen,
            "discount_fen": self.discount_fen,
        }


@dataclass(slots=True)
class Clearing:
    totals: dict[str, OperatorTotals] = field(default_factory=dict)
    # owed[(debtor, creditor)]: fen the debtor owes the creditor, before netting
    owed: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    indexes: list[int] = field(default_factory=list)

    def of(self, operator: str) -> OperatorTotals:
        return self.totals.get(operator) or OperatorTotals()

    def position(self, operator: str, counterparty: str) -> int:
        """Net: what the counterparty owes `operator` minus what `operator` owes it."""
        return self.owed.get((counterparty, operator), 0) - self.owed.get(
            (operator, counterparty), 0
        )

    def positions(self, operator: str) -> dict[str, tuple[int, int]]:
        """Counterparty -> (receivable, payable) in fen, both before netting."""
        out: dict[str, tuple[int, int]] = {}
        for (debtor, creditor), fen in sorted(self.owed.items()):
            if creditor == operator:
                receivable, payable = out.get(debtor, (0, 0))
                out[debtor] = (receivable + fen, payable)
            elif debtor == operator:
                receivable, payable = out.get(creditor, (0, 0))
                out[creditor] = (receivable, payable + fen)
        return out

    def operators(self) -> list[str]:
        names = set(self.totals)
        for debtor, creditor in self.owed:
            names.update((debtor, creditor))
        return sorted(names)


def clear(items: Iterable[Item]) -> Clearing:
    """Totals per operator and what each owes each other, under the module's rules."""
    result = Clearing()
    totals = result.totals
    for item in items:
        sign = -1 if item.refund else 1
        seller = totals.setdefault(item.seller, OperatorTotals())
        seller.collected_fen += sign * item.amount_fen
        if item.refund:
            seller.refunds += 1
            seller.refunded_fen += item.amount_fen
        else:
            seller.trips += 1
            seller.incomplete += item.incomplete
            seller.cap_saved_fen += item.cap_saved_fen
            seller.discount_fen += item.discount_fen
        for operator, fen in item.shares:
            totals.setdefault(operator, OperatorTotals()).earned_fen += sign * fen
            if operator != item.seller and fen:
                result.owed[(item.seller, operator)] += sign * fen
        result.indexes.append(item.index)
    return result


def by_day(items: Iterable[Item]) -> Mapping[dt.date, list[Item]]:
    """Items grouped by their business day, days in order."""
    grouped: dict[dt.date, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.day].append(item)
    return dict(sorted(grouped.items()))
