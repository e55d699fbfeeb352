"""Accounts that sign in to e-invoicing besides riders: buyer companies and tax officers.

A token is `<account id>.<random secret>`, like a rider's; only its SHA-256 is stored,
so a token exists in clear only when it is made. A company's account id is its unified
social credit code, checked per GB 32100-2015: it signs in *as* that buyer tax ID.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from invoicing.models import Company, TaxOfficer
from invoicing.parties import company_title
from invoicing.text import check_text
from plumbing import tokens

__all__ = ["register_company", "register_officer"]


def _new_token(account_id: str) -> str:
    return tokens.make_token(account_id, secrets.token_urlsafe(24))


def register_company(session: Session, *, tax_id: str, name: str) -> str:
    """Add a company account (no commit); returns its token, shown this once."""
    party = company_title(name, tax_id)
    token = _new_token(tax_id)
    session.add(Company(tax_id=tax_id, name=party.name, token_sha256=tokens.hash_token(token)))
    return token


def register_officer(session: Session, *, officer_id: str, name: str) -> str:
    """Add a tax bureau account (no commit); returns its token, shown this once."""
    check_text("officer name", name)
    if not officer_id or "." in officer_id:
        raise ValueError(f"expected an officer id without '.', got {officer_id!r}")
    token = _new_token(officer_id)
    session.add(TaxOfficer(id=officer_id, name=name, token_sha256=tokens.hash_token(token)))
    return token
