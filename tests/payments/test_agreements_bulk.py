"""Agreements in bulk: the same refs as one at a time, one block, resends harmless."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from payments import keys
from payments.models import PaymentAccount
from payments.provider import AgreementRequest, ProviderUnavailable
from payments.sandbox import SandboxConfig, SandboxProvider
from payments.service import sign_agreements
from tests.payments.conftest import Pay


def _sandbox(engine: Engine, *, down: bool = False) -> SandboxProvider:
    return SandboxProvider(engine, SandboxConfig(secret=b"whsec_bulk", down=down))


def test_a_batch_answers_in_order_as_single_requests_would(engine: Engine) -> None:
    sandbox = _sandbox(engine)
    single = sandbox.create_agreement(key=keys.agreement_key("r2", 0), payer="r2")
    sandbox.revoke_agreement(ref=single.ref)
    requests = [AgreementRequest(keys.agreement_key(r, 0), r) for r in ("r3", "r1", "r2", "r1")]
    answers = sandbox.create_agreements(requests)
    assert [a.ref for a in answers] == ["agr_" + r.key[:12].hex() for r in requests]
    assert answers[2].ref == single.ref and not answers[2].active  # known, revoked stays so
    assert answers[0].active and answers[1] == answers[3]  # a repeat is the same agreement
    assert sandbox.create_agreements(requests) == answers  # a resend changes nothing
    assert sandbox.create_agreements([]) == []


def test_a_batch_to_a_provider_that_is_down_creates_nothing(engine: Engine) -> None:
    with pytest.raises(ProviderUnavailable):
        _sandbox(engine, down=True).create_agreements(
            [AgreementRequest(keys.agreement_key("r1", 0), "r1")]
        )


def test_sign_agreements_in_chunks_signs_each_rider_once(pay: Pay) -> None:
    riders = pay.riders()
    with Session(pay.engine) as session:
        signed = sign_agreements(
            session,
            pay.writer(),
            pay.sandbox(),
            rider_ids=riders,
            now=datetime.now(UTC),
            per_request=3,  # several requests, the last one short
        )
        again = sign_agreements(
            session, pay.writer(), pay.sandbox(), rider_ids=riders, now=datetime.now(UTC)
        )
        accounts = {a.rider_id: a for a in session.scalars(select(PaymentAccount)).all()}
    assert signed == len(riders) and again == 0
    assert sorted(accounts) == sorted(riders)
    for rider, account in accounts.items():
        assert account.agreement == "active" and account.agreement_seq == 1
        assert account.agreement_ref == "agr_" + keys.agreement_key(rider, 0)[:12].hex()
        assert account.agreement_since is not None and not account.debt_blocked
    records = pay.records("payment_agreement")
    assert sorted(r["rider"] for r in records) == sorted(riders)
    assert {r["provider_ref"] for r in records} == {a.agreement_ref for a in accounts.values()}
    assert pay.audit() is None


def test_a_rider_with_an_account_is_not_signed_again(pay: Pay) -> None:
    first, *rest = pay.riders()
    pay.agree([first])
    with Session(pay.engine) as session:
        signed = sign_agreements(
            session, pay.writer(), pay.sandbox(), rider_ids=pay.riders(), now=datetime.now(UTC)
        )
        seen = list(session.scalars(select(col(PaymentAccount.rider_id))))
    assert signed == len(rest) and sorted(seen) == sorted(pay.riders())
