"""The verification benchmark runs against a real server and counts every answer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis
import uvicorn
from sqlalchemy import Engine

from bench.invoice_api import run_verification_bench
from farechain.app import create_app
from invoicing.ratelimit import VerifyLimits
from tests.invoicing.api_builders import RIDER_A, RIDER_B, invoice_trips
from tests.invoicing.conftest import System


@pytest.fixture
def server(system: System) -> Iterator[str]:
    _, _, settings = system
    app = create_app(settings)
    app.state.verify_limits = VerifyLimits(per_invoice=10**6, per_client=10**6)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=20)


def test_the_bench_verifies_real_invoices(
    system: System, engine: Engine, redis_client: redis.Redis, server: str
) -> None:
    client, creds, settings = system
    invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A, RIDER_B])
    result = run_verification_bench(server, 40, tax_token=creds["tax_bureau"]["token"], threads=4)
    assert result["valid"] == 40
    assert result["invalid"] == result["limited"] == result["errors"] == 0
    assert result["requests_per_s"] > 0 and 0 < result["p50_ms"] <= result["p99_ms"]
