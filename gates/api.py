"""The device API: metro gates, bus validators and taxi meters post here.

Two doors lead to one handler, `serve_device_post`. `DeviceEdge`, an ASGI middleware,
answers the two device routes before FastAPI routes them: at 2,000 taps/s py-spy showed
FastAPI's routing, dependency solving and response classes taking over half of an API
worker's CPU per tap, for a request whose whole work is one Redis script. The FastAPI
routes below describe the same endpoints in OpenAPI and serve them where the middleware
is not installed; the device API tests run through both.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from farechain.problems import (
    MEDIA_TYPE,
    RETRY_SOON,
    invalid_request,
    problem_document,
    unavailable_store,
)
from gates.errors import DeviceUnauthorized, GateError
from gates.schemas import Ident, TapAccepted, TapCreate, TaxiTripCreate
from gates.service import TapDesk

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/devices", tags=["devices"])

Route = Literal["taps", "trips"]
_ROUTE_PATH = re.compile(r"/v1/devices/([^/]+)/(taps|trips)")
_DEVICE_ID: TypeAdapter[str] = TypeAdapter(Ident)
_JSON = "application/json"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    document: dict[str, Any]
    headers: dict[str, str]

    @property
    def media_type(self) -> str:
        return _JSON if self.status < 400 else MEDIA_TYPE


async def serve_device_post(
    desk: TapDesk, route: Route, device_id: str, authorization: str | None, body: bytes
) -> Reply:
    """One tap (`taps`) or taxi meter report (`trips`), from raw request parts to a reply."""
    try:
        token = _bearer_token(authorization)
        device_id = _parsed(_DEVICE_ID.validate_python, device_id, "path", "device_id")
        if route == "taps":
            tap = _parsed(TapCreate.model_validate_json, body, "body")
            accepted, replayed = await desk.record_tap(device_id, token, tap)
        else:
            trip = _parsed(TaxiTripCreate.model_validate_json, body, "body")
            accepted, replayed = await desk.record_taxi_trip(device_id, token, trip)
    except GateError as error:
        document = problem_document(error.status_code, error.title, error.detail)
        return Reply(error.status_code, document, {})
    except _Invalid as invalid:
        return Reply(422, invalid_request(invalid.errors), {})
    except RedisError as error:
        log.warning("Redis failed on a device %s post: %s", route, error)
        return Reply(503, unavailable_store(), RETRY_SOON)
    return Reply(
        202,
        {"event_id": accepted.event_id, "status": accepted.status},
        {"Idempotent-Replayed": "true" if replayed else "false"},
    )


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise DeviceUnauthorized("send the device token as 'Authorization: Bearer <token>'")
    return token


class _Invalid(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _parsed(parse: Callable[[Any], T], raw: object, *where: str) -> T:
    # Errors name their field as FastAPI would (`body.kind`, `path.device_id`), so both
    # doors give the same answers.
    try:
        return parse(raw)
    except ValidationError as error:
        raise _Invalid([{**e, "loc": (*where, *e["loc"])} for e in error.errors()]) from None


class DeviceEdge:
    """ASGI middleware: serves POST /v1/devices/{id}/taps|trips, passes the rest on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = None
        if scope["type"] == "http" and scope["method"] == "POST":
            match = _ROUTE_PATH.fullmatch(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
        body = await _read_body(receive)
        desk: TapDesk = scope["app"].state.tap_desk
        route: Route = "taps" if match[2] == "taps" else "trips"
        reply = await serve_device_post(desk, route, match[1], authorization, body)
        content = orjson.dumps(reply.document)
        headers = [
            (b"content-type", reply.media_type.encode()),
            (b"content-length", str(len(content)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in reply.headers.items()),
        ]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message: Message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _response(reply: Reply) -> Response:
    return Response(
        orjson.dumps(reply.document), reply.status, reply.headers, media_type=reply.media_type
    )


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    # The handlers read the raw body (to share serve_device_post with DeviceEdge), so the
    # request schema is declared here for OpenAPI.
    schema = {"schema": model.model_json_schema(ref_template="#/components/schemas/{model}")}
    return {"requestBody": {"required": True, "content": {_JSON: schema}}}


_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": TapAccepted, "description": "the tap is recorded (or replayed)"}
}


@router.post(
    "/{device_id}/taps", status_code=202, responses=_ACCEPTED, openapi_extra=_documented(TapCreate)
)
async def post_tap(device_id: str, request: Request) -> Response:
    desk: TapDesk = request.app.state.tap_desk
    authorization = request.headers.get("authorization")
    return _response(
        await serve_device_post(desk, "taps", device_id, authorization, await request.body())
    )


@router.post(
    "/{device_id}/trips",
    status_code=202,
    responses=_ACCEPTED,
    openapi_extra=_documented(TaxiTripCreate),
)
async def post_taxi_trip(device_id: str, request: Request) -> Response:
    desk: TapDesk = request.app.state.tap_desk
    authorization = request.headers.get("authorization")
    return _response(
        await serve_device_post(desk, "trips", device_id, authorization, await request.body())
    )
