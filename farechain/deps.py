"""FastAPI dependencies: the session, the Redis client and the authenticated rider."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from farechain.models import Rider


class Unauthenticated(Exception):
    status_code = 401
    title = "Not authenticated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _session(request: Request) -> Iterator[Session]:
    # No commit here: a dependency's teardown runs after the response is sent.
    with Session(request.app.state.engine) as session:
        yield session


def _redis(request: Request) -> aioredis.Redis:
    client: aioredis.Redis = request.app.state.redis
    return client


SessionDep = Annotated[Session, Depends(_session)]
RedisDep = Annotated[aioredis.Redis, Depends(_redis)]
_bearer = HTTPBearer(auto_error=False)


def rider_token(rider_id: str, secret: str) -> str:
    return f"{rider_id}.{secret}"


def _rider(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Rider:
    if credentials is None:
        raise Unauthenticated("send the rider token as 'Authorization: Bearer <token>'")
    token = credentials.credentials
    rider = session.get(Rider, token.split(".", 1)[0])
    digest = hashlib.sha256(token.encode()).digest()
    if rider is None or not hmac.compare_digest(digest, rider.token_sha256):
        raise Unauthenticated("unknown rider token")
    return rider


RiderDep = Annotated[Rider, Depends(_rider)]
