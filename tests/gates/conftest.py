"""The event loops the device edge's asyncio code is tested on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
import uvloop
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from farechain.app import create_app
from tests.builders import make_settings, make_world

_T = TypeVar("_T")

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


@pytest.fixture(params=[asyncio.new_event_loop, uvloop.new_event_loop], ids=["asyncio", "uvloop"])
def loop_factory(request: pytest.FixtureRequest) -> LoopFactory:
    """Tests run on both loops: uvicorn runs the API on uvloop, whose transports differ."""
    factory: LoopFactory = request.param
    return factory


def in_loop(loop_factory: LoopFactory, scenario: Coroutine[Any, Any, _T]) -> _T:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(scenario)


@pytest.fixture(params=[True, False], ids=["edge", "fastapi"])
def both_doors(
    request: pytest.FixtureRequest,
    engine: Engine,
    redis_client: redis.Redis,
    var_dir: Path,
    database_url: str,
    redis_url: str,
) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """The API over a seeded world, with the device posts served by either door."""
    settings = make_settings(var_dir, database_url, redis_url)
    credentials = make_world(engine, redis_client, settings)
    with TestClient(create_app(settings, device_edge=request.param)) as client:
        yield client, credentials
