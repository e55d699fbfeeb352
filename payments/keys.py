"""Idempotency keys: derived, never random, so a retry after any crash asks again.

Each key is SHA-256 over a domain tag and length-prefixed parts, so no two different
inputs (say trip "a|b" and trip "a" with part "b") give the same bytes:

- a trip's payment: (trip event id); one charged trip, one payment, whatever replays;
- one attempt at collecting a payment: (payment key, attempt number), so a retry after
  a decline is a new provider request while a resend of the same attempt is not;
- a pay-now: (rider, the rider's pay-now sequence number);
- a refund: (credit note number); a credit note returns money once;
- an agreement: (rider, the rider's agreement sequence number).

Keys are bytes; the provider sees them as lower-case hex.
"""

from __future__ import annotations

import hashlib

__all__ = ["agreement_key", "attempt_key", "pay_now_key", "refund_key", "trip_payment_key"]

_DOMAIN = b"farechain/payments/v1"


def _derive(kind: str, *parts: bytes) -> bytes:
    digest = hashlib.sha256(_DOMAIN)
    for part in (kind.encode(), *parts):
        digest.update(len(part).to_bytes(4, "big"))
        digest.update(part)
    return digest.digest()


def _text(value: str, what: str) -> bytes:
    if not value:
        raise ValueError(f"expected a non-empty {what}, got {value!r}")
    return value.encode("utf-8")


def _count(value: int, what: str) -> bytes:
    if value < 0:
        raise ValueError(f"expected a {what} >= 0, got {value}")
    return value.to_bytes(8, "big")


def trip_payment_key(trip_event_id: str) -> bytes:
    return _derive("trip", _text(trip_event_id, "trip event id"))


def attempt_key(payment_key: bytes, attempt: int) -> bytes:
    if len(payment_key) != 32:
        raise ValueError(f"expected a 32-byte payment key, got {len(payment_key)} bytes")
    if attempt < 1:
        raise ValueError(f"expected an attempt number >= 1, got {attempt}")
    return _derive("attempt", payment_key, _count(attempt, "attempt"))


def pay_now_key(rider_id: str, sequence: int) -> bytes:
    return _derive("pay-now", _text(rider_id, "rider id"), _count(sequence, "sequence"))


def refund_key(credit_note_number: str) -> bytes:
    return _derive("refund", _text(credit_note_number, "credit note number"))


def agreement_key(rider_id: str, sequence: int) -> bytes:
    return _derive("agreement", _text(rider_id, "rider id"), _count(sequence, "sequence"))
