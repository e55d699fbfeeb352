"""Calendar dates as the API reads them: `YYYY-MM-DD` text and nothing else.

Pydantic's lax mode reads a number as a Unix time, so `issued_to=0` became 1970-01-01
and a search the caller did not mean. Dates in queries and bodies are ISO 8601 calendar
dates, spelled out.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

__all__ = ["IsoDate"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _spelled_out(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    return value


IsoDate = Annotated[date, BeforeValidator(_spelled_out), Field(examples=["2026-12-05"])]
"""A calendar date given as `YYYY-MM-DD`."""
