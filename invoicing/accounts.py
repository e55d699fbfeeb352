"""Accounts that sign in to e-invoicing besides riders: buyer companies and tax officers.

A token is `<account id>.<random secret>`, like a rider's; only its SHA-256 is stored,
so a token exists in clear only when it is made. A company's account id is its unified
social credit code, checked per GB 32100-2015: it signs in *as* that buyer tax ID.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from invoicing.errors import CompanyNotFound
from invoicing.models import Company, TaxOfficer
from invoicing.parties import company_title
from invoicing.text import check_text
from plumbing import tokens

__all__ = ["issue_company_token", "register_company", "register_officer", "revoke_company_token"]


def _new_token(account_id: str) -> str:
    return tokens.make_token(account_id, secrets.token_urlsafe(24))


def register_company(
    session: Session,
    *,
    tax_id: str,
    name: str,
    lifetime: timedelta = tokens.COMPANY_TOKEN_LIFETIME,
) -> str:
    """Add a company account (no commit); returns its token, shown this once."""
    party = company_title(name, tax_id)
    token = _new_token(tax_id)
    session.add(
        Company(
            tax_id=tax_id,
            name=party.name,
            token_sha256=tokens.hash_token(token),
            token_expires_at=datetime.now(UTC) + lifetime,
        )
    )
    return token


def issue_company_token(
    session: Session,
    tax_id: str,
    now: datetime,
    lifetime: timedelta = tokens.COMPANY_TOKEN_LIFETIME,
) -> str:
    """A new token for the company (the old one stops); commits."""
    company = _company(session, tax_id)
    token = _new_token(tax_id)
    company.token_sha256, company.token_expires_at = tokens.hash_token(token), now + lifetime
    session.add(company)
    session.commit()
    return token


def revoke_company_token(session: Session, tax_id: str, now: datetime) -> None:
    """The company's token stops signing in at once; commits."""
    company = _company(session, tax_id)
    company.token_sha256, company.token_expires_at = tokens.REVOKED, now
    session.add(company)
    session.commit()


def _company(session: Session, tax_id: str) -> Company:
    company = session.get(Company, tax_id)
    if company is None:
        raise CompanyNotFound(f"no company {tax_id!r}")
    return company


def register_officer(session: Session, *, officer_id: str, name: str) -> str:
    """Add a tax bureau account (no commit); returns its token, shown this once."""
    check_text("officer name", name)
    if not officer_id or "." in officer_id:
        raise ValueError(f"expected an officer id without '.', got {officer_id!r}")
    token = _new_token(officer_id)
    session.add(TaxOfficer(id=officer_id, name=name, token_sha256=tokens.hash_token(token)))
    return token
