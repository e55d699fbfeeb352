"""Every Redis key farechain uses, in one place."""

from __future__ import annotations

STREAM = "fc:trip-ends"  # trip-end events, one consumer group
GROUP = "batchers"
OPEN_JOURNEYS = "fc:open"  # sorted set: rider id -> entry time (ms) of the open journey
DEVICES = "fc:devices"  # hash: device id -> JSON of its registration
RIDERS = "fc:riders"  # hash: rider id -> "ok" | "blocked"


def journey(rider_id: str) -> str:
    return f"fc:journey:{rider_id}"


def idempotency(event_id: str) -> str:
    return f"fc:idem:{event_id}"


DEAD_LETTERS = "fc:dead"  # trip-ends that could not be priced, with the reason
BATCHER_LEASE = "fc:batcher-lease"  # the batcher that may write the ledger; others stand by
VERIFY_RATE_LIMIT = "fc:rl:verify"  # public invoice verification: counters per window
# hash: rider id -> JSON {"reason": "debt", "owed_fen": n}: why RIDERS says "blocked",
# so the gate's refusal can say what is owed (written by payments, read at the edge)
DENY = "fc:deny"
