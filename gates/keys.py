"""Every Redis key farechain uses, in one place."""

from __future__ import annotations

STREAM = "fc:trip-ends"  # trip-end events, one consumer group
GROUP = "batchers"
OPEN_JOURNEYS = "fc:open"  # sorted set: rider id -> entry time (ms) of the open journey
DEVICES = "fc:devices"  # hash: device id -> JSON of its registration
RIDERS = "fc:riders"  # hash: rider id -> "ok" | "blocked" (the deny list: "blocked")
# sorted set: serial (16 hex digits) of a revoked ride-code certificate -> its
# valid_until (unix s); members past that time are pruned at each revocation.
REVOKED_CERTIFICATES = "fc:revoked"


def journey(rider_id: str) -> str:
    return f"fc:journey:{rider_id}"


def idempotency(event_id: str) -> str:
    return f"fc:idem:{event_id}"


def ride_nonce(serial: bytes, nonce: bytes) -> str:
    """A ride code already used: set with the tap, expiring once no window admits it."""
    return f"fc:nonce:{serial.hex()}{nonce.hex()}"


DEAD_LETTERS = "fc:dead"  # trip-ends that could not be priced, with the reason
BATCHER_LEASE = "fc:batcher-lease"  # the batcher that may write the ledger; others stand by
VERIFY_RATE_LIMIT = "fc:rl:verify"  # public invoice verification: counters per window
# hash: rider id -> JSON {"reason": "debt", "owed_fen": n}: why RIDERS says "blocked",
# so the gate's refusal can say what is owed (written by payments, read by taps.lua in
# the tap's step; gates.registry.deny_rider writes both). A blocked rider with no entry
# is refused without a reason.
DENY = "fc:deny"


def signup_code(phone_digest_hex: str) -> str:
    """Hash: a pending sign-up's one-time code digest and its failed attempts."""
    return f"fc:signup:{phone_digest_hex}"
