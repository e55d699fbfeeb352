"""When a declined payment is tried again, and when it is given up.

Like TfL's and WeChat Pay's debt recovery: the first attempt follows the trip; after a
decline the payment is tried again at fixed offsets from its first decline (by default
1, 7 and 30 days: three more attempts over 30 days); after the last one it is written
off (the debt stays on the rider's balance until the rider pays it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["DEFAULT_RETRY_AFTER_H", "RetrySchedule"]

DEFAULT_RETRY_AFTER_H = (24, 7 * 24, 30 * 24)


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Offsets after the first decline, ascending; one more attempt per offset."""

    retry_after_s: tuple[int, ...]

    def __post_init__(self) -> None:
        previous = 0
        for offset in self.retry_after_s:
            if offset <= previous:
                raise ValueError(
                    f"expected retry offsets > 0 and ascending, got {list(self.retry_after_s)}"
                )
            previous = offset

    @classmethod
    def from_hours(cls, hours: Sequence[float]) -> RetrySchedule:
        return cls(tuple(round(h * 3600) for h in hours))

    @property
    def max_attempts(self) -> int:
        return 1 + len(self.retry_after_s)

    def next_attempt_at(self, first_declined_at: datetime, attempts_made: int) -> datetime | None:
        """When attempt `attempts_made + 1` is due, or None: write the payment off."""
        if first_declined_at.tzinfo is None:
            raise ValueError("expected an aware first_declined_at, got a naive datetime")
        if attempts_made < 1:
            raise ValueError(f"expected at least one attempt made, got {attempts_made}")
        if attempts_made >= self.max_attempts:
            return None
        return first_declined_at + timedelta(seconds=self.retry_after_s[attempts_made - 1])
