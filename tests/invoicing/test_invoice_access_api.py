"""Who may see and move which invoice: riders, buyer companies, the tax bureau."""

from __future__ import annotations

import redis
from sqlalchemy import Engine

from tests.invoicing.api_builders import (
    RIDER_A,
    RIDER_B,
    company,
    invoice_trips,
    rider,
    tax_headers,
    tree_size,
)
from tests.invoicing.conftest import System

READS = ("", ".xml", ".pdf", "/events")


def test_a_company_cannot_lock_or_read_another_buyers_invoice(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    (number,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A])
    _, owner = company(creds, 0)
    _, stranger = company(creds, 1)
    size = tree_size(client)
    for action in ("lock", "unlock", "reimburse"):
        answer = client.post(
            f"/v1/companies/me/invoices/{action}", json={"numbers": [number]}, headers=stranger
        )
        assert answer.status_code == 404, answer.text
        # The answer does not say whose invoice it is.
        assert creds["companies"][0]["tax_id"] not in answer.text
    assert tree_size(client) == size
    for suffix in (".xml", ".pdf", "/events", ""):
        url = f"/v1/companies/me/invoices/{number}{suffix}"
        assert client.get(url, headers=stranger).status_code == 404, suffix
        assert client.get(url, headers=owner).status_code == 200, suffix
    assert client.get("/v1/companies/me/invoices", headers=stranger).json()["total"] == 0
    assert client.get("/v1/companies/me/invoices", headers=owner).json()["total"] == 1
    view = client.get(f"/v1/companies/me/invoices/{number}", headers=owner).json()
    assert view["status"] == "issued" and view["locked_by"] is None


def test_a_company_cannot_claim_an_individuals_invoice(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    (number,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_B])
    for index in (0, 1):
        _, headers = company(creds, index)
        answer = client.post(
            "/v1/companies/me/invoices/lock", json={"numbers": [number]}, headers=headers
        )
        assert answer.status_code == 404


def test_a_rider_cannot_read_or_move_another_riders_invoices(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    mine, theirs = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A, RIDER_B])
    me = rider(creds, RIDER_A)
    for suffix in READS:
        assert client.get(f"/v1/me/invoices/{theirs}{suffix}", headers=me).status_code == 404
        assert client.get(f"/v1/me/invoices/{mine}{suffix}", headers=me).status_code == 200
    size = tree_size(client)
    credit = client.post(f"/v1/me/invoices/{theirs}/credit", json={"reason": "refund"}, headers=me)
    retitle = client.post(
        f"/v1/me/invoices/{theirs}/retitle",
        json={"title": {"kind": "individual", "name": "冒名"}},
        headers=me,
    )
    assert credit.status_code == retitle.status_code == 404
    assert tree_size(client) == size
    listed = client.get("/v1/me/invoices", headers=me).json()
    assert [i["number"] for i in listed] == [mine]
    # A company may not credit or re-title: those are the rider's.
    _, buyer = company(creds, 0)
    assert (
        client.post(
            f"/v1/me/invoices/{mine}/credit", json={"reason": "refund"}, headers=buyer
        ).status_code
        == 401
    )


def test_the_tax_bureau_reads_every_invoice_and_changes_none(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    numbers = invoice_trips(
        client, creds, engine, redis_client, settings, [RIDER_A, RIDER_B, "r0000003"]
    )
    tax = tax_headers(creds)
    for number in numbers:
        for suffix in READS:
            answer = client.get(f"/v1/tax/invoices/{number}{suffix}", headers=tax)
            assert answer.status_code == 200, (number, suffix)
    page = client.get("/v1/tax/invoices", headers=tax).json()
    assert [i["number"] for i in page["items"]] == numbers and page["total"] == 3
    assert {i["rider_id"] for i in page["items"]} == {RIDER_A, RIDER_B, "r0000003"}
    # Its token opens no company or rider route.
    assert (
        client.post(
            "/v1/companies/me/invoices/lock", json={"numbers": numbers[:1]}, headers=tax
        ).status_code
        == 401
    )
    assert client.get("/v1/me/invoices", headers=tax).status_code == 401


def test_no_or_wrong_tokens_are_401_problems(system: System) -> None:
    client, creds, _ = system
    tax_id, _ = company(creds, 0)
    for url in ("/v1/tax/invoices", "/v1/companies/me/invoices", "/v1/tax/anomalies"):
        for headers in ({}, {"Authorization": f"Bearer {tax_id}.forged"}, {"Authorization": "x"}):
            answer = client.get(url, headers=headers)
            assert answer.status_code == 401, (url, headers)
            assert answer.headers["content-type"] == "application/problem+json"
    # A rider token is not a company token, nor a tax bureau one.
    me = rider(creds, RIDER_A)
    assert client.get("/v1/companies/me/invoices", headers=me).status_code == 401
    assert client.get("/v1/tax/invoices", headers=me).status_code == 401
