"""A rider's invoice titles (发票抬头): add, list, remove, and choose the default.

A title is an individual (a name) or a company (a name and a unified social credit code
checked per GB 32100-2015 before it is stored: a wrong check character is an
`InvalidTaxId` that names the expected one). Where the code is a registered company's,
the name must be the registered one (a `CompanyNameMismatch` names both); the comparison
ignores full- against half-width forms and spaces, and the title takes the registered
spelling (half-width brackets typed, the registered full-width ones stored). The default
title is the buyer of the rider's later trips: the batcher reads it with
`invoicing.issue.default_buyers`; a rider without one buys as an individual.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.errors import CompanyNameMismatch, InvalidInvoiceData, TitleNotFound
from invoicing.issue import Buyer
from invoicing.models import Company, InvoiceTitle
from invoicing.parties import company_title, individual_title

__all__ = [
    "MAX_TITLES",
    "add_title",
    "buyer_of",
    "check_title",
    "get_title",
    "list_titles",
    "remove_title",
    "set_default",
]

MAX_TITLES = 20


def add_title(
    session: Session,
    *,
    rider_id: str,
    kind: str,
    name: str,
    tax_id: str | None,
    make_default: bool,
    now: datetime,
) -> InvoiceTitle:
    """Check and store a title; commits."""
    buyer = check_title(session, kind, name, tax_id)
    count = session.scalar(
        select(func.count()).select_from(InvoiceTitle).where(col(InvoiceTitle.rider_id) == rider_id)
    )
    if (count or 0) >= MAX_TITLES:
        raise InvalidInvoiceData(f"expected at most {MAX_TITLES} titles per rider, got {count}")
    if make_default:
        _clear_default(session, rider_id)
    title = InvoiceTitle(
        rider_id=rider_id,
        kind=buyer.kind,
        name=buyer.name,
        tax_id=buyer.tax_id,
        is_default=make_default,
        created_at=now,
    )
    session.add(title)
    session.commit()
    session.refresh(title)
    return title


def check_title(session: Session, kind: str, name: str, tax_id: str | None) -> Buyer:
    """The buyer a title names; raises `InvalidTaxId`, `CompanyNameMismatch` or
    `InvalidInvoiceData` if it cannot be."""
    if kind == "company":
        if tax_id is None:
            raise InvalidInvoiceData("expected a tax_id for a company title, got none")
        party = company_title(name, tax_id)
        registered = session.get(Company, party.tax_id)
        if registered is not None:
            if _comparable(registered.name) != _comparable(party.name):
                raise CompanyNameMismatch(
                    tax_id=tax_id, name=party.name, registered_name=registered.name
                )
            party = company_title(registered.name, tax_id)
    elif kind == "individual":
        if tax_id is not None:
            raise InvalidInvoiceData(f"expected no tax_id for an individual, got {tax_id!r}")
        party = individual_title(name)
    else:
        raise InvalidInvoiceData(f"expected kind 'individual' or 'company', got {kind!r}")
    return Buyer(kind, party.name, party.tax_id)


def list_titles(session: Session, rider_id: str) -> list[InvoiceTitle]:
    query = select(InvoiceTitle).where(col(InvoiceTitle.rider_id) == rider_id)
    return list(session.scalars(query.order_by(col(InvoiceTitle.id))))


def get_title(session: Session, rider_id: str, title_id: int) -> InvoiceTitle:
    title = session.get(InvoiceTitle, title_id)
    if title is None or title.rider_id != rider_id:
        raise TitleNotFound(f"expected one of your titles, got no title {title_id}")
    return title


def set_default(session: Session, rider_id: str, title_id: int | None) -> InvoiceTitle | None:
    """Make `title_id` the default (None: buy as an individual again); commits."""
    title = None if title_id is None else get_title(session, rider_id, title_id)
    _clear_default(session, rider_id)
    if title is not None:
        title.is_default = True
        session.add(title)
    session.commit()
    if title is not None:
        session.refresh(title)
    return title


def remove_title(session: Session, rider_id: str, title_id: int) -> None:
    """Delete a title; invoices already issued keep the buyer they were issued to."""
    session.delete(get_title(session, rider_id, title_id))
    session.commit()


def buyer_of(title: InvoiceTitle) -> Buyer:
    return Buyer(title.kind, title.name, title.tax_id)


def _comparable(name: str) -> str:
    # NFKC folds full-width forms into half-width ones: brackets typed either way match.
    return "".join(unicodedata.normalize("NFKC", name).split())


def _clear_default(session: Session, rider_id: str) -> None:
    session.execute(
        update(InvoiceTitle)
        .where(col(InvoiceTitle.rider_id) == rider_id, col(InvoiceTitle.is_default))
        .values(is_default=False)
    )
