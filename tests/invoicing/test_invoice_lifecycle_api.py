"""The invoice lifecycle through the API: every allowed and every forbidden transition.

Each allowed transition appends exactly the records it says, and each record's receipt
verifies with the log's public key; each forbidden one is a 409 that names the reason
and appends nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from invoicing.audit import check_invoices
from ledger.receipt import verify_receipt
from tests.invoicing.api_builders import (
    RIDER_A,
    company,
    invoice_trips,
    log_keys,
    rider,
    tree_size,
)
from tests.invoicing.conftest import System
from trips.audit import audit

STATES = ("issued", "locked", "reimbursed", "credited", "credit_note")
ACTIONS = ("lock", "unlock", "reimburse", "credit", "retitle")
NOT_LOCKED, LOCKED = "Invoice not locked", "Invoice locked"
REIMBURSED, CREDITED = "Invoice already reimbursed", "Invoice already credited"
IMMUTABLE = "Credit notes cannot change"
# (state, action) -> the status after it, or the title of the 409 that refuses it.
EXPECTED: dict[tuple[str, str], str] = {
    ("issued", "lock"): "locked",
    ("issued", "unlock"): NOT_LOCKED,
    ("issued", "reimburse"): NOT_LOCKED,
    ("issued", "credit"): "credited",
    ("issued", "retitle"): "credited",
    ("locked", "lock"): LOCKED,
    ("locked", "unlock"): "issued",
    ("locked", "reimburse"): "reimbursed",
    ("locked", "credit"): LOCKED,
    ("locked", "retitle"): LOCKED,
    **{("reimbursed", a): REIMBURSED for a in ACTIONS},
    **{("credited", a): CREDITED for a in ACTIONS},
    **{("credit_note", a): IMMUTABLE for a in ACTIONS},
}


class Api:
    """The three parties' calls, as the tests use them."""

    def __init__(self, client: TestClient, creds: dict[str, Any]) -> None:
        self.client = client
        self.company_id, self.company = company(creds)
        self.rider = rider(creds, RIDER_A)
        titles = client.get("/v1/me/titles", headers=self.rider).json()
        self.individual_title = next(t["id"] for t in titles if t["kind"] == "individual")

    def act(self, action: str, number: str) -> Any:
        if action in ("lock", "unlock", "reimburse"):
            return self.client.post(
                f"/v1/companies/me/invoices/{action}",
                json={"numbers": [number]},
                headers=self.company,
            )
        body = {"reason": "refund"} if action == "credit" else {"title_id": self.individual_title}
        return self.client.post(f"/v1/me/invoices/{number}/{action}", json=body, headers=self.rider)

    def status(self, number: str) -> str:
        answer = self.client.get(f"/v1/companies/me/invoices/{number}", headers=self.company)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["status"])

    def into(self, state: str, number: str) -> str:
        """Bring the issued invoice `number` into `state`; returns the number to act on."""
        steps = {
            "issued": [],
            "locked": ["lock"],
            "reimbursed": ["lock", "reimburse"],
            "credited": ["credit"],
            "credit_note": ["credit"],
        }[state]
        answer = None
        for step in steps:
            answer = self.act(step, number)
            assert answer.status_code == 200, answer.text
        if state == "credit_note":
            assert answer is not None
            return str(answer.json()["changes"][1]["number"])
        return number

    def receipt_record(self, number: str, index: int) -> dict[str, object]:
        text = self.client.get(
            f"/v1/companies/me/invoices/{number}/events/{index}/receipt", headers=self.company
        ).text
        return verify_receipt(text, log_keys(self.client)).record


def _issue(system: System, engine: Engine, redis_client: redis.Redis, count: int) -> list[str]:
    client, creds, settings = system
    return invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A] * count)


def test_every_transition_through_the_api(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    api = Api(client, creds)
    numbers = iter(_issue(system, engine, redis_client, len(EXPECTED)))
    wrong = []
    for (state, action), expected in EXPECTED.items():
        subject = api.into(state, next(numbers))
        before_status = api.status(subject)
        size = tree_size(client)
        answer = api.act(action, subject)
        if expected[0].islower():  # a status: the transition is allowed
            ok = answer.status_code == 200 and api.status(subject) == expected
        else:
            problem = answer.json()
            ok = (
                answer.status_code == 409
                and problem["title"] == expected
                and subject in problem["detail"]
                and answer.headers["content-type"] == "application/problem+json"
                and tree_size(client) == size
                and api.status(subject) == before_status
            )
        if not ok:
            wrong.append((state, action, answer.status_code, answer.text))
    assert wrong == []
    with Session(engine) as session:
        assert check_invoices(session) is None
        keys = [line for line in log_keys(client)]
        assert audit(session, verifier_keys=keys, origin=settings.ledger.origin).problem is None


def test_each_company_transition_is_a_record_whose_receipt_verifies(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    api = Api(client, creds)
    (number,) = _issue(system, engine, redis_client, 1)
    path = [("lock", "issued", "locked"), ("unlock", "locked", "issued")]
    path += [("lock", "issued", "locked"), ("reimburse", "locked", "reimbursed")]
    indexes = []
    for action, before, after in path:
        answer = api.act(action, number)
        assert answer.status_code == 200, answer.text
        (change,) = answer.json()["changes"]
        assert (change["number"], change["status"]) == (number, after)
        record = api.receipt_record(number, change["record_index"])
        assert record["type"] == "invoice_status"
        assert (record["number"], record["action"], record["from"], record["to"]) == (
            number,
            action,
            before,
            after,
        )
        assert record["actor"] == {"kind": "company", "id": api.company_id}
        indexes.append(change["record_index"])
    events = client.get(f"/v1/companies/me/invoices/{number}/events", headers=api.company).json()
    assert [e["action"] for e in events] == ["issue", "lock", "unlock", "lock", "reimburse"]
    assert [e["record_index"] for e in events[1:]] == indexes
    view = client.get(f"/v1/companies/me/invoices/{number}", headers=api.company).json()
    assert view["locked_by"] == api.company_id and view["status"] == "reimbursed"


def test_a_credit_note_reverses_in_full_and_its_receipt_verifies(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    api = Api(client, creds)
    (number,) = _issue(system, engine, redis_client, 1)
    original = client.get(f"/v1/me/invoices/{number}", headers=api.rider).json()
    answer = api.act("credit", number)
    assert answer.status_code == 200, answer.text
    credited, issued = answer.json()["changes"]
    assert (credited["number"], credited["status"]) == (number, "credited")
    assert issued["status"] == "issued" and issued["record_index"] == credited["record_index"]
    note = client.get(f"/v1/me/invoices/{issued['number']}", headers=api.rider).json()
    assert note["kind"] == "credit_note" and note["original_number"] == number
    for field in ("total_fen", "base_fen", "tax_fen", "rate_bp", "seller_id", "buyer_tax_id"):
        assert note[field] == original[field], field
    assert note["check_code"] != original["check_code"]
    receipt = client.get(
        f"/v1/me/invoices/{number}/events/{credited['record_index']}/receipt", headers=api.rider
    ).text
    record = verify_receipt(receipt, log_keys(client)).record
    assert record["type"] == "credit_note" and record["reason"] == "refund"
    assert record["original_number"] == number and record["number"] == issued["number"]
    # Crediting twice is refused with the reason.
    again = api.act("credit", number)
    assert again.status_code == 409 and again.json()["title"] == CREDITED


def test_retitling_is_a_credit_note_and_a_new_invoice_in_one_block(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    api = Api(client, creds)
    (number,) = _issue(system, engine, redis_client, 1)
    size = tree_size(client)
    answer = api.act("retitle", number)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["tree_size"] == size + 2
    _, note, new = result["changes"]
    assert new["record_index"] == note["record_index"] + 1
    fresh = client.get(f"/v1/me/invoices/{new['number']}", headers=api.rider).json()
    old = client.get(f"/v1/me/invoices/{number}", headers=api.rider).json()
    assert (fresh["buyer_kind"], fresh["buyer_name"], fresh["buyer_tax_id"]) == (
        "individual",
        "张三",
        None,
    )
    assert old["buyer_tax_id"] == api.company_id and old["status"] == "credited"
    assert fresh["trip_event_id"] == old["trip_event_id"]
    assert fresh["total_fen"] == old["total_fen"] and fresh["kind"] == "invoice"
    assert len({fresh["check_code"], old["check_code"]}) == 2
    # Numbers continue the seller's sequence: credit note, then the new invoice.
    assert int(new["number"]) == int(note["number"]) + 1
    # The same title again is refused, and an unknown title is not found.
    again = client.post(
        f"/v1/me/invoices/{new['number']}/retitle",
        json={"title_id": api.individual_title},
        headers=api.rider,
    )
    assert again.status_code == 422 and "title other than" in again.json()["detail"]
    missing = client.post(
        f"/v1/me/invoices/{new['number']}/retitle", json={"title_id": 999}, headers=api.rider
    )
    assert missing.status_code == 404 and missing.json()["title"] == "Invoice title not found"


def test_a_batch_is_all_or_nothing_and_one_block(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    api = Api(client, creds)
    numbers = _issue(system, engine, redis_client, 4)
    done = api.into("reimbursed", numbers[3])
    size = tree_size(client)

    def lock(batch: list[str]) -> Any:
        return client.post(
            "/v1/companies/me/invoices/lock", json={"numbers": batch}, headers=api.company
        )

    refused = lock([numbers[0], numbers[1], done])
    assert refused.status_code == 409 and done in refused.json()["detail"]
    assert tree_size(client) == size
    assert [api.status(n) for n in numbers[:3]] == ["issued"] * 3
    answer = lock(numbers[:3])
    assert answer.status_code == 200, answer.text
    indexes = [c["record_index"] for c in answer.json()["changes"]]
    assert indexes == list(range(size, size + 3))
    assert answer.json()["tree_size"] == size + 3
    assert [api.status(n) for n in numbers[:3]] == ["locked"] * 3


def test_malformed_batches_are_422_problems(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    api = Api(client, creds)
    (number,) = _issue(system, engine, redis_client, 1)
    post: Callable[[object], Any] = lambda body: client.post(  # noqa: E731
        "/v1/companies/me/invoices/lock", json=body, headers=api.company
    )
    for body, field in (
        ({"numbers": []}, "numbers"),
        ({"numbers": ["123"]}, "numbers.0"),
        ({"numbers": [number], "extra": 1}, "extra"),
        ({}, "numbers"),
    ):
        answer = post(body)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
        assert any(e["field"].endswith(field) for e in answer.json()["errors"]), answer.text
    twice = post({"numbers": [number, number]})
    assert twice.status_code == 422 and f"got {number} twice" in twice.json()["detail"]
    assert post({"numbers": [number] * 1001}).status_code == 422
    bad_reason = client.post(
        f"/v1/me/invoices/{number}/credit", json={"reason": "retitle"}, headers=api.rider
    )
    assert bad_reason.status_code == 422
    both = client.post(
        f"/v1/me/invoices/{number}/retitle",
        json={"title_id": api.individual_title, "title": {"kind": "individual", "name": "x"}},
        headers=api.rider,
    )
    assert both.status_code == 422 and "exactly one" in both.json()["detail"]
    assert api.status(number) == "issued"


def test_receipts_only_for_the_invoices_own_records(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, _ = system
    api = Api(client, creds)
    first, second = _issue(system, engine, redis_client, 2)
    lock = api.act("lock", second).json()["changes"][0]["record_index"]
    answer = client.get(
        f"/v1/companies/me/invoices/{first}/events/{lock}/receipt", headers=api.company
    )
    assert answer.status_code == 404
    own = client.get(
        f"/v1/companies/me/invoices/{second}/events/{lock}/receipt", headers=api.company
    )
    record = verify_receipt(own.text, log_keys(client)).record
    assert record["number"] == second
    assert base64.b64decode(own.text.splitlines()[1].split()[1])  # the extra line: the record
