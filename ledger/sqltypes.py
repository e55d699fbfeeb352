"""SQL helpers: a timestamp column that always hands back aware UTC datetimes, and the
Core table of a model for bulk inserts.

PostgreSQL's timestamptz gives aware datetimes already; SQLite stores the text without
a zone and returns naive values, which would print without an offset and compare wrongly
with aware ones. `UtcDateTime` stores UTC on both and hands back aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got naive {value.isoformat()}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def core_table(model: type[SQLModel]) -> Table:
    """The Core table of a model: bulk inserts through it skip the ORM's per-row work."""
    return SQLModel.metadata.tables[str(model.__tablename__)]
