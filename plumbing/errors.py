"""The one base of every domain error: it carries the HTTP status it becomes.

Each domain draws its own hierarchy under it (`GateError`, `LedgerError`,
`InvoicingError`, `TripsError`, ...); `plumbing.problems` renders any of them as
`application/problem+json` with `title`, `status = status_code` and `detail`, plus the
members in `extra`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DomainError"]


class DomainError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self._extra = extra

    @property
    def detail(self) -> str:
        return str(self)

    @property
    def extra(self) -> dict[str, Any]:
        """Members the problem document carries besides type, title, status and detail."""
        return self._extra
