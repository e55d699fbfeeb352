"""Public verification: number + date + total (+ check code) → valid, status, receipts."""

from __future__ import annotations

from typing import Any, cast

import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from invoicing.ratelimit import KEY_PREFIX, VerifyLimits
from ledger.receipt import verify_receipt
from tests.invoicing.api_builders import RIDER_A, company, invoice_trips, log_keys, rider
from tests.invoicing.conftest import System


def _query(invoice: dict[str, Any], **changes: Any) -> dict[str, Any]:
    query: dict[str, Any] = {
        "number": invoice["number"],
        "date": invoice["issue_date"],
        "total_fen": invoice["total_fen"],
    }
    query.update(changes)
    return query


def _invoice(client: TestClient, creds: dict[str, Any], number: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/me/invoices/{number}", headers=rider(creds, RIDER_A)).json())


def test_a_genuine_invoice_verifies_with_its_receipts(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    (number,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A])
    invoice = _invoice(client, creds, number)
    for extra in ({}, {"check": invoice["check_code"][-6:]}, {"check": invoice["check_code"]}):
        answer = client.get("/v1/invoices/verify", params=_query(invoice, **extra))
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["valid"] is True and result["status"] == "issued"
        assert result["status_receipt"] is None
        verified = verify_receipt(result["receipt"], log_keys(client))
        record = verified.record
        assert record["number"] == number and record["type"] == "invoice"
        # Anyone may ask: the receipt proves the public record, and opens no one's data.
        assert not verified.opened and "rider" not in record and "issued_at" not in record
        assert record["total_fen"] == invoice["total_fen"] and "tax_fen" in record
        seller: Any = record["seller"]
        assert seller["name"] == result["seller_name"]
    # After a lock the status says so, and a second receipt proves the change.
    _, headers = company(creds)
    client.post("/v1/companies/me/invoices/lock", json={"numbers": [number]}, headers=headers)
    locked = client.get("/v1/invoices/verify", params=_query(invoice)).json()
    assert locked["status"] == "locked"
    change = verify_receipt(locked["status_receipt"], log_keys(client)).record
    assert (change["type"], change["to"], change["number"]) == ("invoice_status", "locked", number)
    assert locked["status_record_index"] > locked["record_index"]


def test_anything_wrong_is_simply_not_valid(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    (number,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A])
    invoice = _invoice(client, creds, number)
    other_check = f"{(int(invoice['check_code'][-6:]) + 1) % 10**6:06d}"
    for changes in (
        {"total_fen": invoice["total_fen"] + 1},
        {"date": "2001-01-01"},
        {"check": other_check},
        {"number": "26" + "9" * 18},
        {"leaf": "00" * 32},
    ):
        answer = client.get("/v1/invoices/verify", params=_query(invoice, **changes))
        assert answer.status_code == 200
        assert answer.json() == {
            "valid": False,
            "number": _query(invoice, **changes)["number"],
            **dict.fromkeys(
                (
                    "kind",
                    "status",
                    "seller_name",
                    "issue_date",
                    "total_fen",
                    "record_index",
                    "receipt",
                    "status_record_index",
                    "status_receipt",
                )
            ),
        }, changes


def test_malformed_queries_are_422_problems(system: System) -> None:
    client, _, _ = system
    good: dict[str, Any] = {
        "number": "2644" + "0" * 15 + "1",
        "date": "2026-03-01",
        "total_fen": 200,
    }
    changes: dict[str, Any]
    for changes in (
        {"number": "123"},
        {"date": "yesterday"},
        {"total_fen": -1},
        {"check": "12345"},
        {"leaf": "xyz"},
    ):
        answer = client.get("/v1/invoices/verify", params={**good, **changes})
        assert answer.status_code == 422, changes
        assert answer.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/invoices/verify", params={"number": good["number"]}).status_code == 422


def test_verification_is_rate_limited_per_invoice_and_per_client(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    first, second = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A, RIDER_A])
    cast(FastAPI, client.app).state.verify_limits = VerifyLimits(
        per_invoice=3, per_client=5, window_s=60
    )
    one, two = _invoice(client, creds, first), _invoice(client, creds, second)
    answers = [client.get("/v1/invoices/verify", params=_query(one)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    problem = answers[-1].json()
    assert problem["title"] == "Too many requests" and 1 <= problem["retry_after_s"] <= 60
    assert f"invoice {first}" in problem["detail"]
    # Another invoice still verifies, until the client's own limit is spent.
    assert client.get("/v1/invoices/verify", params=_query(two)).status_code == 200
    limited = client.get("/v1/invoices/verify", params=_query(two))
    assert limited.status_code == 429 and "one client" in limited.json()["detail"]
    keys = [k.decode() for k in redis_client.scan_iter(f"{KEY_PREFIX}:*")]
    assert len(keys) == 3 and all(0 < int(redis_client.ttl(k)) <= 120 for k in keys)
