"""The database engine: SQLite under ./var by default, PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session

from storage.private_files import create_private, tighten

__all__ = ["is_postgres", "make_engine", "normalise_url", "snapshot_session"]


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form and use the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _make_private(make_url(url).database)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _make_private(database: str | None) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use the umask's 0644).

    SQLite gives the -wal and -shm files the database file's mode, so those follow.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite will say so, in its words
    if not create_private(path, ""):
        tighten([path, Path(f"{path}-wal"), Path(f"{path}-shm")])


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets API readers run while the batcher writes; NORMAL sync is durable in WAL
    # mode against a process crash, which is the failure we design for on one machine.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextlib.contextmanager
def snapshot_session(engine: Engine) -> Iterator[Session]:
    """A read-only session whose every query sees the same committed state.

    An audit that reads the blocks, then the records, then the projection rows must not
    see a block the batcher committed in between (it would find records past the last
    block it read, or trip records without their rows). PostgreSQL: one REPEATABLE READ
    READ ONLY transaction. SQLite: one explicit read transaction; in WAL mode it reads
    the database as of its first read while the batcher goes on writing.
    """
    with engine.connect() as connection:
        if is_postgres(engine):
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            # pysqlite begins a transaction before writes only: a read needs its own.
            connection.exec_driver_sql("BEGIN")
        try:
            with Session(bind=connection) as session:
                yield session
        finally:
            connection.rollback()
