"""A rider's invoice titles through the API, and the default title on later trips."""

from __future__ import annotations

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from invoicing.accounts import register_company
from invoicing.uscc import uscc_check_char
from tests.invoicing.api_builders import RIDER_B, invoice_trips, rider
from tests.invoicing.conftest import System

TENCENT = ("腾讯科技（深圳）有限公司", "91440300708461136T")  # noqa: RUF001


def test_add_list_choose_and_remove_titles(system: System) -> None:
    client, creds, _ = system
    headers = rider(creds, "r0000003")
    assert client.get("/v1/me/titles", headers=headers).json() == []
    added = client.post(
        "/v1/me/titles",
        json={"kind": "company", "name": TENCENT[0], "tax_id": TENCENT[1], "is_default": True},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    company = added.json()
    assert (company["kind"], company["tax_id"], company["is_default"]) == (
        "company",
        TENCENT[1],
        True,
    )
    person = client.post(
        "/v1/me/titles", json={"kind": "individual", "name": "李四"}, headers=headers
    ).json()
    assert person["is_default"] is False
    chosen = client.put("/v1/me/titles/default", json={"title_id": person["id"]}, headers=headers)
    assert chosen.status_code == 200 and chosen.json()["id"] == person["id"]
    listed = client.get("/v1/me/titles", headers=headers).json()
    assert [(t["id"], t["is_default"]) for t in listed] == [
        (company["id"], False),
        (person["id"], True),
    ]
    cleared = client.put("/v1/me/titles/default", json={"title_id": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json() is None
    assert not any(t["is_default"] for t in client.get("/v1/me/titles", headers=headers).json())
    assert client.delete(f"/v1/me/titles/{company['id']}", headers=headers).status_code == 204
    assert [t["id"] for t in client.get("/v1/me/titles", headers=headers).json()] == [person["id"]]


def test_a_bad_check_character_is_422_with_the_expected_one(system: System) -> None:
    client, creds, _ = system
    code17 = TENCENT[1][:17]
    wrong = code17 + ("0" if uscc_check_char(code17) != "0" else "1")
    answer = client.post(
        "/v1/me/titles",
        json={"kind": "company", "name": TENCENT[0], "tax_id": wrong},
        headers=rider(creds, "r0000003"),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["expected_check_character"] == "T" and problem["code"] == wrong
    assert "expected check character 'T'" in problem["detail"]


def test_invalid_titles_are_422_problems(system: System) -> None:
    client, creds, _ = system
    headers = rider(creds, "r0000003")
    for body, words in (
        ({"kind": "company", "name": "某公司"}, "expected a tax_id"),
        ({"kind": "individual", "name": "王五", "tax_id": TENCENT[1]}, "expected no tax_id"),
        ({"kind": "company", "name": "x", "tax_id": "9144"}, "expected 18 characters"),
        ({"kind": "company", "name": "x", "tax_id": "91440300708461136t"}, "got 't'"),
        ({"kind": "company", "name": "x", "tax_id": "914403007o8461136T"}, "position 10"),
        ({"kind": "individual", "name": "a\nb"}, "printable"),
        ({"kind": "individual", "name": "   "}, "non-empty"),
        ({"kind": "alien", "name": "x"}, "kind"),
        ({"kind": "individual", "name": "x", "colour": "red"}, "colour"),
    ):
        answer = client.post("/v1/me/titles", json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert words in answer.text, (body, answer.text)
    assert client.get("/v1/me/titles", headers=headers).json() == []


def test_a_rider_cannot_touch_another_riders_titles(system: System) -> None:
    client, creds, _ = system
    theirs = client.get("/v1/me/titles", headers=rider(creds, RIDER_B)).json()
    mine = rider(creds, "r0000003")
    answer = client.put("/v1/me/titles/default", json={"title_id": theirs[0]["id"]}, headers=mine)
    assert answer.status_code == 404 and answer.json()["title"] == "Invoice title not found"
    assert client.delete(f"/v1/me/titles/{theirs[0]['id']}", headers=mine).status_code == 404
    assert client.get("/v1/me/titles", headers=rider(creds, RIDER_B)).json() == theirs
    assert client.get("/v1/me/titles").status_code == 401


def test_the_default_title_is_the_buyer_of_later_trips(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    headers = rider(creds, RIDER_B)
    (before,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_B])
    saved = client.get("/v1/me/titles", headers=headers).json()[0]
    assert (
        client.put(
            "/v1/me/titles/default", json={"title_id": saved["id"]}, headers=headers
        ).status_code
        == 200
    )
    (after,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_B])
    old = client.get(f"/v1/me/invoices/{before}", headers=headers).json()
    new = client.get(f"/v1/me/invoices/{after}", headers=headers).json()
    assert (old["buyer_kind"], old["buyer_tax_id"]) == ("individual", None)
    assert (new["buyer_kind"], new["buyer_name"], new["buyer_tax_id"]) == (
        "company",
        saved["name"],
        saved["tax_id"],
    )


def test_a_registered_companys_title_must_carry_its_registered_name(system: System) -> None:
    client, creds, _ = system
    registered = creds["companies"][0]  # registered by the demo world with its name
    headers = rider(creds, "r0000003")
    answer = client.post(
        "/v1/me/titles",
        json={"kind": "company", "name": "深圳市别名公司", "tax_id": registered["tax_id"]},
        headers=headers,
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["title"] == "Company name does not match its tax ID"
    assert (problem["tax_id"], problem["name"], problem["registered_name"]) == (
        registered["tax_id"],
        "深圳市别名公司",
        registered["name"],
    )
    assert "深圳市别名公司" in problem["detail"] and registered["name"] in problem["detail"]
    assert client.get("/v1/me/titles", headers=headers).json() == []


def test_the_registered_name_is_matched_across_widths_and_spaces(
    system: System, engine: Engine
) -> None:
    client, creds, _ = system
    with Session(engine) as session:
        register_company(session, tax_id=TENCENT[1], name=TENCENT[0])
        session.commit()
    typed = "腾讯科技 (深圳) 有限公司"  # half-width brackets and spaces, as typed on a phone
    answer = client.post(
        "/v1/me/titles",
        json={"kind": "company", "name": typed, "tax_id": TENCENT[1]},
        headers=rider(creds, "r0000003"),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == TENCENT[0]  # stored as registered
    # A code nobody registered is taken with the name given.
    unknown = client.post(
        "/v1/me/titles",
        json={"kind": "company", "name": "小米科技有限责任公司", "tax_id": "91110108551385082Q"},
        headers=rider(creds, "r0000003"),
    )
    assert unknown.status_code == 201


def test_a_retitle_to_a_wrong_name_is_refused_and_changes_nothing(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    (number,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_B])
    registered = creds["companies"][1]
    size = client.get("/v1/ledger/blocks").json()[0]["tree_size"]
    answer = client.post(
        f"/v1/me/invoices/{number}/retitle",
        json={"title": {"kind": "company", "name": "冒名公司", "tax_id": registered["tax_id"]}},
        headers=rider(creds, RIDER_B),
    )
    assert answer.status_code == 422
    assert answer.json()["registered_name"] == registered["name"]
    assert client.get("/v1/ledger/blocks").json()[0]["tree_size"] == size
