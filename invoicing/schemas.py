"""Request and response shapes of the e-invoicing API.

Money is integer fen; dates are the printed issue dates (China Standard Time); times
are RFC 3339. Query models forbid unknown parameters, so a misspelt filter is a 422
rather than a search that silently matches everything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from invoicing.transitions import MAX_BATCH
from plumbing.bounds import INT64_MAX, NonNegativeInt64
from plumbing.dates import IsoDate
from plumbing.text import NameText

__all__ = [
    "MAX_DB_INT",
    "ActionResult",
    "AnomalyPublic",
    "ChangePublic",
    "CreditCreate",
    "EventPublic",
    "ExportCreate",
    "ExportPublic",
    "InvoiceFilter",
    "InvoicePage",
    "InvoiceSearch",
    "InvoiceView",
    "NumberBatch",
    "RetitleCreate",
    "TaxInvoiceView",
    "TitleCreate",
    "TitleDefault",
    "TitlePublic",
    "VatQuery",
    "VatTotal",
    "VerificationPublic",
]

InvoiceNumberText = Annotated[str, Field(pattern=r"^[0-9]{20}$")]
# What a 64-bit database integer holds: a larger id or amount is a 422, not a 500.
MAX_DB_INT = INT64_MAX
DbId = NonNegativeInt64
Status = Literal["issued", "locked", "reimbursed", "credited"]
Kind = Literal["invoice", "credit_note"]


class TitleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["individual", "company"]
    name: NameText
    tax_id: str | None = Field(default=None, max_length=32)
    is_default: bool = False


class TitlePublic(BaseModel):
    id: int
    kind: str
    name: str
    tax_id: str | None
    is_default: bool
    created_at: datetime


class TitleDefault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_id: DbId | None  # None: buy as an individual again


class InvoiceView(BaseModel):
    number: str
    kind: str
    status: str
    seller_id: str
    buyer_kind: str
    buyer_name: str
    buyer_tax_id: str | None
    trip_event_id: str
    issued_at: datetime
    issue_date: str
    total_fen: int
    base_fen: int
    tax_fen: int
    rate_bp: int
    regime: str
    check_code: str
    original_number: str | None
    locked_by: str | None
    record_index: int


class TaxInvoiceView(InvoiceView):
    rider_id: str


class EventPublic(BaseModel):
    """One ledger record of an invoice's life: its issue, or a change of status."""

    record_index: int
    action: str  # issue | lock | unlock | reimburse | credit | retitle
    status: str
    actor_kind: str | None
    actor_id: str | None
    at: datetime
    credit_note_number: str | None = None


class NumberBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    numbers: list[InvoiceNumberText] = Field(min_length=1, max_length=MAX_BATCH)


class CreditCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["refund", "fare_correction"]


class RetitleCreate(BaseModel):
    """The new title: one of the rider's saved titles, or one given here."""

    model_config = ConfigDict(extra="forbid")

    title_id: DbId | None = None
    title: TitleCreate | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RetitleCreate:
        if (self.title_id is None) == (self.title is None):
            raise ValueError("give exactly one of title_id and title")
        return self


class ChangePublic(BaseModel):
    number: str
    status: str
    record_index: int


class ActionResult(BaseModel):
    """What one request appended: one block, one record per change."""

    block_height: int
    tree_size: int
    changes: list[ChangePublic]


class VerificationPublic(BaseModel):
    valid: bool
    number: str
    kind: str | None = None
    status: str | None = None
    seller_name: str | None = None
    issue_date: str | None = None
    total_fen: int | None = None
    record_index: int | None = None
    receipt: str | None = None  # tlog-proof of the invoice record
    status_record_index: int | None = None
    status_receipt: str | None = None  # tlog-proof of the latest change of status


# Search terms match stored ids, which hold no control characters; PostgreSQL refuses a
# NUL in a query parameter outright (a 500 before this check).
_NO_CONTROLS = r"^[^\x00-\x1f\x7f]*$"


class InvoiceFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seller_id: str | None = Field(default=None, max_length=64, pattern=_NO_CONTROLS)
    buyer_tax_id: str | None = Field(default=None, max_length=32, pattern=_NO_CONTROLS)
    rider_id: str | None = Field(default=None, max_length=64, pattern=_NO_CONTROLS)
    issued_from: IsoDate | None = None
    issued_to: IsoDate | None = None
    min_total_fen: DbId | None = None
    max_total_fen: DbId | None = None
    status: Status | None = None
    kind: Kind | None = None


class InvoiceSearch(InvoiceFilter):
    after: DbId | None = Field(default=None, description="record_index cursor")
    limit: int = Field(default=100, ge=1, le=1000)


class InvoicePage(BaseModel):
    total: int
    items: list[TaxInvoiceView]
    next_after: int | None  # pass as `after` for the next page; None on the last


class VatQuery(InvoiceFilter):
    period: Literal["day", "month"] = "day"


class VatTotal(BaseModel):
    """One seller's documents of one period at one rate; credit amounts are negative."""

    seller_id: str
    period: str
    rate_bp: int
    kind: Literal["normal", "credit"]
    documents: int
    total_fen: int
    base_fen: int
    tax_fen: int


class AnomalyPublic(BaseModel):
    kind: str
    numbers: list[str]
    detail: str


class ExportCreate(InvoiceFilter):
    formats: list[Literal["xml", "pdf"]] = Field(default=["xml"], min_length=1, max_length=2)


class ExportPublic(BaseModel):
    id: str
    status: str
    formats: list[str]
    created_at: datetime
    finished_at: datetime | None
    invoice_count: int | None
    archive_bytes: int | None
    archive_sha256: str | None
    error: str | None
