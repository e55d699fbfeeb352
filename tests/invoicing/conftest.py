"""The running system for the e-invoicing API tests: seeded world, app, real Redis and DB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from farechain.settings import Settings
from tests.builders import make_settings, make_world

System = tuple[TestClient, dict[str, Any], Settings]


@pytest.fixture
def system(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> Iterator[System]:
    settings = make_settings(var_dir, database_url, redis_url)
    credentials = make_world(engine, redis_client, settings, riders=6)
    from farechain.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client, credentials, settings
