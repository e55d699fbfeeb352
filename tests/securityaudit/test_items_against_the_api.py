"""Corpus items and access probes against the real API, served over HTTP in a thread.

One item known to hold (a negative ledger index is a 422 problem), one known to fail (a
request the API rightly answers 200 is no refusal), and an access probe that holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import uvicorn
from sqlalchemy import Engine

from farechain.app import create_app
from loadtest.system import free_port
from securityaudit.access import REFUSED
from securityaudit.corpus_http import AllowHeader, Refusal
from securityaudit.http import call
from securityaudit.outcome import GroupResult
from tests.builders import make_settings, make_world


@pytest.fixture
def served(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    settings = make_settings(var_dir, database_url, redis_url)
    credentials = make_world(engine, redis_client, settings, riders=3)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start in 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", credentials
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_corpus_item_holds_when_the_api_refuses_with_a_problem(
    served: tuple[str, dict[str, Any]],
) -> None:
    base, _ = served
    result = GroupResult("corpus")
    Refusal("a negative record index", lambda: call("GET", f"{base}/v1/ledger/records/-1"))(result)
    assert (result.held, result.failures) == (1, [])


def test_a_corpus_item_fails_when_the_api_accepts_it(served: tuple[str, dict[str, Any]]) -> None:
    base, _ = served
    result = GroupResult("corpus")
    Refusal("the log's key", lambda: call("GET", f"{base}/v1/ledger/key"))(result)
    assert result.held == 0
    assert result.failures[0].startswith("the log's key: expected a 4xx problem, got 200")


def test_a_405_item_reads_the_allow_header(served: tuple[str, dict[str, Any]]) -> None:
    base, _ = served
    result = GroupResult("corpus")
    AllowHeader(base, "DELETE", "/v1/ledger/checkpoint")(result)
    answer = call("DELETE", f"{base}/v1/ledger/checkpoint")
    assert answer.status == 405
    assert result.held == (1 if answer.headers.get("allow") else 0)
    assert result.tried == 1


def test_another_riders_token_cannot_read_a_riders_account(
    served: tuple[str, dict[str, Any]],
) -> None:
    base, credentials = served
    rider_b = credentials["riders"][1]["token"]
    # The rider's own screen answers; a forged token and no token are refused.
    assert call("GET", f"{base}/v1/me", token=rider_b).status == 200
    assert call("GET", f"{base}/v1/me", token=rider_b + "x").status in REFUSED
    assert call("GET", f"{base}/v1/me").status in REFUSED
    tax = call("GET", f"{base}/v1/tax/invoices", token=rider_b)
    assert tax.status in REFUSED
