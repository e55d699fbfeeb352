"""Errors of the ledger's API and audit, each carrying its HTTP status.

LedgerError
├── NotFound       404  no such block, record or tree size
└── BadProofQuery  422  a proof asked for sizes or indices that do not fit the log
"""

from __future__ import annotations

from plumbing.errors import DomainError


class LedgerError(DomainError):
    status_code = 400
    title = "Ledger error"


class NotFound(LedgerError):
    status_code = 404
    title = "Not found"


class BadProofQuery(LedgerError):
    status_code = 422
    title = "Bad proof query"
