"""The ledger records the invoice lifecycle appends after issue, as plain dicts.

Three kinds, each encoded canonically by `ledger.records.encode_record`:

- `invoice_status`: a lock, unlock or reimbursement of one invoice, naming the invoice's
  own record index, the state before and after, and the company that acted;
- `credit_note`: a red-letter invoice reversing an earlier one in full. It copies the
  original's seller, buyer, trip and amounts (so it reverses exactly what was charged,
  under the regime then in force) and adds `original_number`, `original_index` and
  `reason` (refund, fare_correction, retitle);
- a re-titled `invoice`: the original's fields under a new buyer, a new number and issue
  time, with `replaces` naming the invoice it replaces.

Check codes (see `checkcode`) come from a leaf hash the new record cannot contain: the
batcher uses the trip's; a credit note uses its original invoice's, and a re-titled
invoice the credit note's issued with it, so no two documents share a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from fare.localtime import SHANGHAI
from invoicing.checkcode import check_code
from invoicing.document import CreditReason
from invoicing.lifecycle import Action, CompanyActor, InvoiceState, RiderActor

__all__ = ["actor_fields", "credit_note_entry", "retitled_entry", "status_entry"]


# Keys a document derived from another must not inherit.
_DERIVED_ONLY = ("original_index", "reason", "replaces")


def actor_fields(actor: RiderActor | CompanyActor) -> dict[str, str]:
    if isinstance(actor, RiderActor):
        return {"kind": "rider", "id": actor.rider_id}
    return {"kind": "company", "id": actor.tax_id}


def status_entry(
    *,
    number: str,
    invoice_index: int,
    action: Action,
    before: InvoiceState,
    after: InvoiceState,
    actor: CompanyActor,
    at: datetime,
) -> dict[str, object]:
    return {
        "type": "invoice_status",
        "v": 1,
        "number": number,
        "invoice_index": invoice_index,
        "action": str(action),
        "from": str(before),
        "to": str(after),
        "actor": actor_fields(actor),
        "at": _utc(at),
    }


def credit_note_entry(
    original: Mapping[str, object],
    *,
    number: str,
    issued_at: datetime,
    reason: CreditReason,
    original_index: int,
    original_leaf: bytes,
) -> dict[str, object]:
    """The credit note reversing the invoice whose record is `original`."""
    fields = {k: v for k, v in original.items() if k not in _DERIVED_ONLY}
    fields.update(
        v=2,  # also when the original is version 1: new records commit personal fields
        type="credit_note",
        kind="credit_note",
        number=number,
        issued_at=_utc(issued_at),
        issue_date=_local_date(issued_at),
        check_code=check_code(original_leaf),
        original_number=original["number"],
        original_index=original_index,
        reason=str(reason),
    )
    return fields


def retitled_entry(
    original: Mapping[str, object],
    *,
    number: str,
    issued_at: datetime,
    buyer: Mapping[str, str | None],
    credit_note_leaf: bytes,
) -> dict[str, object]:
    """The invoice that replaces `original` under a new buyer."""
    fields = {k: v for k, v in original.items() if k not in _DERIVED_ONLY}
    fields.update(
        v=2,
        type="invoice",
        kind="invoice",
        number=number,
        buyer={"kind": buyer["kind"], "name": buyer["name"], "tax_id": buyer["tax_id"]},
        issued_at=_utc(issued_at),
        issue_date=_local_date(issued_at),
        check_code=check_code(credit_note_leaf),
        original_number=None,
        replaces=original["number"],
    )
    return fields


def _utc(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError(f"expected a timezone-aware time, got naive {at}")
    return at.astimezone(UTC).isoformat()


def _local_date(at: datetime) -> str:
    # The printed issue date is China's, as the batcher's invoices have it.
    return at.astimezone(SHANGHAI).date().isoformat()
