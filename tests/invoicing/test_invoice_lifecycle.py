"""The invoice lifecycle: every allowed and every forbidden transition, and who may act."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import (
    Action,
    ActionForbidden,
    Actor,
    AlreadyCredited,
    AlreadyReimbursed,
    CompanyActor,
    CreditNoteImmutable,
    InvoiceFacts,
    InvoiceLocked,
    InvoiceNotLocked,
    InvoiceState,
    InvoicingError,
    RiderActor,
    TaxBureauActor,
    TransitionConflict,
    allowed_actions,
    authorize_read,
    transition,
)
from tests.invoicing.invoice_builders import TENCENT_USCC, XIAOMI_USCC

ISSUED, LOCKED, REIMBURSED, CREDITED = (InvoiceState.ISSUED, InvoiceState.LOCKED,
                                        InvoiceState.REIMBURSED, InvoiceState.CREDITED)  # fmt: skip
LOCK, UNLOCK, REIMBURSE, CREDIT, RETITLE = (Action.LOCK, Action.UNLOCK, Action.REIMBURSE,
                                            Action.CREDIT, Action.RETITLE)  # fmt: skip

INVOICE = InvoiceFacts(rider_id="r-1", buyer_tax_id=TENCENT_USCC)
PERSONAL = InvoiceFacts(rider_id="r-1", buyer_tax_id=None)
CREDIT_NOTE = InvoiceFacts(rider_id="r-1", buyer_tax_id=TENCENT_USCC, kind="credit_note")

OWNER = RiderActor("r-1")
OTHER_RIDER = RiderActor("r-2")
BUYER = CompanyActor(TENCENT_USCC)
OTHER_COMPANY = CompanyActor(XIAOMI_USCC)
BUREAU = TaxBureauActor()

# The whole table, written out: (state, action) -> new state or the conflict it raises.
OUTCOMES: dict[tuple[InvoiceState, Action], InvoiceState | type[TransitionConflict]] = {
    (ISSUED, LOCK): LOCKED,
    (ISSUED, UNLOCK): InvoiceNotLocked,
    (ISSUED, REIMBURSE): InvoiceNotLocked,
    (ISSUED, CREDIT): CREDITED,
    (ISSUED, RETITLE): CREDITED,
    (LOCKED, LOCK): InvoiceLocked,
    (LOCKED, UNLOCK): ISSUED,
    (LOCKED, REIMBURSE): REIMBURSED,
    (LOCKED, CREDIT): InvoiceLocked,
    (LOCKED, RETITLE): InvoiceLocked,
    **{(REIMBURSED, action): AlreadyReimbursed for action in Action},
    **{(CREDITED, action): AlreadyCredited for action in Action},
}
RIGHT_ACTOR: dict[Action, Actor] = {
    LOCK: BUYER, UNLOCK: BUYER, REIMBURSE: BUYER, CREDIT: OWNER, RETITLE: OWNER,
}  # fmt: skip
WRONG_ACTORS: dict[Action, list[Actor]] = {
    action: [a for a in (OWNER, OTHER_RIDER, BUYER, OTHER_COMPANY, BUREAU) if a != actor]
    for action, actor in RIGHT_ACTOR.items()
}


def test_the_table_covers_every_state_and_action() -> None:
    assert set(OUTCOMES) == set(itertools.product(InvoiceState, Action))


@pytest.mark.parametrize(("state", "action"), sorted(OUTCOMES))
def test_every_transition_by_the_right_actor(state: InvoiceState, action: Action) -> None:
    outcome = OUTCOMES[(state, action)]
    if isinstance(outcome, InvoiceState):
        assert transition(state, action, RIGHT_ACTOR[action], INVOICE) is outcome
        return
    with pytest.raises(outcome) as caught:
        transition(state, action, RIGHT_ACTOR[action], INVOICE)
    assert caught.value.status_code == 409
    assert str(action) in str(caught.value)
    assert str(caught.value).startswith("expected")


@pytest.mark.parametrize(
    ("state", "action", "actor"),
    [
        (state, action, actor)
        for state, action in sorted(OUTCOMES)
        for actor in WRONG_ACTORS[action]
    ],
)
def test_every_wrong_actor_is_forbidden_whatever_the_state(
    state: InvoiceState, action: Action, actor: Actor
) -> None:
    with pytest.raises(ActionForbidden) as caught:
        transition(state, action, actor, INVOICE)
    assert caught.value.status_code == 403
    assert "expected" in str(caught.value)


@pytest.mark.parametrize("action", [LOCK, UNLOCK, REIMBURSE])
@pytest.mark.parametrize("actor", [BUYER, OTHER_COMPANY, OWNER])
def test_nobody_claims_an_individuals_invoice(action: Action, actor: Actor) -> None:
    with pytest.raises(ActionForbidden, match="titled to an individual"):
        transition(ISSUED, action, actor, PERSONAL)


def test_a_rider_credits_and_retitles_an_individual_invoice() -> None:
    assert transition(ISSUED, CREDIT, OWNER, PERSONAL) is CREDITED
    assert transition(ISSUED, RETITLE, OWNER, PERSONAL) is CREDITED


@pytest.mark.parametrize("action", list(Action))
def test_a_credit_note_never_changes(action: Action) -> None:
    with pytest.raises(CreditNoteImmutable) as caught:
        transition(ISSUED, action, RIGHT_ACTOR[action], CREDIT_NOTE)
    assert caught.value.status_code == 409


def test_allowed_actions() -> None:
    assert allowed_actions(ISSUED, BUYER, INVOICE) == {LOCK}
    assert allowed_actions(ISSUED, OWNER, INVOICE) == {CREDIT, RETITLE}
    assert allowed_actions(LOCKED, BUYER, INVOICE) == {UNLOCK, REIMBURSE}
    assert allowed_actions(LOCKED, OWNER, INVOICE) == set()
    assert allowed_actions(REIMBURSED, BUYER, INVOICE) == set()
    assert allowed_actions(ISSUED, BUREAU, INVOICE) == set()
    assert allowed_actions(ISSUED, OWNER, CREDIT_NOTE) == set()


@pytest.mark.parametrize("actor", [OWNER, BUYER, BUREAU])
def test_rider_buyer_and_bureau_read(actor: Actor) -> None:
    authorize_read(actor, INVOICE)


@pytest.mark.parametrize(
    ("actor", "invoice"),
    [(OTHER_RIDER, INVOICE), (OTHER_COMPANY, INVOICE), (BUYER, PERSONAL)],
)
def test_strangers_do_not_read(actor: Actor, invoice: InvoiceFacts) -> None:
    with pytest.raises(ActionForbidden):
        authorize_read(actor, invoice)


actors = st.sampled_from([OWNER, OTHER_RIDER, BUYER, OTHER_COMPANY, BUREAU])


@given(st.lists(st.tuples(st.sampled_from(list(Action)), actors), max_size=30))
def test_random_walks_follow_the_table(steps: list[tuple[Action, Actor]]) -> None:
    state = ISSUED
    history = [state]
    for action, actor in steps:
        try:
            following = transition(state, action, actor, INVOICE)
        except InvoicingError as error:
            assert isinstance(error, ActionForbidden | TransitionConflict)
            continue
        assert actor == RIGHT_ACTOR[action]
        assert following is OUTCOMES[(state, action)]
        state = following
        history.append(state)
    # Final states are final; reimbursement only ever follows a lock.
    for before, after in itertools.pairwise(history):
        assert before not in (REIMBURSED, CREDITED)
        if after is REIMBURSED:
            assert before is LOCKED
