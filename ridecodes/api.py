"""The rider's phones under `/v1/me/phones`, and the issuer key set gates fetch.

The app factory puts the issuing configuration (`ridecodes.service.Issuing`) on
`app.state.ride_code_issuing`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from gates.registry import revoke_serials
from plumbing.deps import RedisDep, SessionDep
from ridecodes import keyfiles, service
from ridecodes.schemas import (
    CertificatePublic,
    IssuerKeysPublic,
    PhoneCreate,
    PhonePublic,
)
from ridecodes.service import Issuing
from ridecodes.wire import Certificate, b64url
from trips.deps import RiderDep

__all__ = ["router"]

router = APIRouter(tags=["ride codes"])


def _issuing(request: Request) -> Issuing:
    issuing: Issuing = request.app.state.ride_code_issuing
    return issuing


IssuingDep = Annotated[Issuing, Depends(_issuing)]


def _public(phone_id: str, certificate: Certificate) -> CertificatePublic:
    return CertificatePublic(
        phone_id=phone_id,
        certificate=b64url(certificate.to_bytes()),
        valid_until=datetime.fromtimestamp(certificate.valid_until, UTC),
        issuer_key_id=certificate.issuer_key_id.hex(),
    )


@router.post("/v1/me/phones", status_code=201, response_model=CertificatePublic)
def enrol_phone(
    body: PhoneCreate, rider: RiderDep, session: SessionDep, issuing: IssuingDep
) -> CertificatePublic:
    """Enrol the phone's Ed25519 public key; answers its first certificate."""
    phone, certificate = service.enrol_phone(
        session,
        rider_id=rider.id,
        category=rider.category,
        public_key=service.parse_phone_key(body.public_key),
        label=body.label,
        issuing=issuing,
        now=datetime.now(UTC),
    )
    return _public(phone.id, certificate)


@router.post("/v1/me/phones/{phone_id}/certificate", response_model=CertificatePublic)
def renew_certificate(
    phone_id: str, rider: RiderDep, session: SessionDep, issuing: IssuingDep
) -> CertificatePublic:
    """A fresh certificate for an enrolled phone (refused once the phone is revoked)."""
    phone, certificate = service.renew_certificate(
        session,
        rider_id=rider.id,
        category=rider.category,
        phone_id=phone_id,
        issuing=issuing,
        now=datetime.now(UTC),
    )
    return _public(phone.id, certificate)


@router.get("/v1/me/phones", response_model=list[PhonePublic])
def list_phones(rider: RiderDep, session: SessionDep) -> list[PhonePublic]:
    return [
        PhonePublic(
            phone_id=phone.id,
            label=phone.label,
            public_key=b64url(phone.public_key),
            enrolled_at=phone.enrolled_at,
            revoked_at=phone.revoked_at,
            valid_until=until,
        )
        for phone, until in service.list_phones(session, rider_id=rider.id)
    ]


@router.delete("/v1/me/phones/{phone_id}", status_code=204)
async def revoke_phone(
    phone_id: str, rider: RiderDep, session: SessionDep, redis: RedisDep
) -> Response:
    """Revoke a lost phone: every gate refuses its codes from this answer on."""
    revoked = await run_in_threadpool(
        service.revoke_phone, session, rider_id=rider.id, phone_id=phone_id, now=datetime.now(UTC)
    )
    await revoke_serials(redis, revoked)
    return Response(status_code=204)


@router.get("/v1/ride-codes/issuer-keys", response_model=IssuerKeysPublic)
def issuer_keys(issuing: IssuingDep, response: Response) -> IssuerKeysPublic:
    """Every issuer key a gate accepts (retired ones until their certificates expire)."""
    response.headers["Cache-Control"] = "public, max-age=60"
    document = keyfiles.load_key_set(issuing.set_path).to_document()
    return IssuerKeysPublic.model_validate(
        {**document, "window_s": issuing.window_s, "max_span_s": issuing.max_span_s}
    )
