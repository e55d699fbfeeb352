"""Finding the PostgreSQL server an engine talks to, and counting its CPU."""

from __future__ import annotations

import threading
import time

import psutil
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from loadtest.pgserver import cpu_seconds, is_local, server_pid
from loadtest.sampler import _CpuMeter
from storage.engine import is_postgres


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("postgresql+psycopg://u@127.0.0.1:5433/db", True),
        ("postgresql+psycopg://u@localhost/db", True),
        ("postgresql+psycopg://u@[::1]:5432/db", True),
        ("postgresql+psycopg://u@127.0.0.2/db", True),
        ("postgresql+psycopg://u@/db?host=/var/run/postgresql", True),
        ("postgresql+psycopg://u@/db", True),  # libpq's default Unix socket
        ("postgresql+psycopg://u@/db?host=db.example", False),
        ("postgresql+psycopg://u@db.example:5432/db", False),
        ("postgresql+psycopg://u@10.0.0.5/db", False),
    ],
)
def test_which_urls_reach_this_machine(
    url: str, local: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGHOST", raising=False)
    assert is_local(make_url(url)) is local


def test_pghost_counts_when_the_url_names_no_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "db.example")
    assert not is_local(make_url("postgresql+psycopg://u@/db"))
    assert is_local(make_url("postgresql+psycopg://u@127.0.0.1/db"))


def test_sqlite_and_a_server_elsewhere_have_no_process_here() -> None:
    assert server_pid(create_engine("sqlite://")) is None
    # Not even a connection is tried: the host is not this machine.
    elsewhere = create_engine("postgresql+psycopg://u@db.invalid:5432/db")
    assert server_pid(elsewhere) is None


def test_the_servers_cpu_is_counted_while_it_works(engine: Engine) -> None:
    if not is_postgres(engine):
        pytest.skip("needs DATABASE_URL naming a PostgreSQL server on this machine")
    postmaster = server_pid(engine)
    assert postmaster is not None
    assert psutil.Process(postmaster).name() == "postgres"
    meter = _CpuMeter({"postgres": [postmaster]}, rescan_s=0.0)
    began = cpu_seconds(postmaster)
    # A query that keeps one backend busy for a few seconds, in a backend that is not
    # the fixture's: the meter finds it among the postmaster's children when it rescans.
    worker = threading.Thread(target=_busy_query, args=(engine,))
    worker.start()
    try:
        _wait_until_running(engine)
        meter.read()
        time.sleep(0.6)
        assert meter.read()["postgres"] > 30
    finally:
        worker.join()
    assert cpu_seconds(postmaster) - began > 0.5


def _wait_until_running(engine: Engine) -> None:
    # The meter's first reading must already see the busy backend: psutil measures a
    # process's CPU from the first time it is read, so one found later reads 0 at first.
    deadline = time.monotonic() + 10
    query = text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT sum(i)%'")
    # Autocommit: PostgreSQL keeps one pg_stat_activity snapshot per transaction, so
    # polls inside one transaction would never see a query that began after the first.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        while not connection.execute(query).scalar_one():
            assert time.monotonic() < deadline, "the busy query never started"
            time.sleep(0.05)


def _busy_query(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT sum(i) FROM generate_series(1, 30000000) AS i"))
