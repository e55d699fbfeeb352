"""The PostgreSQL server an engine talks to, when it runs on this machine, and its CPU.

The load test and `bench batcher` report the server's CPU apart from ours: on two cores
it is a share of the machine of its own, and without it the figures could only call it
"the rest of the machine". The server is found through the engine's own connection (its
backend's parent is the postmaster), so a second cluster on another port, or any other
PostgreSQL on the machine, is not mistaken for it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os

import psutil
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from storage.engine import is_postgres

__all__ = ["cpu_seconds", "is_local", "server_pid"]


def server_pid(engine: Engine) -> int | None:
    """The postmaster's pid; None for another database, or a server on another host."""
    if not is_postgres(engine) or not is_local(engine.url):
        return None
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # Read while the connection holds the backend: it exits when the connection ends.
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(backend)
            if process.name() == "postgres":
                return process.ppid()
    return None


def is_local(url: URL) -> bool:
    """Whether libpq would reach the server of `url` on this machine.

    The host comes from the URL, its `host` query parameter or PGHOST, as libpq takes
    it; none of them means the default Unix socket, and a path is a socket too.
    """
    query_host = url.query.get("host")
    host = url.host or (query_host if isinstance(query_host, str) else None)
    host = host or os.environ.get("PGHOST")
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost: assume another machine


def cpu_seconds(postmaster: int) -> float:
    """User and system CPU seconds of the postmaster and every process it runs now.

    A process that ends between two readings (an autovacuum worker, say) takes its CPU
    with it: the difference of two readings is a floor.
    """
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(postmaster)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
    return total
