"""What the fare engine is asked to price, and what it remembers of a rider's past.

`TripEnd` is one trip-end event as the batcher reads it from the stream: a metro
entry/exit pair (or half of one, for an incomplete journey), a bus boarding, or a
taxi meter's trip report. `PricedTrip` is the little the engine needs of an earlier
trip of the same rider to apply transfer discounts and caps; the batcher keeps the
last eight days of them per rider and passes them back as history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fare.localtime import require_aware, wall_s
from fare.quote import Quote

__all__ = ["PricedTrip", "TripEnd"]

_set = object.__setattr__  # a frozen dataclass sets its derived fields past __setattr__


@dataclass(frozen=True, slots=True)
class TripEnd:
    mode: str  # "metro" | "bus" | "taxi"
    category: str  # "adult" | "student" | "child" | "senior"
    operator: str  # the operator of the device that ended the trip
    started_at: dt.datetime | None  # metro entry, bus boarding, taxi start; aware
    ended_at: dt.datetime | None  # None for a metro entry that was never closed
    entry_station: str | None = None
    exit_station: str | None = None
    route: str | None = None  # bus
    distance_m: int = 0  # taxi
    waiting_s: int = 0  # taxi

    @property
    def at(self) -> dt.datetime | None:
        """The moment that picks the tariff version and the cap period: the start."""
        return self.started_at if self.started_at is not None else self.ended_at


@dataclass(frozen=True, slots=True)
class PricedTrip:
    mode: str
    category: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    amount_fen: int
    incomplete: bool
    rule_ids: tuple[str, ...] = ()
    # Derived once, so scanning a history costs integer comparisons only.
    at: dt.datetime = field(init=False, repr=False, compare=False)
    end: dt.datetime = field(init=False, repr=False, compare=False)
    wall_s: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        at = self.started_at if self.started_at is not None else self.ended_at
        if at is None:
            raise ValueError("expected started_at or ended_at, got neither")
        require_aware(at, "a history trip's time")
        _set(self, "at", at)
        _set(self, "end", self.ended_at if self.ended_at is not None else at)
        _set(self, "wall_s", wall_s(at))

    @classmethod
    def from_quote(cls, trip: TripEnd, quote: Quote) -> PricedTrip:
        # Positional: the batcher makes one per trip, and keywords cost ~15% more here.
        return cls(
            trip.mode,
            trip.category,
            trip.started_at,
            trip.ended_at,
            quote.amount_fen,
            quote.incomplete,
            quote.rule_ids,
        )

    def to_record(self) -> dict[str, object]:
        """A JSON-able form (RFC 3339 UTC times) for the batcher's per-rider store."""
        record: dict[str, object] = {
            "mode": self.mode,
            "category": self.category,
            "amount_fen": self.amount_fen,
            "incomplete": self.incomplete,
            "rule_ids": list(self.rule_ids),
        }
        for key, moment in (("started_at", self.started_at), ("ended_at", self.ended_at)):
            if moment is not None:
                record[key] = moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return record

    @classmethod
    def from_record(cls, record: dict[str, object]) -> PricedTrip:
        def moment(key: str) -> dt.datetime | None:
            value = record.get(key)
            return None if value is None else dt.datetime.fromisoformat(str(value))

        amount = record["amount_fen"]
        rule_ids = record.get("rule_ids", [])
        if not isinstance(amount, int) or not isinstance(rule_ids, list):
            raise ValueError(f"expected an integer amount_fen, got {amount!r}")
        return cls(
            mode=str(record["mode"]),
            category=str(record["category"]),
            started_at=moment("started_at"),
            ended_at=moment("ended_at"),
            amount_fen=amount,
            incomplete=bool(record["incomplete"]),
            rule_ids=tuple(str(r) for r in rule_ids),
        )
