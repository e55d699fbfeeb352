"""An owner's receipt: the `opening` line proves the personal fields of a version-2 record."""

from __future__ import annotations

import base64

import pytest

from ledger.commitment import commit_record
from ledger.exceptions import ReceiptError
from ledger.receipt import format_receipt, parse_receipt, verify_receipt
from ledger.tree import inclusion_proof
from tests.ledger.test_ledger_receipt import LOG, RECORDS, WITNESS_KEYS, _log

CHARGE = {
    "type": "charge",
    "v": 2,
    "trip_event_id": "e7",
    "rider": "r0000007",
    "amount_fen": 300,
    "balance_after_fen": -300,
    "at": "2026-05-06T01:20:01+00:00",
}
COMMITTED = commit_record(CHARGE, bytes(16))
assert COMMITTED.opening is not None
LOGGED = [*RECORDS[:3], COMMITTED.body, *RECORDS[3:]]


def _receipt(opening: bytes | None) -> str:
    nodes, note = _log(LOGGED, [LOG])
    proof = inclusion_proof(3, len(LOGGED), nodes)
    return format_receipt(
        record=COMMITTED.body, index=3, proof=proof, checkpoint=note, opening=opening
    )


def test_the_opening_line_follows_the_record_and_opens_it() -> None:
    assert COMMITTED.opening is not None
    text = _receipt(COMMITTED.opening.to_bytes())
    lines = text.split("\n")
    assert lines[1].startswith("extra ") and lines[3] == "index 3"
    assert lines[2] == "opening " + base64.b64encode(COMMITTED.opening.to_bytes()).decode()
    assert parse_receipt(text).opening == COMMITTED.opening.to_bytes()
    verified = verify_receipt(text, LOG.verifier.vkey, WITNESS_KEYS, 2)
    assert verified.opened and verified.record == CHARGE


def test_without_an_opening_the_receipt_proves_the_public_record_only() -> None:
    verified = verify_receipt(_receipt(None), LOG.verifier.vkey, WITNESS_KEYS, 2)
    assert not verified.opened
    assert "rider" not in verified.record and isinstance(verified.record["personal"], str)


def test_a_forged_opening_is_refused() -> None:
    assert COMMITTED.opening is not None
    forged = COMMITTED.opening.to_bytes().replace(b"r0000007", b"r0000008")
    with pytest.raises(ReceiptError, match=r"opening: .*expected commitment"):
        verify_receipt(_receipt(forged), LOG.verifier.vkey, WITNESS_KEYS, 2)
    with pytest.raises(ReceiptError, match="opening"):
        verify_receipt(_receipt(b"short"), LOG.verifier.vkey, WITNESS_KEYS, 2)
