"""Bad input anywhere in the e-invoicing API is a 4xx problem, never a 500."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.invoicing.api_builders import RIDER_A, company, rider, tax_headers
from tests.invoicing.conftest import System

HUGE = 10**30
NUMBER = "26440302000000000001"


def test_out_of_range_integers_are_422(system: System) -> None:
    client, creds, _ = system
    me, tax = rider(creds, RIDER_A), tax_headers(creds)
    _, buyer = company(creds)
    calls = [
        client.get(f"/v1/me/invoices/{NUMBER}/events/{HUGE}/receipt", headers=me),
        client.get(f"/v1/tax/invoices/{NUMBER}/events/-1/receipt", headers=tax),
        client.get("/v1/tax/invoices", params={"after": HUGE}, headers=tax),
        client.get("/v1/tax/invoices", params={"min_total_fen": HUGE}, headers=tax),
        client.get("/v1/companies/me/invoices", params={"after": HUGE}, headers=buyer),
        client.delete(f"/v1/me/titles/{HUGE}", headers=me),
        client.put("/v1/me/titles/default", json={"title_id": HUGE}, headers=me),
        client.post(f"/v1/me/invoices/{NUMBER}/retitle", json={"title_id": HUGE}, headers=me),
        client.get(
            "/v1/invoices/verify",
            params={"number": NUMBER, "date": "2026-01-01", "total_fen": HUGE},
        ),
    ]
    assert [c.status_code for c in calls] == [422] * len(calls), [c.text for c in calls]
    assert all(c.headers["content-type"] == "application/problem+json" for c in calls)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    number=st.text(min_size=1, max_size=30),
    suffix=st.sampled_from(["", ".xml", ".pdf", "/events", "/events/3/receipt"]),
    date=st.text(max_size=12),
    total=st.text(max_size=25),
)
def test_arbitrary_paths_and_queries_never_fail_the_server(
    system: System, number: str, suffix: str, date: str, total: str
) -> None:
    client, creds, _ = system
    path = quote(number, safe="")
    for url, headers in (
        (f"/v1/tax/invoices/{path}{suffix}", tax_headers(creds)),
        (f"/v1/me/invoices/{path}{suffix}", rider(creds, RIDER_A)),
    ):
        assert client.get(url, headers=headers).status_code < 500
    verify = client.get(
        "/v1/invoices/verify", params={"number": number, "date": date, "total_fen": total}
    )
    assert verify.status_code in (200, 422, 429)


def test_a_nul_character_anywhere_is_a_4xx_problem(system: System) -> None:
    # PostgreSQL stores no NUL in text: a NUL that reached a query used to be a 500 there.
    client, creds, _ = system
    me, tax = rider(creds, RIDER_A), tax_headers(creds)
    calls = [
        client.get("/v1/me/invoices/%00", headers=me),
        client.get("/v1/tax/invoices/a%00b.xml", headers=tax),
        client.get("/v1/tax/invoices", params={"seller_id": "op\x00"}, headers=tax),
        client.get("/v1/tax/invoices", params={"rider_id": "\x00"}, headers=tax),
        client.get(
            "/v1/invoices/verify", params={"number": "\x00", "date": "2026-01-01", "total_fen": 1}
        ),
    ]
    answers = [(c.status_code, c.headers["content-type"]) for c in calls]
    assert answers == [(422, "application/problem+json")] * len(calls)
    exported = client.post("/v1/tax/exports", json={"seller_id": "\x00"}, headers=tax)
    assert exported.status_code == 422, exported.text
    assert exported.json()["errors"][0]["field"] == "body.seller_id"


def test_a_title_name_with_control_characters_is_refused_and_not_stored(system: System) -> None:
    client, creds, _ = system
    me = rider(creds, RIDER_A)
    before = client.get("/v1/me/titles", headers=me).json()
    for name in ("Acme\x00Ltd", "line\nbreak", "\x7f"):
        answer = client.post("/v1/me/titles", json={"kind": "individual", "name": name}, headers=me)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "body.name"
        assert "expected printable one-line text" in answer.json()["detail"]
    assert client.get("/v1/me/titles", headers=me).json() == before
