"""Errors of the device edge, each carrying its HTTP status.

A ride code the gate's offline check refuses raises the ride-code package's own errors
(malformed, forged, expired, clock off, unknown or retired issuer key); the edge renders
those alike. The refusals below that concern a ride code carry `reason` as they do.

GateError
├── DeviceUnauthorized   401  missing or wrong bearer token
├── TapForbidden         403  the device may not make this tap (another operator's station)
├── RiderRefused         403  the rider is on the deny list (reason and amount owed)
├── CertificateRevoked   403  the ride code's certificate was revoked (a lost phone)
├── RideCodeReplayed     409  the ride code was used already (its nonce was seen)
├── UnknownDevice        404
├── UnknownRider         422  the ride code names no rider
├── TapRejected          422  the tap makes no sense (kind for this device, time)
├── ImpossibleTrip       422  the trip it ends cannot have happened (fare.plausibility)
└── EventIdConflict      409  the event_id was used before for a different request
"""

from __future__ import annotations

from plumbing.errors import DomainError


class GateError(DomainError):
    status_code = 400
    title = "Bad tap"


class DeviceUnauthorized(GateError):
    status_code = 401
    title = "Device not authenticated"


class TapForbidden(GateError):
    status_code = 403
    title = "Tap not allowed for this device"


class RiderRefused(GateError):
    status_code = 403
    title = "Rider refused"


class UnknownDevice(GateError):
    status_code = 404
    title = "Unknown device"


class UnknownRider(GateError):
    status_code = 422
    title = "Unknown rider"


class TapRejected(GateError):
    status_code = 422
    title = "Tap rejected"


class EventIdConflict(GateError):
    status_code = 409
    title = "event_id reused for a different request"


class CertificateRevoked(GateError):
    status_code = 403
    title = "Certificate revoked"


class RideCodeReplayed(GateError):
    status_code = 409
    title = "Ride code already used"


class ImpossibleTrip(GateError):
    status_code = 422
    title = "Impossible trip"
