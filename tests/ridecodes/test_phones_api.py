"""The rider's phone routes and the public issuer key set, through the API."""

from __future__ import annotations

from typing import Any

import redis
from fastapi.testclient import TestClient

from farechain.settings import Settings
from gates import keys
from ridecodes.issuer import KeySet
from ridecodes.keyfiles import rotate_issuer_key
from ridecodes.phone import Phone
from ridecodes.verify import RideCodeVerifier
from ridecodes.wire import Category, b64url, from_b64url, parse_certificate
from tests.builders import rider_headers

System = tuple[TestClient, dict[str, Any], Settings]


def _enrol(client: TestClient, headers: dict[str, str], phone: Phone) -> Any:
    body = {"public_key": b64url(phone.public_key), "label": "my phone"}
    return client.post("/v1/me/phones", json=body, headers=headers)


def _gate(client: TestClient) -> RideCodeVerifier:
    """What an outside gate does: fetch the public key set, verify offline."""
    document = client.get("/v1/ride-codes/issuer-keys").json()
    return RideCodeVerifier(
        KeySet.from_document(document),
        window_s=document["window_s"],
        max_span_s=document["max_span_s"],
    )


def test_enrol_gives_a_certificate_an_outside_gate_accepts(system: System) -> None:
    client, creds, _ = system
    rider = creds["riders"][3]  # category student (seed order)
    phone = Phone()
    answer = _enrol(client, rider_headers(creds, rider["id"]), phone)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    certificate = parse_certificate(from_b64url(body["certificate"]))
    assert (certificate.rider, certificate.phone_key) == (rider["id"], phone.public_key)
    assert certificate.category == Category[rider["category"].upper()]
    assert body["issuer_key_id"] == certificate.issuer_key_id.hex()
    phone.certificate = from_b64url(body["certificate"])
    verified = _gate(client).verify(
        phone.code(certificate.valid_from + 600), at=certificate.valid_from + 600
    )
    assert verified.rider == rider["id"]


def test_list_renew_and_revoke(system: System, redis_client: redis.Redis) -> None:
    client, creds, _ = system
    headers = rider_headers(creds, "r0000001")
    phone_id = _enrol(client, headers, Phone()).json()["phone_id"]
    renewed = client.post(f"/v1/me/phones/{phone_id}/certificate", headers=headers)
    assert renewed.status_code == 200 and renewed.json()["phone_id"] == phone_id
    listed = client.get("/v1/me/phones", headers=headers).json()
    assert [(p["phone_id"], p["revoked_at"]) for p in listed if p["label"] == "my phone"] == [
        (phone_id, None)
    ]
    assert client.delete(f"/v1/me/phones/{phone_id}", headers=headers).status_code == 204
    # Both certificates (first and renewed) are on the gates' revocation set.
    members: Any = redis_client.zrange(keys.REVOKED_CERTIFICATES, 0, -1)
    serials = {m.decode() for m in members}
    first = parse_certificate(from_b64url(renewed.json()["certificate"])).serial.hex()
    assert first in serials and len(serials) == 2
    again = client.post(f"/v1/me/phones/{phone_id}/certificate", headers=headers)
    assert again.status_code == 409 and again.json()["reason"] == "phone_revoked"
    # Revoking twice is harmless.
    assert client.delete(f"/v1/me/phones/{phone_id}", headers=headers).status_code == 204


def test_another_riders_phone_is_not_found_and_bad_keys_are_named(system: System) -> None:
    client, creds, _ = system
    mine = _enrol(client, rider_headers(creds, "r0000001"), Phone()).json()["phone_id"]
    theirs = rider_headers(creds, "r0000002")
    for answer in (
        client.delete(f"/v1/me/phones/{mine}", headers=theirs),
        client.post(f"/v1/me/phones/{mine}/certificate", headers=theirs),
    ):
        assert answer.status_code == 404 and answer.headers["content-type"] == (
            "application/problem+json"
        )
    short = client.post(
        "/v1/me/phones", json={"public_key": "A" * 42, "label": "x"}, headers=theirs
    )
    assert short.status_code == 422 and "public_key" in short.json()["detail"]
    garbled = client.post(
        "/v1/me/phones", json={"public_key": "*" * 43, "label": "x"}, headers=theirs
    )
    assert garbled.status_code == 422 and garbled.json()["reason"] == "bad_public_key"
    assert client.get("/v1/me/phones").status_code == 401


def test_a_rotation_shows_in_the_key_set_and_new_certificates(system: System) -> None:
    client, creds, settings = system
    headers = rider_headers(creds, "r0000001")
    before = _enrol(client, headers, Phone()).json()
    new = rotate_issuer_key(
        settings.ride_issuer_key_path, settings.ride_issuer_set_path, now=0, max_span_s=1
    )
    after = client.post(f"/v1/me/phones/{before['phone_id']}/certificate", headers=headers)
    assert after.json()["issuer_key_id"] == new.key_id.hex() != before["issuer_key_id"]
    document = client.get("/v1/ride-codes/issuer-keys")
    assert document.headers["cache-control"] == "public, max-age=60"
    assert [k["key_id"] for k in document.json()["keys"]] == [
        before["issuer_key_id"],
        new.key_id.hex(),
    ]
