"""Clock arithmetic for local rules: Asia/Shanghai wall time as integer seconds.

Data carries aware UTC datetimes; local rules (the taxi night window, the 04:30
service day, Monday-to-Sunday weeks) read the wall clock in Asia/Shanghai through
zoneinfo. "Wall seconds" count seconds since 1970-01-01 00:00 local time, so the
local clock of a moment is `wall % 86400` and its local date is `wall // 86400`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fare.errors import PricingError

__all__ = ["SHANGHAI", "require_aware", "service_day", "service_week", "wall_s"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
_DAY_S = 86_400
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def require_aware(moment: dt.datetime, what: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise PricingError(f"expected {what} to be timezone-aware, got naive {moment}")
    return moment


# UTC offset of Asia/Shanghai per UTC hour, filled on demand: zone offsets change on
# whole hours here, and a zoneinfo conversion costs more than the rest of a quote.
_OFFSET_BY_HOUR: dict[int, int] = {}


def wall_s(moment: dt.datetime) -> int:
    """Whole seconds since the local epoch, read on the Asia/Shanghai wall clock."""
    since = moment - _EPOCH
    utc_s = since.days * _DAY_S + since.seconds
    offset = _OFFSET_BY_HOUR.get(utc_s // 3600)
    if offset is None:
        if len(_OFFSET_BY_HOUR) > 500_000:
            _OFFSET_BY_HOUR.clear()
        found = moment.astimezone(SHANGHAI).utcoffset() or dt.timedelta()
        offset = _OFFSET_BY_HOUR[utc_s // 3600] = found.days * _DAY_S + found.seconds
    return utc_s + offset


def service_day(wall: int, day_starts_s: int) -> int:
    """The local day number of the service day a moment belongs to (04:30 to 04:29...)."""
    return (wall - day_starts_s) // _DAY_S


def service_week(day: int) -> int:
    """The Monday-to-Sunday week of a service day number (day 0 was a Thursday)."""
    return (day + 3) // 7
