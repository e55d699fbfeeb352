"""The tax bureau's search, VAT totals and anomaly report, against what the rows say."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.models import Invoice
from tests.invoicing.api_builders import (
    RIDER_A,
    RIDER_B,
    company,
    invoice_trips,
    rider,
    tax_headers,
)
from tests.invoicing.conftest import System

# No senior (r0000004): a senior rides free and gets no invoice.
RIDERS = [RIDER_A, RIDER_B, "r0000003", RIDER_A, "r0000006", RIDER_B, RIDER_A, "r0000005"]


def _world(system: System, engine: Engine, redis_client: redis.Redis) -> list[Invoice]:
    """Eight trips, one credited, one retitled, one locked; every row, in ledger order."""
    client, creds, settings = system
    numbers = invoice_trips(client, creds, engine, redis_client, settings, RIDERS)
    me = rider(creds, RIDER_A)
    client.post(f"/v1/me/invoices/{numbers[0]}/credit", json={"reason": "refund"}, headers=me)
    client.post(
        f"/v1/me/invoices/{numbers[1]}/retitle",
        json={"title": {"kind": "individual", "name": "赵六"}},
        headers=rider(creds, RIDER_B),
    )
    _, buyer = company(creds)
    client.post("/v1/companies/me/invoices/lock", json={"numbers": [numbers[3]]}, headers=buyer)
    with Session(engine) as session:
        rows = list(session.scalars(select(Invoice).order_by(col(Invoice.record_index))))
        session.expunge_all()
    assert len(rows) == 11
    return rows


def _search(client: TestClient, creds: dict[str, Any], **params: Any) -> list[str]:
    numbers: list[str] = []
    after = None
    total = None
    while True:
        query = {**params, "limit": 3, **({"after": after} if after is not None else {})}
        answer = client.get("/v1/tax/invoices", params=query, headers=tax_headers(creds))
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert total in (None, page["total"])  # the count ignores the cursor
        total = page["total"]
        numbers += [item["number"] for item in page["items"]]
        if page["next_after"] is None:
            assert len(numbers) == total
            return numbers
        after = page["next_after"]


def test_search_filters_and_pages_in_ledger_order(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    rows = _world(system, engine, redis_client)
    today = rows[0].issue_date
    buyer = company(creds)[0]
    median = sorted(r.total_fen for r in rows)[len(rows) // 2]
    cases: list[tuple[dict[str, object], list[Invoice]]] = [
        ({}, rows),
        ({"seller_id": rows[0].seller_id}, [r for r in rows if r.seller_id == rows[0].seller_id]),
        ({"buyer_tax_id": buyer}, [r for r in rows if r.buyer_tax_id == buyer]),
        ({"rider_id": RIDER_B}, [r for r in rows if r.rider_id == RIDER_B]),
        ({"status": "credited"}, [r for r in rows if r.status == "credited"]),
        ({"status": "locked"}, [r for r in rows if r.status == "locked"]),
        ({"kind": "credit_note"}, [r for r in rows if r.kind == "credit_note"]),
        ({"min_total_fen": median}, [r for r in rows if r.total_fen >= median]),
        ({"max_total_fen": median}, [r for r in rows if r.total_fen <= median]),
        ({"issued_from": today, "issued_to": today}, rows),
        ({"issued_from": str(date.fromisoformat(today) + timedelta(days=1))}, []),
        (
            {"kind": "invoice", "status": "issued", "buyer_tax_id": buyer},
            [
                r
                for r in rows
                if r.kind == "invoice" and r.status == "issued" and r.buyer_tax_id == buyer
            ],
        ),
    ]
    for params, expected in cases:
        assert _search(client, creds, **params) == [r.number for r in expected], params
    assert len([r for r in rows if r.status == "credited"]) == 2
    assert len([r for r in rows if r.kind == "credit_note"]) == 2


def test_a_new_invoice_lands_after_every_cursor(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    first = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A, RIDER_B])
    page = client.get("/v1/tax/invoices", params={"limit": 1}, headers=tax_headers(creds)).json()
    assert [i["number"] for i in page["items"]] == first[:1] and page["total"] == 2
    later = invoice_trips(client, creds, engine, redis_client, settings, ["r0000003"])
    rest = client.get(
        "/v1/tax/invoices", params={"after": page["next_after"]}, headers=tax_headers(creds)
    ).json()
    assert [i["number"] for i in rest["items"]] == first[1:] + later
    assert rest["total"] == 3 and rest["next_after"] is None


def test_bad_searches_are_422_problems(system: System) -> None:
    client, creds, _ = system
    tax = tax_headers(creds)
    for params, words in (
        ({"issued_from": "2026-03-02", "issued_to": "2026-03-01"}, "issued_from <= issued_to"),
        ({"min_total_fen": 500, "max_total_fen": 100}, "min_total_fen <= max_total_fen"),
        ({"selller_id": "szmc"}, "selller_id"),
        ({"status": "lost"}, "status"),
        ({"limit": 0}, "limit"),
        ({"issued_from": "March"}, "issued_from"),
    ):
        answer = client.get("/v1/tax/invoices", params=params, headers=tax)
        assert answer.status_code == 422, params
        assert words in answer.text, (params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert (
        client.get("/v1/tax/vat-totals", params={"period": "week"}, headers=tax).status_code == 422
    )


def test_vat_totals_per_seller_period_rate_and_kind(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    rows = _world(system, engine, redis_client)
    for period, width in (("day", 10), ("month", 7)):
        expected: dict[tuple[str, str, int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for r in rows:
            sign = -1 if r.kind == "credit_note" else 1
            key = (r.seller_id, r.issue_date[:width], r.rate_bp, "credit" if sign < 0 else "normal")
            sums = expected[key]
            sums[0] += 1
            sums[1] += sign * r.total_fen
            sums[2] += sign * r.base_fen
            sums[3] += sign * r.tax_fen
        answer = client.get(
            "/v1/tax/vat-totals", params={"period": period}, headers=tax_headers(creds)
        )
        assert answer.status_code == 200, answer.text
        got = {
            (t["seller_id"], t["period"], t["rate_bp"], t["kind"]): [
                t["documents"],
                t["total_fen"],
                t["base_fen"],
                t["tax_fen"],
            ]
            for t in answer.json()
        }
        assert got == dict(expected), period
        credit = [v for k, v in got.items() if k[3] == "credit"]
        assert sum(v[0] for v in credit) == 2 and all(v[1] <= 0 for v in credit)
    seller = rows[0].seller_id
    only = client.get(
        "/v1/tax/vat-totals", params={"seller_id": seller}, headers=tax_headers(creds)
    ).json()
    assert {t["seller_id"] for t in only} == {seller}


def test_the_anomaly_report_finds_each_kind(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    rows = _world(system, engine, redis_client)
    tax = tax_headers(creds)
    assert client.get("/v1/tax/anomalies", headers=tax).json() == []
    note = next(r for r in rows if r.kind == "credit_note")
    plain = [r for r in rows if r.kind == "invoice" and r.status == "issued"]
    other = company(creds, 1)[0]
    copy = plain[0].model_dump()
    copy.update(number=plain[0].number[:8] + "000000000099", record_index=10_000)
    with Session(engine) as session:
        session.add(Invoice(**copy))
        session.execute(
            update(Invoice)
            .where(col(Invoice.number) == note.number)
            .values(total_fen=note.total_fen + 1)
        )
        session.execute(
            update(Invoice)
            .where(col(Invoice.number) == plain[1].number)
            .values(status="locked", locked_by=other)
        )
        session.execute(
            update(Invoice)
            .where(col(Invoice.number) == plain[2].number)
            .values(issued_at=datetime.now(UTC) + timedelta(days=2))
        )
        session.commit()
    found = {a["kind"]: a for a in client.get("/v1/tax/anomalies", headers=tax).json()}
    assert sorted(found) == [
        "credit_exceeds_invoice",
        "future_date",
        "locked_by_other_company",
        "numbering_gap",
        "trip_invoiced_twice",
    ]
    assert set(found["trip_invoiced_twice"]["numbers"]) == {plain[0].number, copy["number"]}
    assert found["credit_exceeds_invoice"]["numbers"][0] == note.original_number
    assert note.number in found["credit_exceeds_invoice"]["numbers"]
    assert found["locked_by_other_company"]["numbers"] == [plain[1].number]
    assert other in found["locked_by_other_company"]["detail"]
    assert found["future_date"]["numbers"] == [plain[2].number]
    assert found["numbering_gap"]["numbers"] == [copy["number"]]
    assert "expected sequences 1..99" in found["numbering_gap"]["detail"]
