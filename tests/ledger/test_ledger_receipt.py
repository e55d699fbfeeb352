"""Receipts (c2sp.org/tlog-proof@v1): format, parse and offline verification."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.exceptions import ReceiptError
from ledger.keys import KeyType, Signer
from ledger.merkle import leaf_hash
from ledger.note import cosign_note
from ledger.receipt import format_receipt, parse_receipt, verify_receipt
from ledger.records import encode_record
from ledger.tree import NodeAddr, append, inclusion_proof

ORIGIN = "farechain.example/ledger"
T0 = 1_763_700_000


def _seeded(name: str, seed: int, key_type: KeyType = KeyType.ED25519) -> Signer:
    return Signer(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), key_type)


LOG = _seeded(ORIGIN, 1)
LOG_NEXT = _seeded(ORIGIN, 2)
WITNESSES = [_seeded(f"witness{i}.example/w", 10 + i, KeyType.COSIGNATURE_V1) for i in range(2)]
WITNESS_KEYS = [w.verifier.vkey for w in WITNESSES]


def _records(count: int) -> list[bytes]:
    return [
        encode_record({"type": "trip", "v": 1, "trip_id": f"T{i:04d}", "fare_fen": 200 + i})
        for i in range(count)
    ]


def _log(records: list[bytes], signers: list[Signer]) -> tuple[dict[NodeAddr, bytes], str]:
    result = append((), 0, [leaf_hash(r) for r in records])
    note = sign_checkpoint(Checkpoint(ORIGIN, result.size, result.root), signers)
    for i, witness in enumerate(WITNESSES):
        note = cosign_note(note, witness, T0 + i)
    return dict(result.nodes), note


def _receipt(records: list[bytes], index: int, signers: list[Signer] | None = None) -> str:
    nodes, note = _log(records, signers or [LOG])
    proof = inclusion_proof(index, len(records), nodes)
    return format_receipt(record=records[index], index=index, proof=proof, checkpoint=note)


RECORDS = _records(11)
RECEIPT = _receipt(RECORDS, 6)


def test_receipt_layout() -> None:
    lines = RECEIPT.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    assert lines[1] == "extra " + base64.b64encode(RECORDS[6]).decode()
    assert lines[2] == "index 6"
    assert lines[3:7] == [
        base64.b64encode(h).decode() for h in inclusion_proof(6, 11, _log(RECORDS, [LOG])[0])
    ]
    assert lines[7] == ""
    root = append((), 0, [leaf_hash(r) for r in RECORDS]).root
    assert "\n".join(lines[8:11]) + "\n" == Checkpoint(ORIGIN, 11, root).format()
    assert lines[11] == ""
    assert lines[12].startswith(f"— {ORIGIN} ")
    assert lines[-2].startswith("— witness1.example/w ")
    assert RECEIPT.endswith("\n")


def test_parse_inverts_format() -> None:
    receipt = parse_receipt(RECEIPT)
    assert receipt.index == 6
    assert receipt.extra == RECORDS[6]
    assert len(receipt.proof) == 4
    assert receipt.checkpoint == _log(RECORDS, [LOG])[1]


def test_a_good_receipt_verifies_with_public_keys_only() -> None:
    verified = verify_receipt(RECEIPT, LOG.verifier.vkey, WITNESS_KEYS, quorum=2)
    assert verified.record == {"type": "trip", "v": 1, "trip_id": "T0006", "fare_fen": 206}
    assert verified.index == 6
    assert verified.checkpoint.size == 11
    assert [s.timestamp for s in verified.cosignatures] == [T0, T0 + 1]


def test_a_receipt_in_a_one_record_log_has_no_proof_lines() -> None:
    receipt = _receipt(RECORDS[:1], 0)
    assert "index 0\n\nfarechain.example/ledger\n1\n" in receipt
    verify_receipt(receipt, LOG.verifier.vkey)


def test_failures_name_the_check() -> None:
    with pytest.raises(ReceiptError, match=r"^checkpoint: expected a signature by one of"):
        verify_receipt(RECEIPT, LOG_NEXT.verifier.vkey)
    with pytest.raises(
        ReceiptError, match=r"^checkpoint: expected at least 3 witness cosignatures, got 2"
    ):
        verify_receipt(RECEIPT, LOG.verifier.vkey, [*WITNESS_KEYS, _third_witness()], 3)
    moved = RECEIPT.replace("\nindex 6\n", "\nindex 7\n")
    with pytest.raises(ReceiptError, match=r"^inclusion proof: expected root"):
        verify_receipt(moved, LOG.verifier.vkey)
    swapped = RECEIPT.replace(
        base64.b64encode(RECORDS[6]).decode(), base64.b64encode(RECORDS[5]).decode()
    )
    with pytest.raises(ReceiptError, match=r"^inclusion proof"):
        verify_receipt(swapped, LOG.verifier.vkey)
    without_record = "\n".join(line for line in RECEIPT.split("\n") if not line.startswith("extra"))
    with pytest.raises(ReceiptError, match="'extra' line"):
        verify_receipt(without_record, LOG.verifier.vkey)


def _third_witness() -> str:
    return _seeded("witness9.example/w", 99, KeyType.COSIGNATURE_V1).verifier.vkey


def test_a_logged_but_non_canonical_record_is_refused() -> None:
    # Even if such bytes made it into the log, a verifier must not accept them as a record.
    sloppy = b'{"type": "trip", "v": 1}'
    records = [*RECORDS[:3], sloppy]
    receipt = _receipt(records, 3)
    with pytest.raises(ReceiptError, match=r"^record: "):
        verify_receipt(receipt, LOG.verifier.vkey)


def test_old_receipts_verify_after_a_key_rotation() -> None:
    old = _receipt(RECORDS, 2, [LOG])
    during = _receipt(RECORDS, 2, [LOG, LOG_NEXT])
    new = _receipt(RECORDS, 2, [LOG_NEXT])
    both = [LOG.verifier.vkey, LOG_NEXT.verifier.vkey]
    for receipt in (old, during, new):
        verify_receipt(receipt, both)
    verify_receipt(old, LOG.verifier.vkey)
    verify_receipt(during, LOG_NEXT.verifier.vkey)


def test_bad_keys_and_quorums_are_usage_errors() -> None:
    with pytest.raises(ValueError, match="verifier key"):
        verify_receipt(RECEIPT, "not a key")
    with pytest.raises(ValueError, match="quorum"):
        verify_receipt(RECEIPT, LOG.verifier.vkey, WITNESS_KEYS, 3)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "c2sp.org/tlog-proof@v1",
        "c2sp.org/tlog-proof@v2\nindex 0\n\n",
        RECEIPT.replace("\nindex 6\n", "\nindex 06\n"),
        RECEIPT.replace("\nindex 6\n", "\n"),
        RECEIPT.split("\n\n")[0] + "\n",  # no checkpoint
    ],
)
def test_malformed_receipts_are_refused(text: str) -> None:
    with pytest.raises(ReceiptError):
        verify_receipt(text, LOG.verifier.vkey)


@given(st.integers(0, 8 * len(RECEIPT.encode()) - 1))
@settings(max_examples=300)
def test_flipping_any_bit_of_the_file_is_caught(bit: int) -> None:
    data = bytearray(RECEIPT.encode())
    data[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(ReceiptError):
        verify_receipt(bytes(data), LOG.verifier.vkey, WITNESS_KEYS, quorum=2)


@given(st.integers(0, len(RECEIPT) - 1))
def test_every_truncation_is_caught(end: int) -> None:
    with pytest.raises(ReceiptError):
        verify_receipt(RECEIPT[:end], LOG.verifier.vkey, WITNESS_KEYS, quorum=2)
