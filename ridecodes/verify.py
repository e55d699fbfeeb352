"""The gate's offline check of a ride code: issuer public keys and a clock, nothing else.

Order: parse; find the issuer key; check the issuer's signature on the certificate; the
key's retirement; the certificate's validity at the scan; the phone's signature; the
code's timestamp against the scan. The replay, revocation and deny-list checks need
shared state, so the gate does them in Redis, atomically with the tap (gates/taps.lua).

A phone shows the same certificate in every code until it renews it, so a certificate
whose issuer signature has verified is remembered (by its exact bytes, signature
included) and the next code from that phone costs one signature check instead of two.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ridecodes.errors import (
    CertificateExpired,
    RetiredIssuerKey,
    RideCodeForged,
    RideCodeOutOfWindow,
    UnknownIssuerKey,
)
from ridecodes.issuer import KeySet
from ridecodes.wire import (
    CERT_CONTEXT,
    CODE_CONTEXT,
    SIGNATURE_BYTES,
    Category,
    Certificate,
    from_b64url,
    parse_certificate,
    split_ride_code,
)

__all__ = ["RideCodeVerifier", "VerifiedCode"]

_STAMP_BYTES = 12  # timestamp u32 + nonce 8


@dataclass(frozen=True, slots=True)
class VerifiedCode:
    rider: str
    category: Category
    serial: bytes
    nonce: bytes
    timestamp: int
    valid_until: int


class RideCodeVerifier:
    """Checks ride codes against one issuer key set; one per key set, reused."""

    def __init__(
        self, keys: KeySet, *, window_s: int, max_span_s: int, cache_size: int = 100_000
    ) -> None:
        """`max_span_s`: the longest validity the issuer grants a certificate."""
        self.keys = keys
        self.window_s = window_s
        self.max_span_s = max_span_s
        self._issuers = {
            k.key_id: (k, Ed25519PublicKey.from_public_bytes(k.public_key)) for k in keys.keys
        }
        self._cache_size = cache_size
        self._certificates: dict[bytes, tuple[Certificate, Ed25519PublicKey]] = {}

    def verify_text(self, text: str, *, at: int) -> VerifiedCode:
        """A base64url ride code scanned at `at` (unix seconds, the gate's clock)."""
        return self.verify(from_b64url(text), at=at)

    def verify(self, data: bytes, *, at: int) -> VerifiedCode:
        cert_bytes, tail = split_ride_code(data)
        certificate, phone = self._certificate(cert_bytes)
        if not certificate.valid_from <= at < certificate.valid_until:
            raise CertificateExpired(
                f"the certificate is valid from {certificate.valid_from} until"
                f" {certificate.valid_until} (unix s); the scan was at {at}"
            )
        try:
            phone.verify(tail[_STAMP_BYTES:], CODE_CONTEXT + data[:-SIGNATURE_BYTES])
        except InvalidSignature:
            raise RideCodeForged("the phone's signature does not verify") from None
        timestamp = int.from_bytes(tail[:4], "big")
        if timestamp < at - self.window_s:
            raise RideCodeOutOfWindow(
                f"the code was made {at - timestamp} s before the scan; at most"
                f" {self.window_s} s are accepted (refresh the code, or set the phone's clock)"
            )
        if timestamp > at + self.window_s:
            raise RideCodeOutOfWindow(
                f"the code is {timestamp - at} s ahead of the scan; at most {self.window_s} s"
                " are accepted (the phone's clock is off)"
            )
        return VerifiedCode(
            rider=certificate.rider,
            category=certificate.category,
            serial=certificate.serial,
            nonce=tail[4:_STAMP_BYTES],
            timestamp=timestamp,
            valid_until=certificate.valid_until,
        )

    def _certificate(self, cert_bytes: bytes) -> tuple[Certificate, Ed25519PublicKey]:
        known = self._certificates.get(cert_bytes)
        if known is not None:
            return known
        certificate = parse_certificate(cert_bytes)
        issuer = self._issuers.get(certificate.issuer_key_id)
        if issuer is None:
            raise UnknownIssuerKey(
                f"no issuer key {certificate.issuer_key_id.hex()}; the gate holds"
                f" {', '.join(sorted(i.hex() for i in self._issuers)) or 'none'}"
            )
        key, verifier = issuer
        try:
            verifier.verify(certificate.signature, CERT_CONTEXT + cert_bytes[:-SIGNATURE_BYTES])
        except InvalidSignature:
            raise RideCodeForged(
                "the issuer's signature on the certificate does not verify"
            ) from None
        if certificate.valid_until - certificate.valid_from > self.max_span_s:
            raise CertificateExpired(
                f"the certificate spans {certificate.valid_until - certificate.valid_from} s;"
                f" the issuer grants at most {self.max_span_s} s"
            )
        # Together with the span limit, this bounds what a leaked retired key can mint.
        if key.retired_at is not None and certificate.valid_from >= key.retired_at:
            raise RetiredIssuerKey(
                f"issuer key {key.key_id.hex()} was retired at {key.retired_at} (unix s),"
                f" before this certificate's start {certificate.valid_from}"
            )
        phone = Ed25519PublicKey.from_public_bytes(certificate.phone_key)
        if len(self._certificates) >= self._cache_size:
            self._certificates.clear()  # the active phones refill it within a window
        self._certificates[cert_bytes] = (certificate, phone)
        return certificate, phone
