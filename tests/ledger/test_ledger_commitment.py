"""Salted commitments to personal fields: known answers, round trips, refusals."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.commitment import (
    DOMAIN,
    PERSONAL,
    SALT_SIZE,
    Opening,
    commit_record,
    commitment,
    open_record,
)
from ledger.exceptions import RecordError
from ledger.records import decode_record, encode_record

SALT = bytes(range(16))


def _trip(rider: str = "r0000005") -> dict[str, object]:
    return {
        "type": "trip",
        "v": 2,
        "event_id": "e1",
        "rider": rider,
        "mode": "metro",
        "operator": "szmc",
        "start": {"station": "luohu", "at": "2026-05-06T01:00:00+00:00", "event_id": "e1-in"},
        "end": {"station": "guomao", "at": "2026-05-06T01:20:00+00:00", "event_id": "e1"},
        "quote": {
            "amount_fen": 400,
            "lines": [
                {"rule_id": "metro.distance", "text": "Metro 罗湖 to 国贸", "amount_fen": 400}
            ],
            "shares": [["szmc", 400]],
            "distance_m": 3100,
            "category": "adult",
        },
    }


def _invoice(buyer: Mapping[str, object]) -> dict[str, object]:
    return {
        "type": "invoice",
        "v": 2,
        "number": "26440000000000000001",
        "seller": {"id": "szmc", "name": "深圳市地铁集团有限公司", "tax_id": "91440300192"},
        "buyer": buyer,
        "rider": "r0000005",
        "trip_event_id": "e1",
        "issued_at": "2026-05-06T01:20:01+00:00",
        "issue_date": "2026-05-06",
        "total_fen": 400,
        "tax_fen": 12,
    }


def test_the_commitment_is_sha256_of_the_domain_the_salt_and_the_fields() -> None:
    personal = b'{"rider":"r1"}'
    assert DOMAIN == b"farechain/personal-fields/v1\x00"
    assert commitment(SALT, personal) == hashlib.sha256(DOMAIN + SALT + personal).hexdigest()
    # A known answer, so a change of the construction shows here and not only in receipts.
    assert commitment(SALT, personal) == (
        "9afb1c131777ddc795933cab1287979a0f83388d895b703ca45d9655d346ef7f"
    )


def test_a_trip_record_shows_no_rider_station_or_time() -> None:
    committed = commit_record(_trip(), SALT)
    public = decode_record(committed.body)
    text = committed.body.decode()
    for secret in ("r0000005", "luohu", "guomao", "罗湖", "01:20", "3100"):
        assert secret not in text
    assert public["quote"] == {"amount_fen": 400, "shares": [["szmc", 400]], "category": "adult"}
    assert public["operator"] == "szmc" and public["event_id"] == "e1"
    assert committed.opening is not None and committed.opening.subject == "r0000005"
    assert open_record(public, committed.opening) == _trip()


def test_an_individual_buyer_is_personal_a_company_is_not() -> None:
    person = {"kind": "individual", "name": "张三丰", "tax_id": None}
    committed = commit_record(_invoice(person), SALT)
    public = decode_record(committed.body)
    assert public["buyer"] == {"kind": "individual"}
    assert "张三丰" not in committed.body.decode()
    assert public["issue_date"] == "2026-05-06" and "issued_at" not in public
    assert public["seller"] == _invoice(person)["seller"] and public["total_fen"] == 400
    assert committed.opening is not None
    assert open_record(public, committed.opening) == _invoice(person)

    company = {"kind": "company", "name": "华为技术有限公司", "tax_id": "914403001922038216"}
    public = decode_record(commit_record(_invoice(company), SALT).body)
    assert public["buyer"] == company


def test_a_version_1_record_or_a_type_without_persons_is_encoded_as_it_is() -> None:
    old = {**_trip(), "v": 1}
    assert commit_record(old) == ("trip", encode_record(old), None)
    status = {"type": "invoice_status", "v": 1, "number": "1", "actor": {"kind": "company"}}
    assert commit_record(status).opening is None


def test_each_record_gets_a_fresh_salt() -> None:
    first, second = commit_record(_trip()), commit_record(_trip())
    assert first.opening is not None and second.opening is not None
    assert first.opening.salt != second.opening.salt and first.body != second.body
    assert len(first.opening.salt) == SALT_SIZE


def test_a_changed_opening_or_commitment_is_refused() -> None:
    committed = commit_record(_trip(), SALT)
    public, opening = decode_record(committed.body), committed.opening
    assert opening is not None
    other = Opening(
        opening.subject, opening.salt, opening.personal.replace(b"r0000005", b"r0000006")
    )
    with pytest.raises(RecordError, match="expected commitment"):
        open_record(public, other)
    salted = Opening(opening.subject, bytes(16), opening.personal)
    with pytest.raises(RecordError, match="expected commitment"):
        open_record(public, salted)
    with pytest.raises(RecordError, match="expected a 'personal' commitment"):
        open_record({k: v for k, v in public.items() if k != "personal"}, opening)


def test_the_opening_round_trips_through_its_receipt_bytes() -> None:
    opening = commit_record(_trip(), SALT).opening
    assert opening is not None
    assert Opening.from_bytes(opening.to_bytes()) == opening
    with pytest.raises(RecordError):
        Opening.from_bytes(SALT)


def test_every_personal_type_needs_a_rider() -> None:
    assert set(PERSONAL) == {
        "trip",
        "charge",
        "invoice",
        "credit_note",
        "payment",
        "refund",
        "payment_agreement",
    }
    with pytest.raises(RecordError, match="rider"):
        commit_record({"type": "charge", "v": 2, "amount_fen": 1}, SALT)


@given(
    rider=st.text(min_size=6, max_size=20).filter(lambda s: s.isprintable()),
    balance=st.integers(-(10**9), 10**9),
    salt=st.binary(min_size=16, max_size=16),
)
def test_any_charge_opens_to_itself_and_hides_the_rider(
    rider: str, balance: int, salt: bytes
) -> None:
    charge = {
        "type": "charge",
        "v": 2,
        "trip_event_id": "e1",
        "rider": rider,
        "amount_fen": 400,
        "balance_after_fen": balance,
        "at": "2026-05-06T01:20:01+00:00",
    }
    committed = commit_record(charge, salt)
    public = decode_record(committed.body)
    assert set(public) == {"type", "v", "trip_event_id", "amount_fen", "personal"}
    assert committed.opening is not None
    assert open_record(public, committed.opening) == charge
