"""Bulk writes for the batcher's block transaction, below SQLAlchemy's per-row work.

A block writes some 12,000 rows. Through `session.execute(insert(table), rows)` most of
the batcher's time went to SQLAlchemy building and processing a parameter dict per row
and to psycopg pipelining an INSERT per row. Here the rows go to the driver of the
session's own connection, so they stay inside the caller's transaction:

- PostgreSQL: one `COPY ... FROM STDIN` per table (psycopg 3 `Cursor.copy`), binary when
  every column's type is one whose value passes as it is (cheaper to write and for the
  server to parse; a type such as VARCHAR(12) or json falls back to text COPY);
- SQLite: `sqlite3.Cursor.executemany` with plain tuples.

`stream_rows` takes the rows one at a time while the caller makes them (the ledger's
records, as the batcher encodes them).

Values pass through the bind processors SQLAlchemy would apply (so `UtcDateTime` still
refuses naive times and SQLite still stores its own datetime text), except the binary
ones: both drivers take `bytes` as they are, and wrapping each hash costs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import Dialect, LargeBinary, Table, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

__all__ = [
    "SessionBusy",
    "binary_copy_types",
    "insert_missing",
    "insert_rows",
    "insert_tuples",
    "stream_rows",
    "subtract_by_key",
    "update_by_key",
]

Processor = Callable[[Any], Any]


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert dict rows in the session's transaction.

    Every row must have the keys of the first (the callers build them so); driver
    errors arrive as the driver's own exceptions, not SQLAlchemy's.
    """
    if not rows:
        return
    columns = list(rows[0])
    pick = itemgetter(*columns)
    tuples = [pick(row) for row in rows] if len(columns) > 1 else [(pick(r),) for r in rows]
    insert_tuples(session, table, columns, tuples)


def insert_missing(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> list[Any]:
    """Insert the rows whose `key` is not in the table yet; the keys inserted.

    `INSERT ... ON CONFLICT DO NOTHING RETURNING key`: a row that a concurrent writer
    inserted first is passed over, not an error, and the caller learns which rows were
    its own. PostgreSQL gets one statement over binary array parameters (one per column,
    as in `update_by_key`); SQLite SQLAlchemy's multi-row INSERT. Every row must have
    the keys of the first.
    """
    if not rows:
        return []
    dialect, driver = _driver(session)
    if dialect.name != "postgresql":
        statement = sqlite.insert(table).on_conflict_do_nothing().returning(table.c[key])
        return list(session.execute(statement, list(rows)).scalars())
    columns = list(rows[0])
    process = _row_processor(table, columns, dialect)
    pick = itemgetter(*columns)
    tuples = [pick(row) if len(columns) > 1 else (pick(row),) for row in rows]
    values = [process(row) for row in tuples] if process is not None else tuples
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    arrays = ", ".join(f"%b::{table.c[c].type.compile(dialect)}[]" for c in columns)
    with driver.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {target} ({', '.join(quote(c) for c in columns)})"
            f" SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING RETURNING {quote(key)}",
            [list(column) for column in zip(*values, strict=True)],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_tuples(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert rows given as tuples in the order of `columns`."""
    with stream_rows(session, table, columns) as write:
        for row in rows:
            write(row)


@contextmanager
def stream_rows(
    session: Session, table: Table, columns: Sequence[str]
) -> Iterator[Callable[[Sequence[Any]], None]]:
    """Insert rows one by one as the caller makes them, in the session's transaction.

    On PostgreSQL they stream through one open COPY, so the server parses and indexes
    them on its own core while the caller makes the next ones, instead of all at the
    end. SQLite runs in the caller's process anyway: there the rows are gathered and
    inserted at the exit. Until the block exits the session runs no other statement: one
    would wait forever on psycopg's connection lock, so it raises `SessionBusy` instead.
    An exception inside the block inserts nothing (PostgreSQL aborts the COPY, and with
    it the transaction).
    """
    _check_defaults(table, columns)
    dialect, driver = _driver(session)
    process = _row_processor(table, columns, dialect)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    target = dialect.identifier_preparer.format_table(table)
    with _no_statements(session, f"rows are streaming into {table.name}"):
        if dialect.name == "postgresql":
            types = binary_copy_types(table, columns, dialect)
            options = "" if types is None else " (FORMAT BINARY)"
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {target} ({names}) FROM STDIN{options}") as copy,
            ):
                if types is not None:
                    copy.set_types(types)
                write_row = copy.write_row
                yield write_row if process is None else lambda row: write_row(process(row))
        else:
            gathered: list[Sequence[Any]] = []
            yield gathered.append if process is None else lambda r: gathered.append(process(r))
            marks = ", ".join("?" for _ in columns)
            _executemany(driver, f"INSERT INTO {target} ({names}) VALUES ({marks})", gathered)


class SessionBusy(RuntimeError):
    """A statement was sent while the session streams rows (`stream_rows`)."""


@contextmanager
def _no_statements(session: Session, why: str) -> Iterator[None]:
    connection = session.connection()

    def refuse(*_: object) -> None:
        raise SessionBusy(f"no statement may run on this session while {why}")

    event.listen(connection, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", refuse)


# Types whose psycopg binary dumper takes the Python value the bind processors give
# (str, int, bool, bytes, aware datetime) as it is. A json column, say, would take a str
# and encode it again, so anything else goes through text COPY.
_BINARY_COPY_TYPES = frozenset(
    {"bigint", "integer", "smallint", "boolean", "varchar", "text", "bytea"}
    | {"timestamp with time zone"}
)


def binary_copy_types(table: Table, columns: Sequence[str], dialect: Dialect) -> list[str] | None:
    """The PostgreSQL type names for a binary COPY of `columns`, or None for text COPY."""
    types = [table.c[c].type.compile(dialect).lower() for c in columns]
    return types if all(t in _BINARY_COPY_TYPES for t in types) else None


def subtract_by_key(
    session: Session, table: Table, key: str, column: str, amounts: Mapping[Any, int]
) -> None:
    """`UPDATE table SET column = column - amount WHERE key = k` for each (k, amount).

    Keys and amounts are plain values (no bind processing). PostgreSQL gets one statement
    over two binary array parameters (`%b`: psycopg quotes no element) instead of a
    thousand pipelined UPDATEs.
    """
    if not amounts:
        return
    dialect, driver = _driver(session)
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    key_name, name = quote(table.c[key].name), quote(table.c[column].name)
    if dialect.name != "postgresql":
        sql = f"UPDATE {target} SET {name} = {name} - ? WHERE {key_name} = ?"
        _executemany(driver, sql, [(amount, k) for k, amount in amounts.items()])
        return
    key_type = table.c[key].type.compile(dialect)
    value_type = table.c[column].type.compile(dialect)
    with driver.cursor() as cursor:
        cursor.execute(
            f"UPDATE {target} AS t SET {name} = t.{name} - d.amount"
            f" FROM unnest(%b::{key_type}[], %b::{value_type}[]) AS d(k, amount)"
            f" WHERE t.{key_name} = d.k",
            (list(amounts), list(amounts.values())),
        )


def update_by_key(
    session: Session,
    table: Table,
    key: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """`UPDATE table SET columns = row[1:] WHERE key = row[0]` for each row, in bulk.

    Values pass through the columns' bind processors (as `stream_rows` does). PostgreSQL
    gets one statement over binary array parameters, one array per column; SQLite an
    executemany.
    """
    if not rows:
        return
    dialect, driver = _driver(session)
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    names = [key, *columns]
    process = _row_processor(table, names, dialect)
    values = [process(row) for row in rows] if process is not None else [list(r) for r in rows]
    if dialect.name != "postgresql":
        sets = ", ".join(f"{quote(c)} = ?" for c in columns)
        sql = f"UPDATE {target} SET {sets} WHERE {quote(key)} = ?"
        _executemany(driver, sql, [(*row[1:], row[0]) for row in values])
        return
    aliases = [f"c{i}" for i in range(len(names))]
    arrays = ", ".join(f"%b::{table.c[n].type.compile(dialect)}[]" for n in names)
    sets = ", ".join(f"{quote(c)} = d.{a}" for c, a in zip(columns, aliases[1:], strict=True))
    with driver.cursor() as cursor:
        cursor.execute(
            f"UPDATE {target} AS t SET {sets} FROM unnest({arrays}) AS d({', '.join(aliases)})"
            f" WHERE t.{quote(key)} = d.c0",
            [list(column) for column in zip(*values, strict=True)],
        )


def _check_defaults(table: Table, columns: Sequence[str]) -> None:
    # INSERT through SQLAlchemy fills Python-side column defaults; these writes do not.
    missing = sorted(c.name for c in table.c if c.default is not None and c.name not in columns)
    if missing:
        raise ValueError(f"expected values for {missing} (columns with defaults), got none")


def _driver(session: Session) -> tuple[Dialect, Any]:
    """The dialect and the DBAPI connection under the session's transaction."""
    connection = session.connection()
    return connection.dialect, connection.connection.driver_connection


def _executemany(driver: Any, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    cursor = driver.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _row_processor(
    table: Table, columns: Sequence[str], dialect: Dialect
) -> Callable[[Sequence[Any]], list[Any]] | None:
    """The bind processors of `columns` applied to one row, or None when none applies."""
    processors = [_processor(table, name, dialect) for name in columns]
    steps = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not steps:
        return None

    def process(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for i, step in steps:
            values[i] = step(values[i])
        return values

    return process


def _processor(table: Table, name: str, dialect: Dialect) -> Processor | None:
    column_type = table.c[name].type
    if isinstance(column_type, LargeBinary):
        return None
    processor: Processor | None = column_type.bind_processor(dialect)
    return processor
