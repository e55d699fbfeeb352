"""What the API refuses and how it says so: dates, names, methods, and its OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from farechain.settings import Settings
from tests.builders import rider_headers

System = tuple[TestClient, dict[str, Any], Settings]


def _tax(creds: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {creds['tax_bureau']['token']}"}


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-1-5", "yesterday"])
def test_dates_are_spelled_out(system: System, value: str) -> None:
    client, creds, _ = system
    answer = client.get("/v1/tax/invoices", params={"issued_to": value}, headers=_tax(creds))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "query.issued_to"
    assert "YYYY-MM-DD" in answer.json()["detail"]
    fine = client.get("/v1/tax/invoices", params={"issued_to": "2026-12-05"}, headers=_tax(creds))
    assert fine.status_code == 200


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("\u202e\u200bX", "U+202E"),  # right-to-left override, zero-width space
        ("Acme\u200b", "U+200B"),
        ("\u2066Acme\u2069", "U+2066"),
        ("A\u200dB", "U+200D"),
        ("\ufeffAcme", "U+FEFF"),
        ("two\nlines", "U+000A"),
    ],
)
def test_names_hold_no_invisible_or_control_characters(
    system: System, name: str, code: str
) -> None:
    client, creds, _ = system
    headers = rider_headers(creds, "r0000001")
    answer = client.post(
        "/v1/me/titles", json={"kind": "individual", "name": name}, headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "body.name"
    assert code in answer.json()["detail"]
    fine = client.post(
        "/v1/me/titles", json={"kind": "individual", "name": "张三丰"}, headers=headers
    )
    assert fine.status_code == 201, fine.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/ledger/checkpoint", "GET"),
        ("PUT", "/v1/me/trips", "GET"),
        ("GET", "/v1/devices/gate-szmc-luohu/taps", "POST"),
    ],
)
def test_a_405_names_the_allowed_methods(
    system: System, method: str, path: str, allowed: str
) -> None:
    client, _, _ = system
    answer = client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_openapi_lists_problems_and_media_types(system: System) -> None:
    client, _, _ = system
    document = client.get("/openapi.json").json()
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert "500" in answers, (method, path)
            for status, answer in answers.items():
                if status[0] in "45":
                    assert list(answer["content"]) == ["application/problem+json"], (path, status)
                elif status != "204" and not (status == "202" and "pay-now" in path):
                    assert answer.get("content"), (method, path, status)
            if operation.get("security"):
                assert "401" in answers, (method, path)
    taps = document["paths"]["/v1/devices/{device_id}/taps"]["post"]["responses"]
    assert {"401", "404", "413", "415", "422", "503"} <= set(taps)
    pdf = document["paths"]["/v1/me/invoices/{number}.pdf"]["get"]["responses"]["200"]
    assert list(pdf["content"]) == ["application/pdf"]


def test_a_phone_label_holds_no_invisible_characters(system: System) -> None:
    client, creds, _ = system
    key = "A" * 43  # 32 bytes, base64url: the label is checked first anyway
    answer = client.post(
        "/v1/me/phones",
        json={"public_key": key, "label": "my\u202ephone"},
        headers=rider_headers(creds, "r0000001"),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "body.label"
    assert "U+202E" in answer.json()["detail"]
