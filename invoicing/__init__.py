"""E-invoicing: numbering, tax, titles, lifecycle and exports.

The names below are the pure core: plain dataclasses and functions, no database, no
framework. `farechain bench invoice` measures them.

The database services are imported by module, so importing the core pulls in no
database or web framework: `issue` (the batcher's numbering and records), `titles`,
`transitions` (lock, unlock, reimburse, credit, re-title: one ledger block per request),
`queries` and `anomalies` (the tax bureau's reads), `verification` and `ratelimit`
(public checks), `render` and `exports` (documents), `audit` (tables against the
ledger), `accounts` and `seed`. `invoicing.api` holds the HTTP routers;
`bench.invoice_api` measures verification over HTTP.
"""

from invoicing.checkcode import CHECK_CODE_DIGITS, check_code
from invoicing.cii import EN16931_GUIDELINE, EN16931_XSD, render_cii_xml, validate_cii_xml
from invoicing.document import CreditReason, DocumentKind, InvoiceDocument, build_document, yuan
from invoicing.errors import (
    ActionForbidden,
    AlreadyCredited,
    AlreadyReimbursed,
    CreditNoteImmutable,
    InvalidAmount,
    InvalidDocument,
    InvalidInvoiceData,
    InvalidInvoiceNumber,
    InvalidTaxId,
    InvalidTaxRegime,
    InvoiceLocked,
    InvoiceNotFound,
    InvoiceNotLocked,
    InvoicingError,
    SequenceOverflow,
    TransitionConflict,
)
from invoicing.lifecycle import (
    Action,
    Actor,
    CompanyActor,
    InvoiceFacts,
    InvoiceState,
    LifecycleSubject,
    RiderActor,
    TaxBureauActor,
    allowed_actions,
    authorize_read,
    transition,
)
from invoicing.numbering import (
    DEFAULT_LAYOUT,
    DEFAULT_REGION,
    NUMBER_DIGITS,
    InvoiceNumber,
    NumberingAnomalies,
    NumberLayout,
    find_gaps,
    format_number,
    issue_year,
    next_sequence,
    parse_number,
)
from invoicing.parties import Party, Seller, company_title, individual_title
from invoicing.pdf import FONT_CANDIDATES, CjkFont, find_cjk_font, render_pdf
from invoicing.qr import LEAF_PARAMETER, qr_png, verification_payload
from invoicing.tax import (
    BASIS_POINTS,
    GENERAL_9,
    SIMPLIFIED_3,
    RegimeCode,
    RegimePeriod,
    TaxRegime,
    TaxSplit,
    exempt,
    regime_at,
    round_half_up,
    split_tax,
)
from invoicing.uscc import USCC_ALPHABET, check_uscc, is_valid_uscc, uscc_check_char
from invoicing.words import amount_in_words, parse_amount_words

__all__ = [
    "BASIS_POINTS",
    "CHECK_CODE_DIGITS",
    "DEFAULT_LAYOUT",
    "DEFAULT_REGION",
    "EN16931_GUIDELINE",
    "EN16931_XSD",
    "FONT_CANDIDATES",
    "GENERAL_9",
    "LEAF_PARAMETER",
    "NUMBER_DIGITS",
    "SIMPLIFIED_3",
    "USCC_ALPHABET",
    "Action",
    "ActionForbidden",
    "Actor",
    "AlreadyCredited",
    "AlreadyReimbursed",
    "CjkFont",
    "CompanyActor",
    "CreditNoteImmutable",
    "CreditReason",
    "DocumentKind",
    "InvalidAmount",
    "InvalidDocument",
    "InvalidInvoiceData",
    "InvalidInvoiceNumber",
    "InvalidTaxId",
    "InvalidTaxRegime",
    "InvoiceDocument",
    "InvoiceFacts",
    "InvoiceLocked",
    "InvoiceNotFound",
    "InvoiceNotLocked",
    "InvoiceNumber",
    "InvoiceState",
    "InvoicingError",
    "LifecycleSubject",
    "NumberLayout",
    "NumberingAnomalies",
    "Party",
    "RegimeCode",
    "RegimePeriod",
    "RiderActor",
    "Seller",
    "SequenceOverflow",
    "TaxBureauActor",
    "TaxRegime",
    "TaxSplit",
    "TransitionConflict",
    "allowed_actions",
    "amount_in_words",
    "authorize_read",
    "build_document",
    "check_code",
    "check_uscc",
    "company_title",
    "exempt",
    "find_cjk_font",
    "find_gaps",
    "format_number",
    "individual_title",
    "is_valid_uscc",
    "issue_year",
    "next_sequence",
    "parse_amount_words",
    "parse_number",
    "qr_png",
    "regime_at",
    "render_cii_xml",
    "render_pdf",
    "round_half_up",
    "split_tax",
    "transition",
    "uscc_check_char",
    "validate_cii_xml",
    "verification_payload",
    "yuan",
]
