"""The device posts, from raw request parts to a reply, and the ASGI door that serves them.

`serve_device_post` turns a tap or a taxi meter report into a `Reply`; both doors call
it. `DeviceEdge`, an ASGI wrapper, answers POST /v1/devices/{id}/taps|trips before
FastAPI sees them: at 2,000 taps/s py-spy showed FastAPI's routing, dependency solving
and response classes taking over half of an API worker's CPU per tap, and its built-in
telemetry check (environment lookups on every request) another tenth, for a request
whose whole work is one Redis script. The FastAPI routes (gates/api.py) document the same
endpoints in OpenAPI and serve them where the edge is not installed; the device API
tests run through both doors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import orjson
from pydantic import TypeAdapter, ValidationError
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from gates.errors import DeviceUnauthorized
from gates.schemas import Ident, TapCreate, TaxiTripCreate
from gates.service import TapDesk
from plumbing.errors import DomainError
from plumbing.problems import (
    MEDIA_TYPE,
    domain_problem,
    invalid_request,
    problem_document,
    retry_soon,
    unavailable,
)

__all__ = ["MAX_BODY_BYTES", "DeviceEdge", "Reply", "Route", "serve_device_post"]

log = logging.getLogger(__name__)

Route = Literal["taps", "trips"]
# A tap is about 200 bytes; anything near this is not a device talking.
MAX_BODY_BYTES = 16 * 1024

_ROUTE_PATH = re.compile(r"/v1/devices/([^/]+)/(taps|trips)")
_DEVICE_ID: TypeAdapter[str] = TypeAdapter(Ident)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    document: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def media_type(self) -> str:
        return "application/json" if self.status < 400 else MEDIA_TYPE


async def serve_device_post(
    desk: TapDesk,
    route: Route,
    device_id: str,
    authorization: str | None,
    body: bytes,
    content_type: str | None,
) -> Reply:
    """One tap (`taps`) or taxi meter report (`trips`), from raw request parts to a reply."""
    if len(body) > MAX_BODY_BYTES:
        return _too_large()
    if not _is_json(content_type):
        return _not_json(content_type)
    try:
        token = _bearer_token(authorization)
        device_id = _parsed(_DEVICE_ID.validate_python, device_id, "path", "device_id")
        if route == "taps":
            tap = _parsed(TapCreate.model_validate_json, body, "body")
            accepted, replayed = await desk.record_tap(device_id, token, tap)
        else:
            trip = _parsed(TaxiTripCreate.model_validate_json, body, "body")
            accepted, replayed = await desk.record_taxi_trip(device_id, token, trip)
    except DomainError as error:  # the gates' own, and the ride-code check's refusals
        return Reply(error.status_code, domain_problem(error))
    except _Invalid as invalid:
        return Reply(422, invalid_request(invalid.errors))
    except RedisError as error:
        log.warning("Redis failed on a device %s post: %s", route, error)
        detail = "the tap store is unreachable; resend with the same event_id"
        return Reply(503, unavailable(detail), retry_soon())
    return Reply(
        202,
        {"event_id": accepted.event_id, "status": accepted.status},
        {"Idempotent-Replayed": "true" if replayed else "false"},
    )


def _too_large() -> Reply:
    detail = f"a device post is at most {MAX_BODY_BYTES} bytes"
    return Reply(413, problem_document(413, "Request body too large", detail))


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").partition(";")[0].strip().lower()
    return media_type == "application/json"


def _not_json(content_type: str | None) -> Reply:
    # A form or text/plain body is what a browser can send across origins without asking,
    # and no device sends one: refusing it keeps the edge to the one format it documents.
    detail = f"expected Content-Type: application/json, got {content_type or 'none'}"
    return Reply(415, problem_document(415, "Unsupported media type", detail))


def _internal_error() -> Reply:
    detail = "the server failed; resend with the same event_id"
    return Reply(500, problem_document(500, "Internal error", detail))


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise DeviceUnauthorized("send the device token as 'Authorization: Bearer <token>'")
    return token


class _Invalid(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _parsed(parse: Callable[[Any], _T], raw: object, *where: str) -> _T:
    # Errors name their field as FastAPI would (`body.kind`, `path.device_id`), so both
    # doors give the same answers.
    try:
        return parse(raw)
    except ValidationError as error:
        raise _Invalid([{**e, "loc": (*where, *e["loc"])} for e in error.errors()]) from None


class DeviceEdge:
    """ASGI wrapper: serves POST /v1/devices/{id}/taps|trips, passes the rest on.

    It reads the `TapDesk` from `scope["app"].state.tap_desk`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = None
        if scope["type"] == "http" and scope["method"] == "POST":
            match = _ROUTE_PATH.fullmatch(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        authorization = content_type = None
        for name, value in scope["headers"]:
            # The first of each, as Starlette's Headers.get
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"content-type" and content_type is None:
                content_type = value.decode("latin-1")
        try:
            body = await _read_body(receive)
        except _ClientLeft:
            return  # nobody to answer, and a cut-off body is no tap
        if body is None:
            reply = _too_large()
        else:
            route: Route = "taps" if match[2] == "taps" else "trips"
            try:
                desk: TapDesk = scope["app"].state.tap_desk
                reply = await serve_device_post(
                    desk, route, match[1], authorization, body, content_type
                )
            except Exception:  # served outside FastAPI: no error middleware catches it
                log.exception("unhandled error on a device %s post", route)
                reply = _internal_error()
        content = orjson.dumps(reply.document)
        headers = [
            (b"content-type", reply.media_type.encode()),
            (b"content-length", str(len(content)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in reply.headers.items()),
        ]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


class _ClientLeft(Exception):
    pass


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None past MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientLeft
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
