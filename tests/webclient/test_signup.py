"""Rider self-registration: a phone number, a one-time code from the server log, a token."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from farechain.settings import Settings
from gates import keys
from trips.signup import CODE_TTL_S, MAX_ATTEMPTS, normalise_phone

System = tuple[TestClient, dict[str, Any], Settings]
PHONE = "138 0013 8000"


def _code_from_log(caplog: pytest.LogCaptureFixture) -> str:
    found = re.findall(r"sign-up code for 138\*+00: ([0-9]{6})", caplog.text)
    assert found, caplog.text
    return str(found[-1])


def _ask(client: TestClient, caplog: pytest.LogCaptureFixture, phone: str = PHONE) -> str:
    with caplog.at_level(logging.WARNING):
        answer = client.post("/v1/signup/code", json={"phone": phone})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"phone": "13800138000", "expires_in_s": CODE_TTL_S}
    return _code_from_log(caplog)


def test_a_phone_and_its_code_make_a_rider_who_can_sign_in(
    system: System, caplog: pytest.LogCaptureFixture, redis_client: redis.Redis
) -> None:
    client, _, _ = system
    code = _ask(client, caplog)
    assert "13800138000" not in caplog.text  # the log shows the number masked
    answer = client.post("/v1/signup", json={"phone": PHONE, "code": code})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["created"] is True and body["token"].startswith(body["rider_id"] + ".")
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json() == {"id": body["rider_id"], "category": "adult", "balance_fen": 0}
    assert redis_client.hget(keys.RIDERS, body["rider_id"]) == b"ok"  # the edge knows them
    # The code is spent: the same request again is refused.
    again = client.post("/v1/signup", json={"phone": PHONE, "code": code})
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"


def test_signing_up_again_with_the_same_phone_is_the_same_rider_with_a_new_token(
    system: System, caplog: pytest.LogCaptureFixture, redis_client: redis.Redis
) -> None:
    client, _, _ = system
    first = client.post("/v1/signup", json={"phone": PHONE, "code": _ask(client, caplog)}).json()
    redis_client.delete(keys.signup_code(_digest_hex()))  # skip the 30 s resend wait
    second = client.post(
        "/v1/signup", json={"phone": "+86 138-0013-8000", "code": _ask(client, caplog)}
    ).json()
    assert second["rider_id"] == first["rider_id"] and second["created"] is False
    old = client.get("/v1/me", headers={"Authorization": f"Bearer {first['token']}"})
    assert old.status_code == 401
    new = client.get("/v1/me", headers={"Authorization": f"Bearer {second['token']}"})
    assert new.status_code == 200


def _digest_hex() -> str:
    return hashlib.sha256(b"farechain/phone/v1\n13800138000").hexdigest()


def test_wrong_codes_count_down_and_the_last_one_ends_the_code(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    client, _, _ = system
    code = _ask(client, caplog)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        answer = client.post("/v1/signup", json={"phone": PHONE, "code": wrong})
        assert answer.status_code == 401
        assert answer.json()["attempts_left"] == left
    last = client.post("/v1/signup", json={"phone": PHONE, "code": wrong})
    assert last.json()["attempts_left"] == 0
    # Even the right code is refused now: the rider must ask for a new one.
    assert client.post("/v1/signup", json={"phone": PHONE, "code": code}).status_code == 401


def test_a_second_code_within_30_seconds_is_refused(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    client, _, _ = system
    _ask(client, caplog)
    again = client.post("/v1/signup/code", json={"phone": PHONE})
    assert again.status_code == 429
    assert 0 < again.json()["retry_after_s"] <= 30


def test_no_code_was_asked_for(system: System) -> None:
    client, _, _ = system
    answer = client.post("/v1/signup", json={"phone": PHONE, "code": "123456"})
    assert answer.status_code == 401
    assert "no code is pending" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12800138000"}, None),  # 12 is no mobile prefix
        ({"phone": "1380013800x"}, None),
        ({"phone": "138001380001"}, None),
        ({"phone": "138"}, "body.phone"),
        ({"phone": PHONE, "extra": 1}, "body.extra"),
    ],
)
def test_a_bad_phone_number_is_a_422_naming_it(
    system: System, body: dict[str, Any], field: str | None
) -> None:
    client, _, _ = system
    answer = client.post("/v1/signup/code", json=body)
    assert answer.status_code == 422
    problem = answer.json()
    if field is None:
        assert problem["title"] == "Invalid phone number"
        assert body["phone"] in problem["detail"]
    else:
        assert field in problem["detail"]


def test_a_code_that_is_not_six_digits_is_a_422(system: System) -> None:
    client, _, _ = system
    answer = client.post("/v1/signup", json={"phone": PHONE, "code": "12a456"})
    assert answer.status_code == 422 and "body.code" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("13800138000", "13800138000"),
        ("+86 139-1234-5678", "13912345678"),
        ("0086 19912345678", "19912345678"),
    ],
)
def test_phone_numbers_are_normalised(text: str, digits: str) -> None:
    assert normalise_phone(text) == digits
