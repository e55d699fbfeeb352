"""Why a ride code, a certificate or a phone request is refused, each with its HTTP status.

The refusals that need shared state (a revoked certificate, a replayed code, a rider on
the deny list) are the gates' (gates/errors.py), decided in Redis with the tap.
Every refusal of a ride code carries `reason` (a stable word the gate and the web client
can act on) besides the sentence in `detail`.

RideCodeError
├── RideCodeMalformed      422  not base64url, truncated, wrong version or lengths
├── RideCodeForged         403  the issuer's or the phone's signature does not verify
├── UnknownIssuerKey       403  the certificate names an issuer key the gate does not hold
├── RetiredIssuerKey       403  the issuer key was retired before this certificate was made
├── CertificateExpired     403  the scan is outside the certificate's validity
├── RideCodeOutOfWindow    403  the code's timestamp is too old or ahead of the scan
├── PhoneNotFound          404  no such phone among the rider's own
├── PhoneRevoked           409  the phone was revoked: no new certificate for it
└── PhoneKeyInvalid        422  the enrolled public key is not a raw 32-byte Ed25519 key
"""

from __future__ import annotations

from typing import Any, ClassVar

from plumbing.errors import DomainError

__all__ = [
    "CertificateExpired",
    "PhoneKeyInvalid",
    "PhoneNotFound",
    "PhoneRevoked",
    "RetiredIssuerKey",
    "RideCodeError",
    "RideCodeForged",
    "RideCodeMalformed",
    "RideCodeOutOfWindow",
    "UnknownIssuerKey",
]


class RideCodeError(DomainError):
    status_code = 403
    title = "Ride code refused"
    reason: ClassVar[str] = "refused"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, reason=self.reason, **extra)


class RideCodeMalformed(RideCodeError):
    status_code = 422
    title = "Malformed ride code"
    reason = "malformed"


class RideCodeForged(RideCodeError):
    title = "Forged ride code"
    reason = "forged"


class UnknownIssuerKey(RideCodeError):
    title = "Unknown issuer key"
    reason = "unknown_issuer_key"


class RetiredIssuerKey(RideCodeError):
    title = "Retired issuer key"
    reason = "retired_issuer_key"


class CertificateExpired(RideCodeError):
    title = "Certificate not valid now"
    reason = "certificate_expired"


class RideCodeOutOfWindow(RideCodeError):
    title = "Ride code out of its time window"
    reason = "clock_off"


class PhoneNotFound(RideCodeError):
    status_code = 404
    title = "Not found"
    reason = "no_phone"


class PhoneRevoked(RideCodeError):
    status_code = 409
    title = "Phone revoked"
    reason = "phone_revoked"


class PhoneKeyInvalid(RideCodeError):
    status_code = 422
    title = "Invalid phone key"
    reason = "bad_public_key"
