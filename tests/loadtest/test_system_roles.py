"""Which processes the load test's sampler counts as Redis and as PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, text

from farechain.db import normalise_url
from farechain.redis_server import EmbeddedRedis
from loadtest.system import _roles


def test_the_embedded_redis_is_known_by_its_process_and_a_machines_by_its_port(
    tmp_path: Path,
) -> None:
    ours, other = EmbeddedRedis(tmp_path / "ours"), EmbeddedRedis(tmp_path / "other")
    ours.start()
    other.start()
    try:
        # Its URL is a Unix socket's, with no port in it: the process is what tells.
        assert ours.url.startswith("unix://")
        assert _roles(os.getpid(), ours.url, ours) == {"redis": [ours.pid]}
        # A Redis named by a TCP URL is found by its port, and only that one.
        assert _roles(os.getpid(), other.tcp_url, None) == {"redis": [other.pid]}
        # A Unix socket URL of a server we did not start: nothing to sample.
        assert _roles(os.getpid(), other.url, None) == {}
    finally:
        ours.stop()
        other.stop()


def test_a_local_postgresql_is_known_by_its_postmaster(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs DATABASE_URL naming a PostgreSQL server on this machine")
    roles = _roles(os.getpid(), "unix:///nowhere.sock", None, database_url)
    assert list(roles) == ["postgres"]
    for pid in roles["postgres"]:
        server = psutil.Process(pid)
        assert server.name() == "postgres"
        assert psutil.Process(server.ppid()).name() != "postgres"
    # Its backends are the postmaster's children: ours is among them.
    engine = create_engine(normalise_url(database_url))
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert psutil.Process(backend).ppid() in roles["postgres"]
    engine.dispose()


def test_no_postgres_role_for_sqlite_or_another_host() -> None:
    assert _roles(os.getpid(), "unix:///nowhere.sock", None, "sqlite:///x.db") == {}
    remote = "postgresql://postgres@db.example:5432/farechain"
    assert _roles(os.getpid(), "unix:///nowhere.sock", None, remote) == {}
