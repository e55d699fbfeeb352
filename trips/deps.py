"""FastAPI dependencies of the rider's routes: the signed-in rider, as a row and as an
invoicing actor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends

from invoicing.lifecycle import RiderActor
from plumbing.deps import SessionDep
from plumbing.tokens import BearerDep, token_id, token_refusal
from trips.errors import RiderNotAuthenticated
from trips.models import Rider

__all__ = ["RiderActorDep", "RiderDep", "rider_actor"]


def _rider(session: SessionDep, bearer: BearerDep) -> Rider:
    if bearer is None:
        raise RiderNotAuthenticated("send the rider token as 'Authorization: Bearer <token>'")
    rider = session.get(Rider, token_id(bearer))
    if rider is None:
        raise RiderNotAuthenticated("unknown rider token")
    refusal = token_refusal(bearer, rider.token_sha256, rider.token_expires_at, datetime.now(UTC))
    if refusal is not None:
        raise RiderNotAuthenticated(f"rider token refused: {refusal}")
    return rider


RiderDep = Annotated[Rider, Depends(_rider)]


def rider_actor(rider: RiderDep) -> RiderActor:
    return RiderActor(rider.id)


RiderActorDep = Annotated[RiderActor, Depends(rider_actor)]
