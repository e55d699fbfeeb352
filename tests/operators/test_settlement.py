"""Settling days on the ledger: statements once, the same bytes again, late items adjusted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from farechain.settings import Settings
from invoicing.document import CreditReason
from invoicing.lifecycle import RiderActor
from invoicing.models import Invoice
from invoicing.transitions import credit_invoice
from ledger import keyfiles
from ledger.keys import Verifier
from ledger.models import LedgerRecord
from operators.errors import DayNotClosed
from operators.settlement import recompute, stored_statement
from operators.statement import verify_statement
from tests.builders import make_settings, make_world, run_audit
from tests.operators.world import DAY, bus, local, metro, seal, settle, writer_of
from trips.models import Trip

NEXT = DAY + dt.timedelta(days=1)


@pytest.fixture
def world(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> tuple[Engine, Settings]:
    settings = make_settings(var_dir, database_url, redis_url)
    make_world(engine, redis_client, settings, riders=5)
    return engine, settings


def _statement(engine: Engine, operator: str, day: dt.date) -> dict[str, Any]:
    with Session(engine) as session:
        _, body = stored_statement(session, operator, day)
    statement: dict[str, Any] = orjson.loads(body)
    return statement


def _size(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(LedgerRecord)) or 0)


def test_a_day_settles_once_into_signed_statements_that_add_up(
    world: tuple[Engine, Settings],
) -> None:
    engine, settings = world
    events = [
        metro("x1", "r0000001", ("szmc", "luohu"), ("mtr-sz", "qinghu"), local(DAY, 9)),
        metro("s1", "r0000002", ("szmc", "luohu"), ("szmc", "guomao"), local(DAY, 9, 30)),
        bus("b1", "r0000003", local(DAY, 10)),
        # 04:10 the next morning is still the day (the cut is 04:30)
        metro("x2", "r0000004", ("mtr-sz", "qinghu"), ("szmc", "luohu"), local(NEXT, 4, 10)),
    ]
    seal(engine, settings, events, local(NEXT, 4, 20))
    with pytest.raises(DayNotClosed):
        settle(engine, settings, DAY, local(NEXT, 4, 29))
    size_before = _size(engine)
    outcome = settle(engine, settings, DAY, local(NEXT, 6))
    assert outcome.created and outcome.items == 4
    assert sorted(outcome.statements) == ["mtr-sz", "pengcheng-taxi", "szbus", "szmc"]
    assert _size(engine) == size_before + 4

    with Session(engine) as session:
        trips = {t.event_id: t for t in session.scalars(select(Trip))}
    fares = sum(t.fare_fen for t in trips.values())
    shares_of_x1 = dict(orjson.loads(trips["x1"].quote_json)["shares"])
    assert set(shares_of_x1) == {"mtr-sz", "szmc"}  # kilometres on both companies' lines
    statements = {op: _statement(engine, op, DAY) for op in outcome.statements}
    totals = {op: s["totals"] for op, s in statements.items()}
    assert sum(t["earned_fen"] for t in totals.values()) == fares
    assert sum(t["collected_fen"] for t in totals.values()) == fares
    assert totals["mtr-sz"]["collected_fen"] == trips["x1"].fare_fen
    assert totals["szbus"]["earned_fen"] == trips["b1"].fare_fen
    [szmc_vs_mtr] = statements["szmc"]["positions"]
    [mtr_vs_szmc] = statements["mtr-sz"]["positions"]
    assert szmc_vs_mtr["net_fen"] == -mtr_vs_szmc["net_fen"]
    assert szmc_vs_mtr["receivable_fen"] == shares_of_x1["szmc"]  # mtr-sz sold x1
    verifiers = [
        Verifier.parse(k) for k in keyfiles.load_verifier_keys(settings.ledger_public_keys_path)
    ]
    assert all(verify_statement(s, verifiers) for s in statements.values())

    again = settle(engine, settings, DAY, local(NEXT, 7))
    assert not again.created and again.statements == outcome.statements
    assert _size(engine) == size_before + 4  # no second record
    with Session(engine) as session:
        recomputed = recompute(session, DAY, writer_of(settings).signers[0])
        for operator in outcome.statements:
            assert recomputed[operator] == stored_statement(session, operator, DAY)[1]
    assert run_audit(engine, settings) is None


def test_late_trips_and_refunds_adjust_the_next_statement(world: tuple[Engine, Settings]) -> None:
    engine, settings = world
    seal(engine, settings, [bus("b1", "r0000001", local(DAY, 8))], local(DAY, 8, 1))
    settle(engine, settings, DAY, local(NEXT, 5))
    before = _statement(engine, "szbus", DAY)
    # a validator that was offline uploads a boarding of DAY after DAY was settled
    seal(engine, settings, [bus("b2", "r0000002", local(DAY, 23))], local(NEXT, 9))
    seal(engine, settings, [bus("b3", "r0000003", local(NEXT, 10))], local(NEXT, 10, 1))
    with Session(engine) as session:
        number = session.scalars(
            select(col(Invoice.number)).where(col(Invoice.trip_event_id) == "b3")
        ).one()
        credit_invoice(
            session,
            writer_of(settings),
            actor=RiderActor("r0000003"),
            number=number,
            reason=CreditReason.REFUND,
            now=local(NEXT, 11),
        )
        fares = {t.event_id: t.fare_fen for t in session.scalars(select(Trip))}
    settle(engine, settings, NEXT, local(NEXT + dt.timedelta(days=1), 5))
    assert _statement(engine, "szbus", DAY) == before  # never rewritten
    after = _statement(engine, "szbus", NEXT)
    assert after["totals"]["trips"] == 1 and after["totals"]["refunds"] == 1
    assert after["totals"]["collected_fen"] == 0
    assert after["totals"]["refunded_fen"] == fares["b3"]
    [adjustment] = after["adjustments"]
    assert adjustment["day"] == DAY.isoformat()
    assert adjustment["totals"]["trips"] == 1
    assert adjustment["totals"]["collected_fen"] == fares["b2"]
    assert after["payable_net_fen"] == 0  # the bus company shares no trip with anyone
    assert after["ledger_from"] == before["ledger_to"]
