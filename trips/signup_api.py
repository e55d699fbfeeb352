"""Rider self-registration routes (no token needed):

    POST /v1/signup/code   {"phone"}          202: a code is on its way (the demo logs it)
    POST /v1/signup        {"phone", "code"}  201 {"rider_id", "token", "created"}

The new rider's standing is published to the edge at once, so the first tap is accepted.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from gates import keys
from plumbing.deps import RedisDep, SessionDep
from trips import signup

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/signup", tags=["rider sign-up"])


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=11, max_length=20)


class CodeSent(BaseModel):
    phone: str
    expires_in_s: int


class SignupCreate(CodeRequest):
    code: str = Field(pattern=r"^[0-9]{6}$")


class SignupPublic(BaseModel):
    rider_id: str
    token: str
    created: bool


@router.post("/code", response_model=CodeSent, status_code=202)
async def request_code(body: CodeRequest, client: RedisDep) -> CodeSent:
    phone = signup.normalise_phone(body.phone)
    code = await signup.send_code(client, phone)
    # The demo has no SMS gateway: the code goes to the server log instead.
    log.warning("sign-up code for %s******%s: %s (demo: no SMS sent)", phone[:3], phone[-2:], code)
    return CodeSent(phone=phone, expires_in_s=signup.CODE_TTL_S)


@router.post("", response_model=SignupPublic, status_code=201)
async def sign_up(
    body: SignupCreate, request: Request, client: RedisDep, session: SessionDep
) -> SignupPublic:
    phone = signup.normalise_phone(body.phone)
    await signup.redeem_code(client, phone, body.code)
    registration = signup.register_rider(session, phone, request.app.state.rider_token_lifetime)
    if registration.created:  # a returning rider keeps the standing the edge has
        await client.hset(keys.RIDERS, registration.rider_id, "ok")
    return SignupPublic(**vars(registration))
