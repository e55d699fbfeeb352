"""SQL helpers: a timestamp column that always hands back aware UTC datetimes, the Core
table of a model for bulk inserts, and a membership test for long lists of keys.

PostgreSQL's timestamptz gives aware datetimes already; SQLite stores the text without
a zone and returns naive values, which would print without an offset and compare wrongly
with aware ones. `UtcDateTime` stores UTC on both and hands back aware UTC.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ARRAY, ColumnElement, DateTime, Table, any_, bindparam
from sqlalchemy.orm import Mapped, Session
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

T = TypeVar("T")


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


def among(
    session: Session, column: ColumnElement[T] | Mapped[T], values: Collection[T]
) -> ColumnElement[bool]:
    """`column IN values`, as `column = ANY(array)` on PostgreSQL.

    The batcher asks this of a thousand keys per block. An expanded IN list is a new
    statement text for every length: SQLAlchemy renders it and psycopg parses it again
    each time, which cost more than the query. One array parameter keeps the text fixed.
    """
    if session.get_bind().dialect.name == "postgresql":
        # A mapped attribute (sqlmodel's col()) proxies `.type` to its column.
        column_type = cast(ColumnElement[T], column).type
        return column == any_(bindparam(None, list(values), type_=ARRAY(column_type)))
    return column.in_(values)
