"""FastAPI dependencies of e-invoicing: who is asking, as a lifecycle actor.

Riders sign in as in the rest of the API (`farechain.deps.RiderDep`); companies and tax
officers send `Authorization: Bearer <account id>.<secret>` (see `invoicing.accounts`).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from farechain.deps import RiderDep, SessionDep
from invoicing.accounts import hash_token
from invoicing.errors import NotAuthenticated
from invoicing.lifecycle import CompanyActor, RiderActor, TaxBureauActor
from invoicing.models import Company, TaxOfficer

__all__ = [
    "CompanyDep",
    "RiderActorDep",
    "TaxOfficerDep",
    "company_actor",
    "rider_actor",
    "tax_bureau_actor",
    "tax_officer",
]

_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _token(credentials: Credentials, who: str) -> tuple[str, bytes]:
    if credentials is None:
        raise NotAuthenticated(f"send the {who} token as 'Authorization: Bearer <token>'")
    token = credentials.credentials
    return token.split(".", 1)[0], hash_token(token)


def company_actor(session: SessionDep, credentials: Credentials) -> CompanyActor:
    tax_id, digest = _token(credentials, "company")
    company = session.get(Company, tax_id)
    if company is None or not hmac.compare_digest(digest, company.token_sha256):
        raise NotAuthenticated("expected a company token, got an unknown one")
    return CompanyActor(company.tax_id)


def tax_officer(session: SessionDep, credentials: Credentials) -> TaxOfficer:
    officer_id, digest = _token(credentials, "tax bureau")
    officer = session.get(TaxOfficer, officer_id)
    if officer is None or not hmac.compare_digest(digest, officer.token_sha256):
        raise NotAuthenticated("expected a tax bureau token, got an unknown one")
    return officer


def rider_actor(rider: RiderDep) -> RiderActor:
    return RiderActor(rider.id)


def tax_bureau_actor(officer: Annotated[TaxOfficer, Depends(tax_officer)]) -> TaxBureauActor:
    return TaxBureauActor()


CompanyDep = Annotated[CompanyActor, Depends(company_actor)]
TaxOfficerDep = Annotated[TaxOfficer, Depends(tax_officer)]
RiderActorDep = Annotated[RiderActor, Depends(rider_actor)]
