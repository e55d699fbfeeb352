"""FastAPI dependencies every domain's routes share: the session and the Redis client.

The app factory puts the engine and the client on `app.state` in its lifespan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request
from sqlalchemy.orm import Session

__all__ = ["RedisDep", "SessionDep"]


def _session(request: Request) -> Iterator[Session]:
    # No commit here: a dependency's teardown runs after the response is sent.
    with Session(request.app.state.engine) as session:
        yield session


def _redis(request: Request) -> aioredis.Redis:
    client: aioredis.Redis = request.app.state.redis
    return client


SessionDep = Annotated[Session, Depends(_session)]
RedisDep = Annotated[aioredis.Redis, Depends(_redis)]
