"""Bulk writes below SQLAlchemy (storage.bulk) and `among`: the rows they store read back
exactly as SQLAlchemy's own INSERT stores them, inside the caller's transaction. Runs on
SQLite, and on PostgreSQL (COPY, binary and text) when DATABASE_URL points at one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from invoicing.models import Invoice
from ledger.models import LedgerRecord, MerkleNode
from storage.bulk import (
    SessionBusy,
    binary_copy_types,
    insert_rows,
    insert_tuples,
    stream_rows,
    subtract_by_key,
)
from storage.types import UtcDateTime, among, core_table
from trips.models import Charge, Trip

_metadata = MetaData()


def _table(name: str, label_type: String) -> Table:
    return Table(
        name,
        _metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("name", String, nullable=False),
        Column("label", label_type),
        Column("at", UtcDateTime()),
        Column("flag", Boolean, nullable=False),
        Column("blob", LargeBinary),
        Column("fen", BigInteger, nullable=False),
    )


# Every column type is on the binary COPY list; VARCHAR(12) is not, so that table goes
# through text COPY on PostgreSQL.
_BINARY = _table("bulk_test_binary", String())
_TEXT = _table("bulk_test_text", String(12))

_ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": "福田\tline\nbreak \\ backslash",
        "label": "a",
        "at": datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
        "flag": True,
        "blob": bytes(range(256)),
        "fen": 2**62,
    },
    {"id": 2, "name": "", "label": None, "at": None, "flag": False, "blob": None, "fen": -5},
    {
        "id": 3,
        "name": "x",
        "label": "\\N",
        "at": datetime(2026, 3, 1, tzinfo=UTC),
        "flag": False,
        "blob": b"",
        "fen": 0,
    },
]


@pytest.fixture
def tables(engine: Engine) -> Iterator[Engine]:
    _metadata.drop_all(engine)
    _metadata.create_all(engine)
    yield engine
    _metadata.drop_all(engine)


def _stored(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]


@pytest.mark.parametrize("table", [_BINARY, _TEXT], ids=["binary", "text"])
def test_rows_read_back_as_sqlalchemy_stores_them(tables: Engine, table: Table) -> None:
    with Session(tables) as session:
        insert_rows(session, table, _ROWS)
        session.execute(insert(table), [{**row, "id": row["id"] + 100} for row in _ROWS])
        session.commit()
    stored = _stored(tables, table)
    bulk, reference = stored[: len(_ROWS)], stored[len(_ROWS) :]
    assert [row[1:] for row in bulk] == [row[1:] for row in reference]
    assert [row[0] for row in bulk] == [1, 2, 3]
    assert bulk[0][3] == _ROWS[0]["at"]  # the same instant, handed back in UTC
    assert bulk[0][3].tzinfo == UTC


def test_tuples_in_any_column_order(tables: Engine) -> None:
    with Session(tables) as session:
        insert_tuples(session, _BINARY, ("fen", "flag", "name", "id"), [(7, True, "n", 9)])
        session.commit()
    assert _stored(tables, _BINARY) == [(9, "n", None, None, True, None, 7)]


def test_a_naive_time_is_refused(tables: Engine) -> None:
    row = {**_ROWS[1], "at": datetime(2026, 3, 1)}
    with Session(tables) as session, pytest.raises(ValueError, match="naive"):
        insert_rows(session, _BINARY, [row])


def test_the_rows_belong_to_the_callers_transaction(tables: Engine) -> None:
    with Session(tables) as session:
        insert_rows(session, _BINARY, _ROWS)
        subtract_by_key(session, _BINARY, "id", "fen", {1: 1})
        assert session.scalar(select(func.count()).select_from(_BINARY)) == len(_ROWS)
        session.rollback()
    assert _stored(tables, _BINARY) == []


@pytest.mark.parametrize("table", [_BINARY, _TEXT], ids=["binary", "text"])
def test_rows_streamed_one_by_one_land_when_the_writer_closes(tables: Engine, table: Table) -> None:
    columns = list(_ROWS[0])
    with Session(tables) as session:
        with stream_rows(session, table, columns) as write:
            for row in _ROWS:
                write(tuple(row[c] for c in columns))
        assert session.scalar(select(func.count()).select_from(table)) == len(_ROWS)
        session.commit()
    assert [row[0] for row in _stored(tables, table)] == [1, 2, 3]


def test_an_error_while_streaming_inserts_nothing(tables: Engine) -> None:
    columns = list(_ROWS[0])
    with Session(tables) as session:
        with (
            pytest.raises(RuntimeError, match="the caller failed"),
            stream_rows(session, _BINARY, columns) as write,
        ):
            write(tuple(_ROWS[0][c] for c in columns))
            raise RuntimeError("the caller failed")
        count = select(func.count()).select_from(_BINARY)
        if tables.dialect.name == "postgresql":
            # The COPY was aborted, and with it the transaction: nothing half-written.
            with pytest.raises(DBAPIError, match="aborted"):
                session.scalar(count)
            session.rollback()
        assert session.scalar(count) == 0


def test_a_statement_while_streaming_is_refused_not_left_waiting(tables: Engine) -> None:
    # On PostgreSQL it would wait forever for the connection the COPY holds.
    with Session(tables) as session:
        with (
            pytest.raises(SessionBusy, match="streaming into bulk_test_binary"),
            stream_rows(session, _BINARY, ["id", "name", "flag", "fen"]) as write,
        ):
            write((1, "a", True, 0))
            session.execute(select(func.count()).select_from(_TEXT))
        session.rollback()
        insert_tuples(session, _BINARY, ["id", "name", "flag", "fen"], [(2, "b", False, 1)])
        session.commit()  # the session works again once the stream ended
    assert [row[0] for row in _stored(tables, _BINARY)] == [2]


def test_subtract_by_key_changes_only_the_keys_given(tables: Engine) -> None:
    with Session(tables) as session:
        insert_rows(session, _TEXT, _ROWS)
        subtract_by_key(session, _TEXT, "id", "fen", {1: 10, 3: -4})
        subtract_by_key(session, _TEXT, "id", "fen", {})
        session.commit()
    assert [row[-1] for row in _stored(tables, _TEXT)] == [2**62 - 10, -5, 4]


@pytest.mark.parametrize("keys", [[1, 3, 99], [], [2]])
def test_among_selects_what_in_selects(tables: Engine, keys: list[int]) -> None:
    with Session(tables) as session:
        insert_rows(session, _BINARY, _ROWS)
        found = session.scalars(
            select(_BINARY.c.id).where(among(session, _BINARY.c.id, keys)).order_by(_BINARY.c.id)
        )
        assert list(found) == [row["id"] for row in _ROWS if row["id"] in keys]


def test_among_is_one_array_parameter_on_postgresql() -> None:
    # No server needed: the engine never connects to compile.
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with Session(engine) as session:
        clause = among(session, _BINARY.c.name, ["a", "b", "c"])
    sql = str(clause.compile(dialect=engine.dialect))
    assert sql == f"{_BINARY.name}.name = ANY (%(param_1)s::VARCHAR[])"
    engine.dispose()


_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]


def test_binary_copy_is_chosen_by_the_column_types() -> None:
    columns = [c.name for c in _BINARY.c]
    assert binary_copy_types(_BINARY, columns, _POSTGRESQL) is not None
    assert binary_copy_types(_TEXT, columns, _POSTGRESQL) is None


@pytest.mark.parametrize("model", [LedgerRecord, MerkleNode, Trip, Charge, Invoice])
def test_every_table_the_batcher_fills_takes_binary_copy(model: type[SQLModel]) -> None:
    # The batcher's speed on PostgreSQL rests on this: text COPY costs more per row.
    table = core_table(model)
    assert binary_copy_types(table, [c.name for c in table.c], _POSTGRESQL) is not None


def test_a_missing_column_with_a_default_is_refused_before_any_sql(tables: Engine) -> None:
    with_default = Table(
        "bulk_test_default",
        MetaData(),
        Column("id", BigInteger, primary_key=True),
        Column("kind", String, default="x"),
    )
    with Session(tables) as session, pytest.raises(ValueError, match=r"\['kind'\]"):
        insert_tuples(session, with_default, ("id",), [(1,)])
