"""Tamper on a real ledger: each mutation of a table the ledger vouches for is caught."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from farechain.settings import Settings
from securityaudit.tamper import run_tamper
from tests.builders import make_batcher, post_trips

CAUGHT_TODAY = ("ledger_records.", "merkle_nodes.", "blocks.", "ledger_head.", "trips.", "charges.")


def test_a_byte_changed_in_the_ledger_or_its_rows_fails_verify(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
    database_url: str,
    tmp_path: Path,
) -> None:
    if not database_url.startswith("sqlite:///"):
        pytest.skip("the tamper copies are SQLite files")
    client, credentials, settings = system
    post_trips(client, credentials, 6)
    assert make_batcher(engine, redis_client, settings).drain() == 6
    result = run_tamper(
        Path(database_url.removeprefix("sqlite:///")),
        settings.var_dir,
        tmp_path,
        every_column=False,
    )
    assert not any(f.startswith("the untouched copy") for f in result.failures), result.failures
    assert [f for f in result.failures if f.startswith(CAUGHT_TODAY)] == []
    assert result.held >= len(CAUGHT_TODAY)
    assert not list(tmp_path.glob("tampered-*")), "each copy is removed after its verify"
