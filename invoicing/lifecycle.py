"""The invoice lifecycle as a pure state machine, with who may move it.

States and the actions between them::

    issued ──lock──▶ locked ──reimburse──▶ reimbursed (final)
      ▲                 │
      └─────unlock──────┘
    issued ──credit / retitle──▶ credited (final)

- A company locks an invoice into a reimbursement claim (报销), unlocks it if the claim is
  withdrawn (the invoice is simply issued again), and reimburses it from the lock.
- A rider reverses an invoice with a red-letter credit note: a refund, a fare correction,
  or a re-title (the credit note plus a new invoice under the new title; issuing both is
  the service's job). A reversal is always in full.
- Nothing may happen to a reimbursed or credited invoice, nor to a locked invoice but
  unlock and reimburse; a credit note itself never changes.

Who may act: the rider whose trip it is credits and re-titles; the company authenticated
as the buyer's tax ID locks, unlocks and reimburses; the tax bureau reads everything and
changes nothing. Authorization is checked before state, so a stranger learns nothing of
an invoice's state from the error (403 before 409).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from invoicing.errors import (
    ActionForbidden,
    AlreadyCredited,
    AlreadyReimbursed,
    CreditNoteImmutable,
    InvoiceLocked,
    InvoiceNotLocked,
    TransitionConflict,
)

__all__ = [
    "Action",
    "Actor",
    "CompanyActor",
    "InvoiceFacts",
    "InvoiceState",
    "LifecycleSubject",
    "RiderActor",
    "TaxBureauActor",
    "allowed_actions",
    "authorize_read",
    "transition",
]


class InvoiceState(StrEnum):
    ISSUED = "issued"
    LOCKED = "locked"
    REIMBURSED = "reimbursed"
    CREDITED = "credited"


class Action(StrEnum):
    LOCK = "lock"
    UNLOCK = "unlock"
    REIMBURSE = "reimburse"
    CREDIT = "credit"
    RETITLE = "retitle"


@dataclass(frozen=True, slots=True)
class RiderActor:
    rider_id: str


@dataclass(frozen=True, slots=True)
class CompanyActor:
    """A company authenticated as the holder of `tax_id`."""

    tax_id: str


@dataclass(frozen=True, slots=True)
class TaxBureauActor:
    pass


Actor = RiderActor | CompanyActor | TaxBureauActor


class LifecycleSubject(Protocol):
    """What the lifecycle needs to know of an invoice; a table row can be passed as is."""

    @property
    def rider_id(self) -> str: ...

    @property
    def buyer_tax_id(self) -> str | None: ...

    @property
    def kind(self) -> str: ...


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """A plain `LifecycleSubject`."""

    rider_id: str
    buyer_tax_id: str | None
    kind: str = "invoice"


_COMPANY_ACTIONS = frozenset({Action.LOCK, Action.UNLOCK, Action.REIMBURSE})
_RIDER_ACTIONS = frozenset({Action.CREDIT, Action.RETITLE})

_NEXT: dict[tuple[InvoiceState, Action], InvoiceState] = {
    (InvoiceState.ISSUED, Action.LOCK): InvoiceState.LOCKED,
    (InvoiceState.LOCKED, Action.UNLOCK): InvoiceState.ISSUED,
    (InvoiceState.LOCKED, Action.REIMBURSE): InvoiceState.REIMBURSED,
    (InvoiceState.ISSUED, Action.CREDIT): InvoiceState.CREDITED,
    (InvoiceState.ISSUED, Action.RETITLE): InvoiceState.CREDITED,
}


def transition(
    state: InvoiceState, action: Action, actor: Actor, invoice: LifecycleSubject
) -> InvoiceState:
    """The state after `actor` performs `action` on `invoice` in `state`.

    Raises `ActionForbidden` (403) if the actor may not, else a `TransitionConflict` (409)
    subclass naming why the state forbids it.
    """
    _authorize(action, actor, invoice)
    if invoice.kind == "credit_note":
        raise CreditNoteImmutable(f"expected an invoice to {action}, got a credit note")
    following = _NEXT.get((state, action))
    if following is None:
        raise _conflict(state, action)
    return following


def allowed_actions(
    state: InvoiceState, actor: Actor, invoice: LifecycleSubject
) -> frozenset[Action]:
    """Every action `transition` would accept now, e.g. to show the buttons that work."""
    allowed = set()
    for action in Action:
        try:
            transition(state, action, actor, invoice)
        except (ActionForbidden, TransitionConflict):
            continue
        allowed.add(action)
    return frozenset(allowed)


def authorize_read(actor: Actor, invoice: LifecycleSubject) -> None:
    """Raise `ActionForbidden` unless `actor` may read `invoice`."""
    match actor:
        case TaxBureauActor():
            return
        case RiderActor(rider_id) if rider_id == invoice.rider_id:
            return
        case CompanyActor(tax_id) if tax_id == invoice.buyer_tax_id:
            return
    raise ActionForbidden(
        f"expected the tax bureau, the rider or the buyer company to read this invoice, "
        f"got {_describe(actor)}"
    )


def _authorize(action: Action, actor: Actor, invoice: LifecycleSubject) -> None:
    if action in _COMPANY_ACTIONS:
        if invoice.buyer_tax_id is None:
            raise ActionForbidden(
                f"expected an invoice titled to a company to {action}, "
                "got one titled to an individual"
            )
        if not (isinstance(actor, CompanyActor) and actor.tax_id == invoice.buyer_tax_id):
            raise ActionForbidden(
                f"expected the buyer company {invoice.buyer_tax_id} to {action}, "
                f"got {_describe(actor)}"
            )
    elif action in _RIDER_ACTIONS:
        if not (isinstance(actor, RiderActor) and actor.rider_id == invoice.rider_id):
            raise ActionForbidden(
                f"expected the rider whose trip it is to {action}, got {_describe(actor)}"
            )
    else:  # pragma: no cover - every Action is in one of the sets
        raise AssertionError(f"unclassified action {action}")


def _conflict(state: InvoiceState, action: Action) -> TransitionConflict:
    if state is InvoiceState.REIMBURSED:
        return AlreadyReimbursed(
            f"expected an issued or locked invoice to {action}, got a reimbursed one (final)"
        )
    if state is InvoiceState.CREDITED:
        return AlreadyCredited(
            f"expected an issued or locked invoice to {action}, "
            "got one a credit note reversed already"
        )
    if state is InvoiceState.LOCKED:
        return InvoiceLocked(
            f"expected an invoice not locked in a reimbursement claim to {action}, "
            "got a locked one; the company must unlock it first"
        )
    return InvoiceNotLocked(
        f"expected an invoice locked in a reimbursement claim to {action}, got an issued one"
    )


def _describe(actor: Actor) -> str:
    match actor:
        case RiderActor(rider_id):
            return f"rider {rider_id}"
        case CompanyActor(tax_id):
            return f"company {tax_id}"
        case TaxBureauActor():
            return "the tax bureau (read-only)"
