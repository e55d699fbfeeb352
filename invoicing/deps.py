"""FastAPI dependencies of e-invoicing: who is asking, as a lifecycle actor.

Companies and tax officers send `Authorization: Bearer <account id>.<secret>` (see
`invoicing.accounts`); riders sign in through `trips.deps`, whose routes hold the
rider's invoice actions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends

from invoicing.errors import NotAuthenticated
from invoicing.lifecycle import CompanyActor, TaxBureauActor
from invoicing.models import Company, TaxOfficer
from plumbing.deps import SessionDep
from plumbing.tokens import BearerDep, token_id, token_matches, token_refusal

__all__ = ["CompanyDep", "TaxOfficerDep", "company_actor", "tax_bureau_actor", "tax_officer"]


def _token(token: str | None, who: str) -> str:
    if token is None:
        raise NotAuthenticated(f"send the {who} token as 'Authorization: Bearer <token>'")
    return token


def company_actor(session: SessionDep, bearer: BearerDep) -> CompanyActor:
    token = _token(bearer, "company")
    company = session.get(Company, token_id(token))
    if company is None:
        raise NotAuthenticated("expected a company token, got an unknown one")
    refusal = token_refusal(
        token, company.token_sha256, company.token_expires_at, datetime.now(UTC)
    )
    if refusal is not None:
        raise NotAuthenticated(f"company token refused: {refusal}")
    return CompanyActor(company.tax_id)


def tax_officer(session: SessionDep, bearer: BearerDep) -> TaxOfficer:
    token = _token(bearer, "tax bureau")
    officer = session.get(TaxOfficer, token_id(token))
    if officer is None or not token_matches(token, officer.token_sha256):
        raise NotAuthenticated("expected a tax bureau token, got an unknown one")
    return officer


def tax_bureau_actor(officer: Annotated[TaxOfficer, Depends(tax_officer)]) -> TaxBureauActor:
    return TaxBureauActor()


CompanyDep = Annotated[CompanyActor, Depends(company_actor)]
TaxOfficerDep = Annotated[TaxOfficer, Depends(tax_officer)]
