"""The device API in OpenAPI: metro gates, bus validators and taxi meters post here.

In production `DeviceEdge` (gates/edge.py) answers these two routes before FastAPI
routes them; these handlers call the same `serve_device_post` and serve the routes
where that middleware is not installed.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from gates.edge import MAX_BODY_BYTES, Reply, Route, serve_device_post
from gates.schemas import TapAccepted, TapCreate, TaxiTripCreate
from gates.service import TapDesk

__all__ = ["router"]

router = APIRouter(prefix="/v1/devices", tags=["devices"])

_ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"model": TapAccepted, "description": "recorded (or replayed: Idempotent-Replayed)"},
    401: {"description": "missing or wrong device token"},
    403: {"description": "not this device's station, or the rider is blocked"},
    404: {"description": "no such device"},
    409: {"description": "the event_id was used for a different request"},
    413: {"description": f"body larger than {MAX_BODY_BYTES} bytes"},
    415: {"description": "the body is not sent as application/json"},
    422: {"description": "the body or the tap makes no sense; the detail says why"},
    503: {"description": "the tap store is unreachable; resend with the same event_id"},
}


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    # The handlers read the raw body (to share serve_device_post with DeviceEdge), so the
    # request schema is declared here; the device models have no nested models.
    schema = model.model_json_schema()
    assert "$defs" not in schema, "nested models would need their schemas in components"
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def _serve(request: Request, route: Route, device_id: str) -> Response:
    desk: TapDesk = request.app.state.tap_desk
    authorization = request.headers.get("authorization")
    try:
        body = await request.body()
    except ClientDisconnect:
        return Response(status_code=499)  # never sent: the client is gone
    content_type = request.headers.get("content-type")
    reply: Reply = await serve_device_post(
        desk, route, device_id, authorization, body, content_type
    )
    return Response(
        orjson.dumps(reply.document), reply.status, reply.headers, media_type=reply.media_type
    )


@router.post(
    "/{device_id}/taps",
    status_code=202,
    responses=_ANSWERS,
    openapi_extra=_documented(TapCreate),
)
async def post_tap(device_id: str, request: Request) -> Response:
    return await _serve(request, "taps", device_id)


@router.post(
    "/{device_id}/trips",
    status_code=202,
    responses=_ANSWERS,
    openapi_extra=_documented(TaxiTripCreate),
)
async def post_taxi_trip(device_id: str, request: Request) -> Response:
    return await _serve(request, "trips", device_id)
