"""`update_by_key` and `insert_missing`: set-wise writes read back as SQLAlchemy's own
per-row UPDATE and INSERT store them, on SQLite and (arrays) on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage.bulk import insert_missing, insert_rows, update_by_key
from storage.types import UtcDateTime

_metadata = MetaData()
_T = Table(
    "bulk_sets_test",
    _metadata,
    Column("key", LargeBinary, primary_key=True),
    Column("name", String, nullable=False),
    Column("at", UtcDateTime()),
    Column("flag", Boolean, nullable=False),
    Column("fen", BigInteger),
)
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def _row(n: int, **changes: Any) -> dict[str, Any]:
    row = {"key": bytes([n]) * 32, "name": f"r{n}", "at": None, "flag": False, "fen": n}
    return {**row, **changes}


@pytest.fixture
def tables(engine: Engine) -> Iterator[Engine]:
    _metadata.drop_all(engine)
    _metadata.create_all(engine)
    yield engine
    _metadata.drop_all(engine)


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(_T).order_by(_T.c.key))]


def test_update_by_key_writes_what_per_row_updates_write(tables: Engine) -> None:
    at = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=_SHANGHAI)
    changes = [
        (bytes([1]) * 32, "福田\t\\N", at, True, None),
        (bytes([3]) * 32, "", None, False, -(2**62)),
        (bytes([9]) * 32, "nobody", None, True, 1),  # no such key: changes nothing
    ]
    columns = ("name", "at", "flag", "fen")
    with Session(tables) as session:
        insert_rows(session, _T, [_row(n) for n in (1, 2, 3)])
        update_by_key(session, _T, "key", columns, changes)
        update_by_key(session, _T, "key", columns, [])
        session.commit()
    bulk = _stored(tables)
    with Session(tables) as session:  # the same, one SQLAlchemy UPDATE per row
        session.execute(_T.delete())
        insert_rows(session, _T, [_row(n) for n in (1, 2, 3)])
        for key, *values in changes:
            named = dict(zip(columns, values, strict=True))
            session.execute(update(_T).where(_T.c.key == key).values(named))
        session.commit()
    assert bulk == _stored(tables)
    assert bulk[0][1:] == ("福田\t\\N", at.astimezone(UTC), True, None)
    assert bulk[1] == tuple(_row(2).values())


def test_update_by_key_refuses_a_naive_time(tables: Engine) -> None:
    with Session(tables) as session:
        insert_rows(session, _T, [_row(1)])
        with pytest.raises(ValueError, match="aware"):
            update_by_key(session, _T, "key", ("at",), [(bytes([1]) * 32, datetime(2026, 1, 1))])


def test_insert_missing_passes_over_rows_already_there(tables: Engine) -> None:
    with Session(tables) as session:
        insert_rows(session, _T, [_row(1), _row(2)])
        added = insert_missing(session, _T, [_row(2, name="again"), _row(3), _row(1)], "key")
        assert sorted(added) == [bytes([3]) * 32]
        assert insert_missing(session, _T, [], "key") == []
        session.commit()
    assert [(r[1], r[4]) for r in _stored(tables)] == [("r1", 1), ("r2", 2), ("r3", 3)]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    have=st.sets(st.integers(0, 30), max_size=12),
    offered=st.lists(st.integers(0, 30), max_size=20),
)
def test_insert_missing_returns_exactly_the_new_keys(
    tables: Engine, have: set[int], offered: list[int]
) -> None:
    with Session(tables) as session:
        session.execute(_T.delete())
        insert_rows(session, _T, [_row(n) for n in sorted(have)])
        unique = list(dict.fromkeys(offered))  # one row per key, as callers send them
        added = insert_missing(session, _T, [_row(n, fen=-n) for n in unique], "key")
        assert sorted(added) == sorted(bytes([n]) * 32 for n in set(unique) - have)
        stored = {r.key: r.fen for r in session.execute(select(_T.c.key, _T.c.fen))}
        session.rollback()
    assert stored == {bytes([n]) * 32: (n if n in have else -n) for n in have | set(unique)}
