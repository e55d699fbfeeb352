"""The event loops the device edge's asyncio code is tested on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest
import uvloop

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
