"""The tax bureau's reads: invoice search with cursor paging, and VAT totals.

Search pages ascend by `record_index`, the invoice's position on the ledger: it is
unique and never changes, so paging is stable while new invoices arrive (they land after
every cursor already handed out) and while statuses change (a row never moves). Each
page also carries the count of every match, cursor aside.

VAT totals group by seller, issue day or month, rate and normal/credit, with credit
notes' amounts negative, so adding every row gives the net VAT.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.errors import InvalidQuery
from invoicing.models import Invoice
from invoicing.schemas import InvoiceFilter

__all__ = [
    "Page",
    "VatRow",
    "conditions",
    "count_invoices",
    "iterate_invoices",
    "search_invoices",
    "vat_totals",
]


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    items: list[Invoice]
    next_after: int | None


@dataclass(frozen=True, slots=True)
class VatRow:
    seller_id: str
    period: str
    rate_bp: int
    kind: str  # normal | credit
    documents: int
    total_fen: int
    base_fen: int
    tax_fen: int


def conditions(query: InvoiceFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of `query`; raises `InvalidQuery` on a range that ends first."""
    if query.issued_from and query.issued_to and query.issued_from > query.issued_to:
        raise InvalidQuery(
            f"expected issued_from <= issued_to, got {query.issued_from} > {query.issued_to}"
        )
    low, high = query.min_total_fen, query.max_total_fen
    if low is not None and high is not None and low > high:
        raise InvalidQuery(f"expected min_total_fen <= max_total_fen, got {low} > {high}")
    clauses: list[ColumnElement[bool]] = []
    equal: list[tuple[Any, object]] = [
        (Invoice.seller_id, query.seller_id),
        (Invoice.buyer_tax_id, query.buyer_tax_id),
        (Invoice.rider_id, query.rider_id),
        (Invoice.status, query.status),
        (Invoice.kind, query.kind),
    ]
    clauses += [col(column) == value for column, value in equal if value is not None]
    # issue_date is ISO text, so text order is date order.
    if query.issued_from:
        clauses.append(col(Invoice.issue_date) >= query.issued_from.isoformat())
    if query.issued_to:
        clauses.append(col(Invoice.issue_date) <= query.issued_to.isoformat())
    if low is not None:
        clauses.append(col(Invoice.total_fen) >= low)
    if high is not None:
        clauses.append(col(Invoice.total_fen) <= high)
    return clauses


def count_invoices(session: Session, query: InvoiceFilter) -> int:
    statement = select(func.count()).select_from(Invoice).where(*conditions(query))
    return int(session.scalar(statement) or 0)


def search_invoices(
    session: Session, query: InvoiceFilter, *, after: int | None, limit: int
) -> Page:
    rows, next_after = _page(session, conditions(query), after, limit)
    return Page(total=count_invoices(session, query), items=rows, next_after=next_after)


def iterate_invoices(
    session: Session, query: InvoiceFilter, *, chunk: int = 500
) -> Iterator[list[Invoice]]:
    """Every match in ledger order, `chunk` rows at a time (keyset paging, no OFFSET)."""
    clauses = conditions(query)
    after: int | None = None
    while True:
        rows, after = _page(session, clauses, after, chunk)
        if rows:
            yield rows
        if after is None:
            return


def _page(
    session: Session, clauses: list[ColumnElement[bool]], after: int | None, limit: int
) -> tuple[list[Invoice], int | None]:
    page = select(Invoice).where(*clauses)
    if after is not None:
        page = page.where(col(Invoice.record_index) > after)
    # One row more than asked tells whether another page follows.
    rows = list(session.scalars(page.order_by(col(Invoice.record_index)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].record_index if more else None)


def vat_totals(session: Session, query: InvoiceFilter, *, period: str) -> list[VatRow]:
    if period not in ("day", "month"):
        raise InvalidQuery(f"expected period 'day' or 'month', got {period!r}")
    # YYYY-MM-DD: the first 7 characters are the month; substr is in SQLite and PostgreSQL.
    key = (
        col(Invoice.issue_date) if period == "day" else func.substr(col(Invoice.issue_date), 1, 7)
    ).label("period")
    sign = case((col(Invoice.kind) == "credit_note", -1), else_=1)
    # sqlalchemy's select: sqlmodel's is typed for at most four columns.
    statement = (
        sa_select(
            col(Invoice.seller_id),
            key,
            col(Invoice.rate_bp),
            col(Invoice.kind),
            func.count(),
            func.sum(sign * col(Invoice.total_fen)),
            func.sum(sign * col(Invoice.base_fen)),
            func.sum(sign * col(Invoice.tax_fen)),
        )
        .where(*conditions(query))
        .group_by(col(Invoice.seller_id), key, col(Invoice.rate_bp), col(Invoice.kind))
        .order_by(col(Invoice.seller_id), key, col(Invoice.rate_bp), col(Invoice.kind))
    )
    return [
        VatRow(
            seller_id=seller,
            period=str(when),
            rate_bp=int(rate),
            kind="credit" if kind == "credit_note" else "normal",
            documents=int(count),
            total_fen=int(total),
            base_fen=int(base),
            tax_fen=int(tax),
        )
        for seller, when, rate, kind, count, total, base, tax in session.execute(statement)
    ]
