"""Throw-away databases and Redis servers for the stage benchmarks.

SQLite: a file under the bench's work directory. PostgreSQL: a database of its own,
created on the server that `admin_url` reaches and dropped afterwards, so a benchmark
never touches data it did not make.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.engine import normalise_url
from storage.redis_server import EmbeddedRedis

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def bench_database(kind: str, workdir: Path, admin_url: str = DEFAULT_POSTGRES) -> Iterator[str]:
    """Yield the URL of an empty database of `kind` (sqlite or postgresql)."""
    if kind == "sqlite":
        path = workdir / f"bench-{secrets.token_hex(3)}.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if kind != "postgresql":
        raise ValueError(f"expected sqlite or postgresql, got {kind!r}")
    name = f"farechain_bench_{secrets.token_hex(4)}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(normalise_url(admin_url)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def bench_redis(workdir: Path) -> Iterator[str]:
    """An embedded Redis of the bench's own (AOF on, as in production)."""
    server = EmbeddedRedis(workdir / f"redis-{secrets.token_hex(3)}")
    try:
        yield server.start()
    finally:
        server.stop()
