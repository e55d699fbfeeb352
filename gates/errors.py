"""Errors of the device edge, each carrying its HTTP status.

GateError
├── DeviceUnauthorized   401  missing or wrong bearer token
├── TapForbidden         403  the device may not make this tap (another operator's station)
├── RiderRefused         403  the rider is blocked
├── UnknownDevice        404
├── UnknownRider         422  the ride code names no rider
├── TapRejected          422  the tap makes no sense (kind for this device, time)
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
