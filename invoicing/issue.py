"""Issuing e-invoices inside the batcher's block transaction.

Numbers are reserved per seller and year with one `UPDATE ... RETURNING` on the
sequence row: the row lock serialises concurrent batchers, and because the reservation
commits or rolls back with the block, the numbers stay gap-free. A seller's first number
of a year creates the row with `INSERT ... ON CONFLICT DO NOTHING`, so two transactions
starting the same year at once both proceed (the second waits for the first's row).

Only a sale is invoiced: a trip that cost nothing (a free ride, a capped trip) has no
invoice, and `invoice_fields` refuses a total of 0 fen (`invoiceable` says which totals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col, select

from fare.localtime import SHANGHAI
from invoicing.checkcode import check_code
from invoicing.errors import InvalidAmount
from invoicing.models import InvoiceSequence, InvoiceTitle
from invoicing.numbering import DEFAULT_LAYOUT, format_number
from invoicing.tax import TaxRegime, split_tax
from storage.types import among

INDIVIDUAL_BUYER = "个人"


@dataclass(frozen=True, slots=True)
class SellerInfo:
    id: str
    name: str
    tax_id: str
    regime: TaxRegime
    numbering_code: str


@dataclass(frozen=True, slots=True)
class Buyer:
    kind: str  # individual | company
    name: str
    tax_id: str | None = None


INDIVIDUAL = Buyer("individual", INDIVIDUAL_BUYER)  # riders who chose no default title


def invoiceable(total_fen: int) -> bool:
    """Whether a sale of `total_fen` gets an invoice: a 0-yuan one would claim no sale."""
    return total_fen > 0


def reserve_numbers(session: Session, seller_id: str, year: int, count: int) -> int:
    """Reserve `count` consecutive sequence numbers; returns the first."""
    statement = (
        update(InvoiceSequence)
        .where(col(InvoiceSequence.seller_id) == seller_id, col(InvoiceSequence.year) == year)
        .values(next_seq=col(InvoiceSequence.next_seq) + count)
        .returning(col(InvoiceSequence.next_seq))
        # No ORM objects to keep in step: skips evaluating the criteria in Python.
        .execution_options(synchronize_session=False)
    )
    after = session.execute(statement).scalar_one_or_none()
    if after is None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(InvoiceSequence)
            .values(seller_id=seller_id, year=year, next_seq=1)
            .on_conflict_do_nothing()
        )
        after = session.execute(statement).scalar_one()
    return int(after) - count


def default_buyers(session: Session, rider_ids: list[str]) -> dict[str, Buyer]:
    """Each rider's chosen default title; riders without one buy as individuals."""
    rows = session.execute(
        select(
            col(InvoiceTitle.rider_id),
            col(InvoiceTitle.kind),
            col(InvoiceTitle.name),
            col(InvoiceTitle.tax_id),
        ).where(among(session, col(InvoiceTitle.rider_id), rider_ids), col(InvoiceTitle.is_default))
    )
    return {rider: Buyer(kind, name, tax_id) for rider, kind, name, tax_id in rows}


def invoice_fields(
    *,
    number: str,
    seller: SellerInfo,
    buyer: Buyer,
    rider_id: str,
    trip_event_id: str,
    total_fen: int,
    issued_at: datetime,
    trip_leaf_hash: bytes,
    kind: str = "invoice",
    original_number: str | None = None,
) -> dict[str, object]:
    """The ledger record of one invoice (its row in `invoices` is the same fields)."""
    if not invoiceable(total_fen):
        raise InvalidAmount(f"expected an invoice total above 0 fen, got {total_fen}")
    split = split_tax(total_fen, seller.regime)
    return {
        "type": "invoice" if kind == "invoice" else "credit_note",
        "v": 2,  # the rider, the issue time and an individual buyer go to the opening
        "number": number,
        "kind": kind,
        "seller": {"id": seller.id, "name": seller.name, "tax_id": seller.tax_id},
        "buyer": {"kind": buyer.kind, "name": buyer.name, "tax_id": buyer.tax_id},
        "rider": rider_id,
        "trip_event_id": trip_event_id,
        "issued_at": issued_at.isoformat(),
        "issue_date": issued_at.astimezone(SHANGHAI).date().isoformat(),
        "total_fen": total_fen,
        "base_fen": split.base_fen,
        "tax_fen": split.tax_fen,
        "rate_bp": seller.regime.rate_bp,
        "regime": seller.regime.code,
        "check_code": check_code(trip_leaf_hash),
        "original_number": original_number,
    }


def invoice_row(fields: Mapping[str, object], record_index: int) -> dict[str, object]:
    seller, buyer = fields["seller"], fields["buyer"]
    assert isinstance(seller, dict) and isinstance(buyer, dict)
    return {
        "number": fields["number"],
        "kind": fields["kind"],
        "status": "issued",
        "seller_id": seller["id"],
        "rider_id": fields["rider"],
        "trip_event_id": fields["trip_event_id"],
        "buyer_kind": buyer["kind"],
        "buyer_name": buyer["name"],
        "buyer_tax_id": buyer["tax_id"],
        "issued_at": datetime.fromisoformat(str(fields["issued_at"])),
        "issue_date": fields["issue_date"],
        "total_fen": fields["total_fen"],
        "base_fen": fields["base_fen"],
        "tax_fen": fields["tax_fen"],
        "rate_bp": fields["rate_bp"],
        "regime": fields["regime"],
        "check_code": fields["check_code"],
        "original_number": fields["original_number"],
        "record_index": record_index,
    }


def numbers_for(seller: SellerInfo, issued_at: datetime, first: int, count: int) -> list[str]:
    """The numbers of sequences `first` .. `first + count - 1`: a block's reservation."""
    if count < 1:
        return []
    year, channel = issued_at.astimezone(SHANGHAI).year, seller.numbering_code
    # format_number checks every part, which cost more than the rest of an invoice's
    # fields. It checks both ends of the range here (the last raises past the layout's
    # sequence digits); between them only the trailing sequence digits change.
    head = format_number(year=year, channel=channel, sequence=first)
    format_number(year=year, channel=channel, sequence=first + count - 1)
    digits = DEFAULT_LAYOUT.sequence_digits
    prefix = head[:-digits]
    return [f"{prefix}{sequence:0{digits}d}" for sequence in range(first, first + count)]
