"""Integer types bounded to what the database stores: every integer the API reads.

The tables keep counts, indexes and money in 64-bit columns (BIGINT); an integer beyond
them made the database driver fail (a 500) instead of the request (a 422). Each path,
query and body integer is one of these, so the schema says its range and the request is
refused before any query runs.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval

__all__ = ["INT64_MAX", "Int64", "NonNegativeInt64", "PositiveInt64"]

INT64_MAX = 2**63 - 1

Int64 = Annotated[int, Interval(ge=-(2**63), le=INT64_MAX)]
NonNegativeInt64 = Annotated[int, Interval(ge=0, le=INT64_MAX)]
PositiveInt64 = Annotated[int, Interval(ge=1, le=INT64_MAX)]
