"""Domain errors of e-invoicing, each carrying the HTTP status it becomes.

One exception handler (`plumbing.problems`) renders any `InvoicingError` as
`application/problem+json` with `title = err.title`, `status = err.status_code` and
`detail = str(err)`. Messages say "expected X, got Y" where there is an X to expect.

The hierarchy::

    InvoicingError (500)
    ├── InvalidInvoiceData (422)          input that no invoice may carry
    │   ├── InvalidTaxId (422)            GB 32100-2015 check failed; `.expected` check character
    │   ├── CompanyNameMismatch (422)     a title's name is not the one registered for its tax ID
    │   ├── InvalidInvoiceNumber (422)    not a 20-digit number of our layout
    │   ├── InvalidAmount (422)           negative, non-integer or inconsistent fen amounts
    │   ├── InvalidTaxRegime (422)        unknown regime, bad rate, missing exemption reason
    │   └── InvalidQuery (422)            a search, total or export query that cannot hold
    ├── NotAuthenticated (401)            no or unknown company / tax bureau token
    ├── ActionForbidden (403)             this actor may not do this to this invoice
    ├── InvoiceNotFound (404)             also: an invoice the caller may not see
    ├── TitleNotFound (404)               not one of the rider's invoice titles
    ├── ExportNotFound (404)
    ├── CompanyNotFound (404)             no company account with this tax ID
    ├── ExportNotReady (409)              the export job has not finished (or failed)
    ├── RateLimited (429)                 too many verifications; `.retry_after_s`
    ├── TransitionConflict (409)          the invoice's state forbids the action
    │   ├── InvoiceLocked (409)           in a reimbursement claim: no credit, no second lock
    │   ├── InvoiceNotLocked (409)        unlock or reimburse needs a lock first
    │   ├── AlreadyReimbursed (409)       final: nothing more may happen to it
    │   ├── AlreadyCredited (409)         reversed by a credit note already
    │   └── CreditNoteImmutable (409)     a credit note is never locked, claimed or credited
    ├── SequenceOverflow (500)            a seller's yearly sequence ran out of digits
    └── InvalidDocument (500)             an exported document failed its schema: our bug
"""

from __future__ import annotations

from plumbing.errors import DomainError

__all__ = [
    "ActionForbidden",
    "AlreadyCredited",
    "AlreadyReimbursed",
    "CompanyNameMismatch",
    "CompanyNotFound",
    "CreditNoteImmutable",
    "ExportNotFound",
    "ExportNotReady",
    "InvalidAmount",
    "InvalidDocument",
    "InvalidInvoiceData",
    "InvalidInvoiceNumber",
    "InvalidQuery",
    "InvalidTaxId",
    "InvalidTaxRegime",
    "InvoiceLocked",
    "InvoiceNotFound",
    "InvoiceNotLocked",
    "InvoicingError",
    "NotAuthenticated",
    "RateLimited",
    "SequenceOverflow",
    "TitleNotFound",
    "TransitionConflict",
]


class InvoicingError(DomainError):
    """Base of every e-invoicing error; `str(err)` is the problem's detail."""

    status_code: int = 500
    title: str = "E-invoicing error"


class InvalidInvoiceData(InvoicingError):
    """A value that no invoice may carry."""

    status_code = 422
    title = "Invalid invoice data"


class InvalidTaxId(InvalidInvoiceData):
    """A unified social credit code that fails GB 32100-2015.

    `expected` is the check character the first 17 characters call for, or None when the
    code is malformed before its check character can be computed (length, alphabet).
    """

    title = "Invalid unified social credit code"

    def __init__(self, detail: str, *, code: str, expected: str | None) -> None:
        super().__init__(detail)
        self.code = code
        self.expected = expected

    @property
    def extra(self) -> dict[str, object]:
        return {"code": self.code, "expected_check_character": self.expected}


class CompanyNameMismatch(InvalidInvoiceData):
    """A company title whose name is not the name registered for its tax ID.

    An invoice to the right code under another name is one the company cannot claim (and
    one a wrong code typed by mistake would send to a stranger): both names are named.
    """

    title = "Company name does not match its tax ID"

    def __init__(self, *, tax_id: str, name: str, registered_name: str) -> None:
        super().__init__(
            f"expected the name registered for tax ID {tax_id}, {registered_name!r}, got {name!r}",
            tax_id=tax_id,
            name=name,
            registered_name=registered_name,
        )


class InvalidInvoiceNumber(InvalidInvoiceData):
    """Not a 20-digit invoice number of our layout."""

    title = "Invalid invoice number"


class InvalidAmount(InvalidInvoiceData):
    """A money amount that is not a non-negative integer of fen, or does not add up."""

    title = "Invalid amount"


class InvalidTaxRegime(InvalidInvoiceData):
    """An unknown regime, a rate that does not fit it, or an exemption without a reason."""

    title = "Invalid tax regime"


class InvalidQuery(InvalidInvoiceData):
    """A query whose bounds cannot hold together (a range that ends before it starts)."""

    title = "Invalid query"


class NotAuthenticated(InvoicingError):
    """No bearer token, or one that names no company or tax bureau officer."""

    status_code = 401
    title = "Not authenticated"


class ActionForbidden(InvoicingError):
    """The actor may not perform this action on this invoice."""

    status_code = 403
    title = "Action forbidden"


class InvoiceNotFound(InvoicingError):
    """No invoice has this number."""

    status_code = 404
    title = "Invoice not found"


class CompanyNotFound(InvoicingError):
    """No company account has this tax ID."""

    status_code = 404
    title = "Company not found"


class TitleNotFound(InvoicingError):
    """The rider has no invoice title with this id."""

    status_code = 404
    title = "Invoice title not found"


class ExportNotFound(InvoicingError):
    """No export job has this id."""

    status_code = 404
    title = "Export not found"


class ExportNotReady(InvoicingError):
    """The export job is still running, or failed: there is no archive to download."""

    status_code = 409
    title = "Export not ready"


class RateLimited(InvoicingError):
    """Too many verification requests for this invoice or from this client."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s

    @property
    def extra(self) -> dict[str, object]:
        return {"retry_after_s": self.retry_after_s}


class TransitionConflict(InvoicingError):
    """The invoice's current state forbids the requested action."""

    status_code = 409
    title = "Invoice state conflict"


class InvoiceLocked(TransitionConflict):
    """The invoice is locked in a reimbursement claim."""

    title = "Invoice locked"


class InvoiceNotLocked(TransitionConflict):
    """Unlocking or reimbursing needs the invoice locked in a claim first."""

    title = "Invoice not locked"


class AlreadyReimbursed(TransitionConflict):
    """The invoice was reimbursed already; it cannot be claimed or reversed again."""

    title = "Invoice already reimbursed"


class AlreadyCredited(TransitionConflict):
    """A credit note reversed the invoice already."""

    title = "Invoice already credited"


class CreditNoteImmutable(TransitionConflict):
    """A credit note is final from its issue: it is never locked, claimed or credited."""

    title = "Credit notes cannot change"


class SequenceOverflow(InvoicingError):
    """A seller's sequence needs more digits than the number layout has.

    We refuse to issue rather than wrap around (which would repeat numbers) or widen the
    number (which would break the 20-digit format every reader relies on).
    """

    title = "Invoice sequence exhausted"


class InvalidDocument(InvoicingError):
    """An exported document failed validation against its schema."""

    title = "Invalid exported document"
