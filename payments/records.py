"""The ledger records of payments, refunds and payment agreements (schema version 2).

Three record types, each encoded by `ledger.records.encode_record`:

- `payment`: one state change of one payment (authorised, captured, declined,
  written_off). `payment` is the payment's key (hex); `attempt` says which collection
  attempt the change is about; `balance_after_fen` is the rider's balance after the
  record (a capture raises it by `amount_fen`; the other states leave it).
- `refund`: one state change of a refund for a credit note (requested, refunded,
  failed). A refund gives back `credit_fen` (the credit note's total, which the rider no
  longer owes) and returns `amount_fen` of it through the provider: what is left once
  the rider's debt is settled from it (a rider who owes more than the note gets no money
  back, only less debt). `requested` moves the balance by credit_fen - amount_fen (the
  money on its way out leaves the account at once, so two refunds cannot pay the same
  fen out twice); `failed` puts amount_fen back (it stays on the rider's account);
  `refunded` moves nothing.
- `payment_agreement`: the rider authorised (or revoked) entrusted deduction.

The rider, the provider's reference, the running balance and the time are personal:
the public record holds a salted commitment to them (`ledger.commitment`), the whole
record is read through `ledger.openings`.

So for every rider, replaying these records with the charges gives the balance:
balance = credits - charges + payments - refunds, i.e. what the rider owes is
charges - credits - payments + refunds (`payments.audit` checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = [
    "AGREEMENT",
    "PAYMENT",
    "REFUND",
    "VERSION",
    "agreement_record",
    "balance_delta",
    "payment_record",
    "refund_record",
]

PAYMENT, REFUND, AGREEMENT = "payment", "refund", "payment_agreement"
VERSION = 2  # version 1 wrote the personal fields in clear (ledger.commitment)
PAYMENT_STATES = ("authorised", "captured", "declined", "written_off")
REFUND_STATES = ("requested", "refunded", "failed")


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("expected an aware datetime, got a naive one")
    return moment.astimezone(UTC).isoformat()


def payment_record(
    *,
    key: bytes,
    rider: str,
    kind: str,
    trip_event_id: str | None,
    status: str,
    attempt: int,
    amount_fen: int,
    provider: str,
    provider_ref: str | None,
    reason: str | None,
    balance_after_fen: int,
    at: datetime,
) -> dict[str, object]:
    if status not in PAYMENT_STATES:
        raise ValueError(f"expected a payment state in {PAYMENT_STATES}, got {status!r}")
    if amount_fen < 0:
        raise ValueError(f"expected amount_fen >= 0, got {amount_fen}")
    return {
        "type": PAYMENT,
        "v": VERSION,
        "payment": key.hex(),
        "rider": rider,
        "kind": kind,
        "trip_event_id": trip_event_id,
        "status": status,
        "attempt": attempt,
        "amount_fen": amount_fen,
        "provider": provider,
        "provider_ref": provider_ref,
        "reason": reason,
        "balance_after_fen": balance_after_fen,
        "at": _utc(at),
    }


def refund_record(
    *,
    key: bytes,
    rider: str,
    credit_note: str,
    trip_event_id: str | None,
    status: str,
    credit_fen: int,
    amount_fen: int,
    provider: str,
    provider_ref: str | None,
    reason: str | None,
    balance_after_fen: int,
    at: datetime,
) -> dict[str, object]:
    if status not in REFUND_STATES:
        raise ValueError(f"expected a refund state in {REFUND_STATES}, got {status!r}")
    if not 0 <= amount_fen <= credit_fen:
        raise ValueError(f"expected 0 <= amount_fen <= credit_fen {credit_fen}, got {amount_fen}")
    return {
        "type": REFUND,
        "v": VERSION,
        "refund": key.hex(),
        "rider": rider,
        "credit_note": credit_note,
        "trip_event_id": trip_event_id,
        "status": status,
        "credit_fen": credit_fen,
        "amount_fen": amount_fen,
        "provider": provider,
        "provider_ref": provider_ref,
        "reason": reason,
        "balance_after_fen": balance_after_fen,
        "at": _utc(at),
    }


def agreement_record(
    *, rider: str, status: str, provider: str, provider_ref: str, at: datetime
) -> dict[str, object]:
    if status not in ("authorised", "revoked"):
        raise ValueError(f"expected authorised or revoked, got {status!r}")
    return {
        "type": AGREEMENT,
        "v": VERSION,
        "rider": rider,
        "status": status,
        "provider": provider,
        "provider_ref": provider_ref,
        "at": _utc(at),
    }


def balance_delta(record: Mapping[str, object]) -> int:
    """How much a payment or refund record moves the rider's balance (fen)."""
    kind, status = record.get("type"), record.get("status")
    amount = record.get("amount_fen")
    if not isinstance(amount, int):
        raise ValueError(f"expected an int amount_fen, got {amount!r}")
    if kind == PAYMENT:
        return amount if status == "captured" else 0
    if kind == REFUND:
        credit = record.get("credit_fen")
        if not isinstance(credit, int):
            raise ValueError(f"expected an int credit_fen, got {credit!r}")
        return {"requested": credit - amount, "failed": amount}.get(str(status), 0)
    raise ValueError(f"expected a payment or refund record, got type {kind!r}")
