"""The device API: metro gates, bus validators and taxi meters post here."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gates.errors import DeviceUnauthorized
from gates.schemas import Ident, TapAccepted, TapCreate, TaxiTripCreate
from gates.service import TapDesk

router = APIRouter(prefix="/v1/devices", tags=["devices"])
_bearer = HTTPBearer(auto_error=False)


# Async dependencies: FastAPI runs a plain `def` dependency in a worker thread, and two
# thread hops per tap cost more CPU than the tap itself.
async def _tap_desk(request: Request) -> TapDesk:
    desk: TapDesk = request.app.state.tap_desk
    return desk


async def _device_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise DeviceUnauthorized("send the device token as 'Authorization: Bearer <token>'")
    return credentials.credentials


TapDeskDep = Annotated[TapDesk, Depends(_tap_desk)]
DeviceTokenDep = Annotated[str, Depends(_device_token)]


def _accepted(accepted: TapAccepted, replayed: bool) -> Response:
    # Built by hand: the tap endpoint is the hottest path, and FastAPI's validation of a
    # returned model would serialise the same two fields a second time.
    return Response(
        content=orjson.dumps({"event_id": accepted.event_id, "status": accepted.status}),
        status_code=202,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true" if replayed else "false"},
    )


_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": TapAccepted, "description": "the tap is recorded (or replayed)"}
}


@router.post("/{device_id}/taps", status_code=202, responses=_ACCEPTED)
async def post_tap(
    device_id: Ident, tap: TapCreate, desk: TapDeskDep, token: DeviceTokenDep
) -> Response:
    return _accepted(*await desk.record_tap(device_id, token, tap))


@router.post("/{device_id}/trips", status_code=202, responses=_ACCEPTED)
async def post_taxi_trip(
    device_id: Ident, trip: TaxiTripCreate, desk: TapDeskDep, token: DeviceTokenDep
) -> Response:
    return _accepted(*await desk.record_taxi_trip(device_id, token, trip))
