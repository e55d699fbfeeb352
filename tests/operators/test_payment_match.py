"""Payments captured against fares, in the reconciliation report: known answers on a
hand-made day (paid, declined for want of an agreement, free, not yet sent), and the
classification of each case."""

from __future__ import annotations

import csv
import datetime as dt
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from farechain.payments_setup import make_policy, make_sandbox
from farechain.settings import PaymentSettings, Settings
from operators.deps import COOKIE
from operators.payment_match import classify, match_payments
from payments.service import sign_agreements
from payments.worker import PaymentWorker
from tests.operators.world import DAY, accounts, local, metro, seal, settle, writer_of
from trips.models import Trip

NEXT = DAY + dt.timedelta(days=1)
System = tuple[TestClient, dict[str, Any], Settings]


@pytest.mark.parametrize(
    ("fare", "status", "paid", "reason", "kind"),
    [
        (300, "captured", 300, None, "captured"),
        (300, "captured", 200, None, "amount_differs"),
        (300, "written_off", None, "paid_otherwise", "paid_otherwise"),
        (300, "written_off", None, "retries_exhausted", "written_off"),
        (300, "declined", None, "no_agreement", "declined"),
        (300, "pending", None, None, "in_flight"),
        (300, "new", None, None, "in_flight"),
        (300, None, None, None, "no_payment"),
        (0, None, None, None, "free"),
    ],
)
def test_each_case_has_its_kind(
    fare: int, status: str | None, paid: int | None, reason: str | None, kind: str
) -> None:
    assert classify(fare, status, paid, reason) == kind


def _pay(client: TestClient, engine: Engine, settings: Settings, riders: list[str]) -> None:
    """Sign `riders` up and run the payments worker until every charged trip is settled."""
    quiet = PaymentSettings(
        sandbox_decline_rate=0.0,
        sandbox_latency_ms=0,
        sandbox_webhook_delay_ms=0,
        sandbox_duplicate_rate=0.0,
        sandbox_loss_rate=0.0,
    )
    settings = settings.model_copy(update={"payments": quiet})
    sandbox = make_sandbox(settings, engine)
    with Session(engine) as session:
        sign_agreements(
            session, writer_of(settings), sandbox, rider_ids=riders, now=datetime.now(UTC)
        )

    def deliver(body: bytes, headers: dict[str, str]) -> int:
        return client.post(
            "/v1/payments/webhooks/sandbox", content=body, headers=headers
        ).status_code

    worker = PaymentWorker(
        engine,
        writer_of(settings),
        sandbox,
        make_policy(settings),
        pump=lambda: sandbox.pump(deliver),
    )
    for _ in range(8):
        busy = worker.run_once(datetime.now(UTC)).busy
        if not (sandbox.pump(deliver) or busy):
            return


def test_the_report_sets_payments_beside_fares(system: System, engine: Engine) -> None:
    client, _, settings = system
    rides = [  # all sold by szmc: they end on its line
        metro("p1", "r0000001", ("szmc", "luohu"), ("szmc", "guomao"), local(DAY, 8)),
        metro("p2", "r0000001", ("szmc", "guomao"), ("szmc", "luohu"), local(DAY, 18)),
        metro("d1", "r0000002", ("szmc", "luohu"), ("szmc", "guomao"), local(DAY, 9)),
        metro("f1", "r0000004", ("szmc", "luohu"), ("szmc", "guomao"), local(DAY, 10)),
        metro("o1", "r0000003", ("szmc", "luohu"), ("mtr-sz", "qinghu"), local(DAY, 11)),
    ]
    seal(engine, settings, rides, local(DAY, 19))
    _pay(client, engine, settings, ["r0000001", "r0000003"])  # r0000002 never signed
    late = metro("n1", "r0000001", ("szmc", "luohu"), ("szmc", "guomao"), local(DAY, 20))
    seal(engine, settings, [late], local(DAY, 21))  # charged, no payment made yet
    settle(engine, settings, DAY, local(NEXT, 6))
    with Session(engine) as session:
        fares = {e: f for e, f in session.execute(select(col(Trip.event_id), col(Trip.fare_fen)))}
    assert fares["f1"] == 0 and all(fares[e] > 0 for e in ("p1", "p2", "d1", "n1"))

    tokens = {op: f"Bearer {token}" for op, token in accounts(engine).items()}
    auth = {"Authorization": tokens["szmc"]}
    export = client.get(f"/v1/operators/szmc/trips/{DAY}.csv", headers=auth).text
    uploaded = client.post(
        f"/v1/operators/szmc/reconciliations?day={DAY}",
        content=export.encode(),
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 201, uploaded.text
    section = uploaded.json()["payments"]
    mine = ("p1", "p2", "d1", "f1", "n1")  # o1 ends on mtr-sz's line: not szmc's to collect
    assert section["trips"] == len(mine)
    assert section["fares_fen"] == sum(fares[e] for e in mine)
    assert section["captured_fen"] == fares["p1"] + fares["p2"]
    assert section["uncollected_fen"] == fares["d1"] + fares["n1"]
    assert {k: v for k, v in section["counts"].items() if v} == {
        "captured": 2,
        "declined": 1,
        "free": 1,
        "no_payment": 1,
    }
    lines = {line["trip_event_id"]: line for line in section["lines"]}
    assert sorted(lines) == ["d1", "n1"]
    assert lines["d1"]["payment_index"] is not None and lines["n1"]["payment_index"] is None
    assert all(isinstance(line["ledger_index"], int) for line in lines.values())
    report_id = uploaded.json()["id"]
    again = client.get(f"/v1/operators/szmc/reconciliations/{report_id}", headers=auth).json()
    assert again["payments"] == section
    # mtr-sz collects o1's fare: its own section says it was captured.
    with Session(engine) as session:
        other = match_payments(
            session, operator="mtr-sz", day=DAY, cut_min=270, ledger_to=again["ledger_to"]
        )
    assert (other.trips, other.counts["captured"]) == (1, 1)
    client.cookies.set(COOKIE, tokens["szmc"].removeprefix("Bearer "))  # as the console signs in
    page = client.get(f"/operators/szmc/reconciliations/{report_id}")
    assert "Payments against fares" in page.text and "d1" in page.text
    rows = list(csv.DictReader(io.StringIO(export)))
    assert {r["transaction_id"] for r in rows} >= {"p1", "d1", "f1", "n1"}


def test_a_long_day_keeps_the_counts_and_only_some_lines(system: System, engine: Engine) -> None:
    _, _, settings = system
    rides = [
        metro(f"u{n}", f"r00000{10 + n:02d}", ("szmc", "luohu"), ("szmc", "guomao"),
              local(DAY, 8) + dt.timedelta(minutes=n))
        for n in range(12)
    ]  # fmt: skip
    seal(engine, settings, rides, local(DAY, 19))
    settle(engine, settings, DAY, local(NEXT, 6))
    with Session(engine) as session:
        found = match_payments(
            session, operator="szmc", day=DAY, cut_min=270, ledger_to=10**9, max_lines=5
        )
    charged = found.trips - found.counts["free"]
    assert found.counts["no_payment"] == charged and charged > 5
    assert len(found.lines) == 5 and found.lines_left_out == charged - 5
