"""`invoicing.audit.check_invoices`: the tables replayed against the ledger's records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session

from invoicing.audit import check_invoices
from invoicing.entries import status_entry
from invoicing.lifecycle import Action, CompanyActor, InvoiceState
from invoicing.models import InvoiceEvent
from ledger import keyfiles, records
from ledger.store import LedgerWriter
from tests.invoicing.api_builders import RIDER_A, company, invoice_trips, rider
from tests.invoicing.conftest import System


def _history(system: System, engine: Engine, redis_client: redis.Redis) -> dict[str, object]:
    """Three invoices: one locked, one reimbursed, one re-titled; their record indexes."""
    client, creds, settings = system
    numbers = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A] * 3)
    _, buyer = company(creds)

    def post(action: str, batch: list[str]) -> list[int]:
        answer = client.post(
            f"/v1/companies/me/invoices/{action}", json={"numbers": batch}, headers=buyer
        )
        assert answer.status_code == 200, answer.text
        return [c["record_index"] for c in answer.json()["changes"]]

    locks = post("lock", numbers[:2])
    reimburse = post("reimburse", numbers[1:2])
    retitled = client.post(
        f"/v1/me/invoices/{numbers[2]}/retitle",
        json={"title": {"kind": "individual", "name": "孙七"}},
        headers=rider(creds, RIDER_A),
    ).json()["changes"]
    return {
        "numbers": numbers,
        "lock": locks[0],
        "reimburse": reimburse[0],
        "credit_note": retitled[0]["record_index"],
    }


def test_a_clean_history_passes(system: System, engine: Engine, redis_client: redis.Redis) -> None:
    _history(system, engine, redis_client)
    with Session(engine) as session:
        assert check_invoices(session) is None


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("UPDATE invoices SET status = 'issued' WHERE status = 'locked'", "status is 'issued'"),
        ("UPDATE invoices SET locked_by = NULL WHERE status = 'reimbursed'", "locked_by is None"),
        ("UPDATE invoices SET status = 'issued' WHERE status = 'credited'", "on the ledger"),
        ("UPDATE invoices SET buyer_name = 'x' WHERE kind = 'credit_note'", "buyer_name is 'x'"),
        ("UPDATE invoices SET total_fen = total_fen + 1 WHERE status = 'locked'", "total_fen"),
        ("UPDATE invoice_events SET actor_id = 'x' WHERE action = 'lock'", "actor_id is 'x'"),
        ("UPDATE invoice_events SET actor_kind = 'x' WHERE action = 'lock'", "actor_kind is 'x'"),
        (
            "UPDATE invoice_events SET at = '2020-01-01 00:00:00' WHERE action = 'lock'",
            "at is datetime.datetime(2020, 1, 1",
        ),
        (
            "UPDATE invoice_events SET credit_note_number = 'x' WHERE action = 'retitle'",
            "credit_note_number is 'x'",
        ),
        ("DELETE FROM invoice_events WHERE action = 'reimburse'", "expected an invoice_events"),
        ("DELETE FROM invoices WHERE kind = 'credit_note'", "with no invoices row"),
        (
            "INSERT INTO invoice_events (record_index, number, action, status, actor_kind,"
            " actor_id, at) VALUES (0, 'n', 'lock', 'locked', 'company', 'c',"
            " '2026-01-01 00:00:00')",
            "invoice_events row of record 0: no status or credit note record",
        ),
    ],
)
def test_a_changed_row_is_caught_and_named(
    system: System, engine: Engine, redis_client: redis.Redis, statement: str, words: str
) -> None:
    _history(system, engine, redis_client)
    with engine.begin() as connection:
        connection.execute(text(statement))
    with Session(engine) as session:
        problem = check_invoices(session)
    assert problem is not None and words in problem, problem


def test_a_forged_status_record_is_an_illegal_move(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    history = _history(system, engine, redis_client)
    _, creds, settings = system
    number = history["numbers"][0]  # type: ignore[index]
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    writer = LedgerWriter(origin=settings.ledger.origin, signers=signers)
    now = datetime.now(UTC)
    forged = status_entry(
        number=number,
        invoice_index=0,
        action=Action.REIMBURSE,
        before=InvoiceState.LOCKED,
        after=InvoiceState.REIMBURSED,
        actor=CompanyActor(company(creds, 1)[0]),  # not the buyer
        at=now,
    )
    with Session(engine) as session:
        head = writer.lock_head(session)
        block = writer.append_block(
            session, head, [("invoice_status", records.encode_record(forged))], now
        )
        session.add(
            InvoiceEvent(
                record_index=block.first_index,
                number=number,
                action="reimburse",
                status="reimbursed",
                actor_kind="company",
                actor_id=company(creds, 1)[0],
                at=now,
            )
        )
        session.commit()
        problem = check_invoices(session)
        assert problem is not None
        assert f"record {block.first_index}" in problem and "legal reimburse" in problem
        session.execute(delete(InvoiceEvent).where(InvoiceEvent.record_index == block.first_index))  # type: ignore[arg-type]
        session.commit()
