"""The operator routes and console: own side only, exports that reconcile, bad input 4xx."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from farechain.settings import Settings
from operators.csrf import LOGIN_COOKIE
from operators.models import ReconciliationLine, ReconciliationReport
from tests.operators.world import DAY, accounts, bus, local, metro, seal, settle

NEXT = DAY + dt.timedelta(days=1)
System = tuple[TestClient, dict[str, Any], Settings]


@pytest.fixture
def settled(system: System, engine: Engine) -> tuple[TestClient, dict[str, str]]:
    client, _, settings = system
    events = [
        metro("x1", "r0000001", ("szmc", "luohu"), ("mtr-sz", "qinghu"), local(DAY, 9)),
        metro("s1", "r0000002", ("szmc", "luohu"), ("szmc", "guomao"), local(DAY, 9, 30)),
        bus("b1", "r0000003", local(DAY, 10)),
    ]
    seal(engine, settings, events, local(DAY, 10, 1))
    settle(engine, settings, DAY, local(NEXT, 5))
    return client, {op: f"Bearer {token}" for op, token in accounts(engine).items()}


def _auth(tokens: dict[str, str], operator: str) -> dict[str, str]:
    return {"Authorization": tokens[operator]}


def test_an_operator_reads_its_statement_and_only_its_own(settled: Any) -> None:
    client, tokens = settled
    day = client.get(f"/v1/operators/szmc/days/{DAY}", headers=_auth(tokens, "szmc")).json()
    assert day["settled"] and day["positions"][0]["counterparty"] == "mtr-sz"
    document = client.get(
        f"/v1/operators/szmc/statements/{DAY}.json", headers=_auth(tokens, "szmc")
    )
    assert document.status_code == 200
    body = document.json()
    assert body["statement"]["operator"] == "szmc" and body["receipt"].startswith(
        "c2sp.org/tlog-proof@v1"
    )
    table = client.get(f"/v1/operators/szmc/statements/{DAY}.csv", headers=_auth(tokens, "szmc"))
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert {r["ledger_index"] for r in rows} == {str(body["ledger_index"])}
    other = client.get(f"/v1/operators/mtr-sz/statements/{DAY}.json", headers=_auth(tokens, "szmc"))
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/operators/szmc/statements").status_code == 401
    bad = client.get("/v1/operators/szmc/days/yesterday", headers=_auth(tokens, "szmc"))
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["detail"]


def _tides(client: TestClient, tokens: dict[str, str], operator: str) -> str:
    answer = client.get(
        f"/v1/operators/{operator}/trips/{DAY}.csv", headers=_auth(tokens, operator)
    )
    assert answer.status_code == 200
    return answer.text


def _upload(client: TestClient, tokens: dict[str, str], text: str | bytes) -> Any:
    return client.post(
        f"/v1/operators/szmc/reconciliations?day={DAY}",
        content=text.encode() if isinstance(text, str) else text,
        headers={**_auth(tokens, "szmc"), "Content-Type": "text/csv"},
    )


def test_the_tides_export_reconciles_and_differences_are_reported(
    settled: Any, engine: Engine
) -> None:
    client, tokens = settled
    export = _tides(client, tokens, "szmc")
    rows = list(csv.DictReader(io.StringIO(export)))
    # szmc's gates saw x1's entry (0 fen) and both taps of s1
    assert sorted((r["transaction_id"], r["fare_action"]) for r in rows) == [
        ("s1", "Exit"),
        ("s1-in", "Enter"),
        ("x1-in", "Enter"),
    ]
    assert all(r["ledger_index"] for r in rows)
    clean = _upload(client, tokens, export)
    assert clean.status_code == 201, clean.text
    assert clean.json()["counts"]["matched"] == 3
    assert _upload(client, tokens, export).json()["id"] == clean.json()["id"]

    header = "event_id,device_id,kind,at,amount_fen\n"
    s1 = next(r for r in rows if r["transaction_id"] == "s1")
    journal = header + "".join(
        [
            f"s1,{s1['device_id']},exit,{s1['event_timestamp']},1\n",  # amount differs
            f"s1,{s1['device_id']},exit,{s1['event_timestamp']},1\n",  # duplicate
            f"zz,{s1['device_id']},exit,{s1['event_timestamp']},200\n",  # never received
            f"q1,gate-mtr-sz-qinghu,exit,{s1['event_timestamp']},200\n",  # not szmc's device
            f"q2,{s1['device_id']},exit,{local(NEXT, 12).isoformat()},200\n",  # another day
        ]
    )
    report = _upload(client, tokens, journal)
    assert report.status_code == 201
    counts = report.json()["counts"]
    assert {k: v for k, v in counts.items() if v and not k.endswith("_fen")} == {
        "amount_difference": 1,
        "duplicate": 1,
        "missing_on_ledger": 1,
        "missing_in_journal": 2,
        "unknown_device": 1,
        "outside_day": 1,
    }
    again = _upload(client, tokens, journal)
    assert again.status_code == 200 and again.json() == report.json()
    lines = client.get(
        f"/v1/operators/szmc/reconciliations/{report.json()['id']}/lines?kind=amount_difference",
        headers=_auth(tokens, "szmc"),
    ).json()["lines"]
    assert (
        lines[0]["detail"]
        == f"journal 1 fen, ledger {s1['amount'].replace('.', '').lstrip('0')} fen"
    )
    assert lines[0]["ledger_index"] == int(s1["ledger_index"])
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ReconciliationReport)) == 2


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"id,fare\n1,2\n", 422, "expected the columns"),
        (b"event_id,device_id,kind,at,amount_fen\n\xff\xfe,x,y,z,1\n", 422, "expected UTF-8"),
        (b"", 422, "empty file"),
    ],
)
def test_a_bad_journal_is_a_4xx_and_nothing_is_kept(
    settled: Any, engine: Engine, body: bytes, status: int, says: str
) -> None:
    client, tokens = settled
    answer = _upload(client, tokens, body)
    assert answer.status_code == status and says in answer.json()["detail"]
    assert answer.headers["content-type"] == "application/problem+json"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ReconciliationLine)) == 0


def test_an_unsettled_day_cannot_be_reconciled(settled: Any) -> None:
    client, tokens = settled
    answer = client.post(
        f"/v1/operators/szmc/reconciliations?day={NEXT}",
        content=b"event_id,device_id,kind,at,amount_fen\n",
        headers=_auth(tokens, "szmc"),
    )
    assert answer.status_code == 409 and "settle it first" in answer.json()["detail"]


def test_the_console_signs_in_and_shows_the_day(settled: Any) -> None:
    client, tokens = settled
    assert "Operator token" in client.get("/operators/").text
    nonce = client.cookies[LOGIN_COOKIE]  # the form's double-submit value
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = client.post(
        "/operators/login", content=f"csrf={nonce}&token=nope.nope".encode(), headers=form
    )
    assert refused.status_code == 401 and "unknown" in refused.text
    nonce = client.cookies[LOGIN_COOKIE]  # each sign-in page brings a fresh one
    token = tokens["szmc"].removeprefix("Bearer ")
    signed_in = client.post(
        "/operators/login",
        content=f"csrf={nonce}&token={token}".encode(),
        headers=form,
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/operators/szmc/"
    page = client.get(f"/operators/szmc/?day={DAY}")
    assert page.status_code == 200
    assert "mtr-sz" in page.text and f"/v1/operators/szmc/trips/{DAY}.csv" in page.text
    assert client.get(f"/operators/mtr-sz/?day={DAY}").status_code == 404
    assert client.get("/operators/console.css").headers["content-type"].startswith("text/css")


RIDES = 20


def test_the_tides_export_names_the_stop_and_whether_a_cap_lowered_the_fare(
    system: System, engine: Engine
) -> None:
    client, _, settings = system
    # One adult's long rides in a day: the daily cap (25 yuan) lowers the later fares.
    rides = [
        metro(
            f"c{n}",
            "r0000001",
            ("szmc", "luohu"),
            ("szmc", "guomao"),
            local(DAY, 7) + dt.timedelta(minutes=40 * n),
        )
        for n in range(RIDES)
    ]
    seal(engine, settings, [*rides, bus("b1", "r0000003", local(DAY, 10))], local(DAY, 20))
    tokens = {op: f"Bearer {token}" for op, token in accounts(engine).items()}
    rows = {
        r["transaction_id"]: r for r in csv.DictReader(io.StringIO(_tides(client, tokens, "szmc")))
    }
    assert rows["c0-in"]["stop_id"] == "luohu" and rows["c0"]["stop_id"] == "guomao"
    assert rows["c0-in"]["fare_capped"] == ""  # an entry is priced by its exit
    capped = [rows[f"c{n}"]["fare_capped"] for n in range(RIDES)]
    assert capped[0] == "false" and capped[-1] == "true", [
        (rows[f"c{n}"]["amount"], rows[f"c{n}"]["fare_capped"]) for n in range(RIDES)
    ]
    assert capped == sorted(capped)  # once capped, capped for the rest of the day
    assert rows[f"c{RIDES - 1}"]["amount"] == "0.00"
    with Session(engine) as session:
        quotes = session.execute(
            text("SELECT event_id, quote_json FROM trips WHERE event_id LIKE 'c%'")
        ).all()
    saved = {e: json.loads(q)["cap_saved_fen"] > 0 for e, q in quotes}
    assert all((rows[e]["fare_capped"] == "true") == s for e, s in saved.items())
    bus_rows = list(csv.DictReader(io.StringIO(_tides(client, tokens, "szbus"))))
    assert [(r["transaction_id"], r["stop_id"], r["fare_capped"]) for r in bus_rows] == [
        ("b1", "", "false")
    ]
