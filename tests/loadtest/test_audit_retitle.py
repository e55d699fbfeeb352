"""The load test's audit accepts a trip's re-title chain and still finds real doubles."""

from __future__ import annotations

from collections import Counter
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from farechain.settings import Settings
from invoicing.models import Invoice
from loadtest.audit import LedgerCheck, _compare, audit_run
from loadtest.journal import Expectations
from tests.invoicing.api_builders import RIDER_A, invoice_trips, rider
from trips.models import Trip


def _retitle(client: TestClient, creds: dict[str, Any], number: str, name: str) -> None:
    answer = client.post(
        f"/v1/me/invoices/{number}/retitle",
        json={"title": {"kind": "individual", "name": name}},
        headers=rider(creds, RIDER_A),
    )
    assert answer.status_code == 200, answer.text


def _live_number(engine: Engine, event_id: str) -> str:
    """The trip's newest invoice (not a credit note)."""
    with Session(engine) as session:
        rows = session.scalars(
            select(Invoice)
            .where(col(Invoice.trip_event_id) == event_id, col(Invoice.kind) == "invoice")
            .order_by(col(Invoice.record_index))
        ).all()
    return rows[-1].number


def test_a_re_titled_trip_passes_the_audit(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
) -> None:
    client, creds, settings = system
    numbers = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A] * 3)
    with Session(engine) as session:
        trips = list(session.scalars(select(col(Trip.event_id))))
        first = session.scalar(select(Invoice).where(col(Invoice.number) == numbers[0]))
    assert first is not None
    _retitle(client, creds, numbers[0], "张三")
    _retitle(client, creds, _live_number(engine, first.trip_event_id), "李四")  # twice
    _retitle(client, creds, numbers[1], "王五")
    expected = Expectations(exactly_once=set(trips))
    check = audit_run(engine, None, expected, id_prefix="", from_height=-1, block_seen_ms={})
    assert check.checked == 3
    assert check.problems == []


def _records(**kinds: int) -> dict[str, Counter[str]]:
    names = ("trip", "charge", "invoice", "credit_note", "reissue")
    return {name: Counter({"t": kinds.get(name, 1 if name in names[:3] else 0)}) for name in names}


def _rows(invoices: int = 1, credit_notes: int = 0) -> dict[str, Counter[str]]:
    return {
        "trips": Counter({"t": 1}),
        "invoices": Counter({"t": invoices}),
        "credit_notes": Counter({"t": credit_notes}),
    }


def _judge(records: dict[str, Counter[str]], rows: dict[str, Counter[str]]) -> LedgerCheck:
    check = LedgerCheck()
    _compare(check, Expectations(exactly_once={"t"}), records, rows)
    return check


def test_the_chain_known_answers() -> None:
    assert _judge(_records(), _rows()).problems == []
    # original -> credit note -> new invoice, twice
    assert _judge(_records(credit_note=2, reissue=2), _rows(3, 2)).problems == []
    # a refund's credit note and no new invoice: nothing live, nothing wrong
    assert _judge(_records(credit_note=1), _rows(1, 1)).problems == []
    # two first invoices: a double
    assert _judge(_records(invoice=2), _rows(2)).duplicated == ["t"]
    # a new invoice with no credit note before it: two live, a double
    assert _judge(_records(reissue=1), _rows(2)).duplicated == ["t"]
    # a credit note whose row is missing, or a re-issue without its row
    assert _judge(_records(credit_note=1, reissue=1), _rows(2, 0)).incomplete_records == ["t"]
    assert _judge(_records(credit_note=1, reissue=1), _rows(1, 1)).incomplete_records == ["t"]
    # two credit notes for one invoice
    assert _judge(_records(credit_note=2), _rows(1, 2)).incomplete_records == ["t"]
    # no invoice at all
    assert _judge(_records(invoice=0), _rows(0)).incomplete_records == ["t"]
