"""Errors of the operators' back office, each with the HTTP status it becomes.

OperatorsError (DomainError)
├── NotAuthenticated      401  no operator token, or an unknown one
├── NotFound              404  another operator's data, or none (never 403: ids are guessable)
├── CsrfRejected          403  a console request by cookie without its CSRF token (operators.csrf)
├── DayNotClosed          409  settling a day that has not ended, or reconciling one not settled
├── InvalidDay            422  a day that is not YYYY-MM-DD
└── InvalidJournal        422/413  a journal whose columns, encoding or size are wrong
"""

from __future__ import annotations

from plumbing.errors import DomainError

__all__ = [
    "DayNotClosed",
    "InvalidDay",
    "InvalidJournal",
    "NotAuthenticated",
    "NotFound",
    "OperatorsError",
]


class OperatorsError(DomainError):
    status_code = 400
    title = "Bad request"


class NotAuthenticated(OperatorsError):
    status_code = 401
    title = "Not authenticated"


class NotFound(OperatorsError):
    status_code = 404
    title = "Not found"


class DayNotClosed(OperatorsError):
    status_code = 409
    title = "Day not closed"


class InvalidDay(OperatorsError):
    status_code = 422
    title = "Invalid day"


class InvalidJournal(OperatorsError):
    title = "Invalid journal"

    def __init__(self, detail: str, *, status: int = 422) -> None:
        super().__init__(detail)
        self.status_code = status
