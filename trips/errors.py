"""Errors of trips and rider accounts, each carrying its HTTP status.

TripsError
├── RiderNotAuthenticated  401  no rider token, or an unknown, expired or revoked one
├── RiderNotFound          404  no such rider (issuing or revoking a token by id)
└── TripNotFound           404  no such trip among the rider's own (another's looks the same)
"""

from __future__ import annotations

from plumbing.errors import DomainError

__all__ = ["RiderNotAuthenticated", "RiderNotFound", "TripNotFound", "TripsError"]


class TripsError(DomainError):
    title = "Trips error"


class RiderNotAuthenticated(TripsError):
    status_code = 401
    title = "Not authenticated"


class TripNotFound(TripsError):
    status_code = 404
    title = "Not found"


class RiderNotFound(TripsError):
    status_code = 404
    title = "Not found"
