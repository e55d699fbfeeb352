"""Checkpoints (c2sp.org/tlog-checkpoint) and witness cosignatures (c2sp.org/tlog-cosignature)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from ledger.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from ledger.cosignature import cosign, cosignature_message, open_cosignature
from ledger.exceptions import CheckpointError, NoteError
from ledger.keys import KeyType, Signer
from ledger.note import (
    NoteSignature,
    add_signatures,
    cosign_note,
    open_note,
    parse_signature_line,
    sign_note,
)

ORIGIN = "farechain.example/ledger"
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_COSIGNATURE = "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"  # noqa: E501
T0 = 1_763_700_000


def _seeded(name: str, seed: int, key_type: KeyType = KeyType.ED25519) -> Signer:
    return Signer(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), key_type)


LOG = _seeded(ORIGIN, 1)
LOG_NEXT = _seeded(ORIGIN, 2)
WITNESSES = [_seeded(f"witness{i}.example/w", 10 + i, KeyType.COSIGNATURE_V1) for i in range(3)]
CHECKPOINT = Checkpoint(ORIGIN, 7, bytes(range(32)))


def _cosigned(count: int, signers: list[Signer] | None = None) -> str:
    note = sign_checkpoint(CHECKPOINT, signers or [LOG])
    for i, witness in enumerate(WITNESSES[:count]):
        note = cosign_note(note, witness, T0 + i)
    return note


def test_checkpoint_body_matches_the_spec_example() -> None:
    root = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    checkpoint = Checkpoint("example.com/behind-the-sofa", 20852163, root)
    assert checkpoint.format() == SPEC_BODY
    assert Checkpoint.parse(SPEC_BODY) == checkpoint
    with_extension = Checkpoint.parse(SPEC_BODY + "extension line\n")
    assert with_extension.extensions == ("extension line",)
    assert with_extension.format() == SPEC_BODY + "extension line\n"


@pytest.mark.parametrize(
    "body",
    [
        SPEC_BODY.rstrip("\n"),  # no final newline
        "example.com/behind-the-sofa\n20852163\n",  # two lines
        SPEC_BODY.replace("\n20852163\n", "\n020852163\n"),  # leading zero
        SPEC_BODY.replace("\n20852163\n", "\n+20852163\n"),
        SPEC_BODY.replace("\n20852163\n", "\n18446744073709551616\n"),  # 2^64
        SPEC_BODY.replace("q2I=", "q2J="),  # non-canonical base64
        SPEC_BODY.replace("Cs", ""),  # 30 bytes of root
        "\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # empty origin
        SPEC_BODY + "\n",  # empty extension line
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(body)


def test_size_zero_is_never_signed() -> None:
    with pytest.raises(CheckpointError, match="never sign size 0"):
        sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), [LOG])


def test_the_log_key_must_be_named_after_the_origin() -> None:
    with pytest.raises(CheckpointError, match="expected the origin"):
        sign_checkpoint(CHECKPOINT, [_seeded("other.example/log", 1)])
    foreign = sign_note(Checkpoint("other.example/log", 7, bytes(32)).format(), [LOG])
    with pytest.raises(CheckpointError, match="origin"):
        verify_checkpoint(foreign, [LOG.verifier])


def test_cosignature_signs_the_documented_message() -> None:
    text = CHECKPOINT.format()
    signature = cosign(text, WITNESSES[0], T0)
    assert signature[:8] == T0.to_bytes(8, "big")
    message = f"cosignature/v1\ntime {T0}\n".encode() + text.encode()
    assert cosignature_message(text, T0) == message
    Ed25519PublicKey.from_public_bytes(WITNESSES[0].public_key).verify(signature[8:], message)
    assert open_cosignature(text, signature, WITNESSES[0].verifier) == T0


def test_the_spec_example_cosignature_parses_to_its_timestamp() -> None:
    sig = parse_signature_line(SPEC_COSIGNATURE)
    assert sig.name == "witness.example.com/w1"
    assert len(sig.signature) == 8 + 64
    assert int.from_bytes(sig.signature[:8], "big") == 1679315147  # "time 1679315147"


def test_cosignatures_check_type_timestamp_and_length() -> None:
    text = CHECKPOINT.format()
    with pytest.raises(NoteError, match="type 0x04"):
        cosign(text, LOG, T0)
    with pytest.raises(NoteError, match="2\\^63-1"):
        cosign(text, WITNESSES[0], 2**63)
    good = cosign(text, WITNESSES[0], T0)
    with pytest.raises(NoteError, match="exceeds"):
        open_cosignature(text, (2**63).to_bytes(8, "big") + good[8:], WITNESSES[0].verifier)
    with pytest.raises(NoteError, match="does not verify"):
        open_cosignature(text, (T0 + 1).to_bytes(8, "big") + good[8:], WITNESSES[0].verifier)
    with pytest.raises(NoteError, match="72 bytes"):
        open_cosignature(text, good[:-1], WITNESSES[0].verifier)


def test_open_note_reports_cosignature_timestamps() -> None:
    opened = open_note(_cosigned(2), [LOG.verifier, *(w.verifier for w in WITNESSES)])
    assert [(s.name, s.timestamp) for s in opened.verified] == [
        (ORIGIN, None),
        ("witness0.example/w", T0),
        ("witness1.example/w", T0 + 1),
    ]


def test_a_quorum_of_witnesses_verifies() -> None:
    verified = verify_checkpoint(_cosigned(3), [LOG.verifier], [w.verifier for w in WITNESSES], 3)
    assert verified.checkpoint == CHECKPOINT
    assert [s.name for s in verified.log_signatures] == [ORIGIN]
    assert [s.timestamp for s in verified.cosignatures] == [T0, T0 + 1, T0 + 2]


def test_a_quorum_shortfall_is_refused() -> None:
    with pytest.raises(CheckpointError, match="expected at least 3 witness cosignatures, got 2"):
        verify_checkpoint(_cosigned(2), [LOG.verifier], [w.verifier for w in WITNESSES], 3)


def test_a_witness_counts_once_and_strangers_not_at_all() -> None:
    note = cosign_note(_cosigned(1), WITNESSES[0], T0 + 60)
    stranger = _seeded("stranger.example/w", 99, KeyType.COSIGNATURE_V1)
    note = cosign_note(note, stranger, T0)
    with pytest.raises(CheckpointError, match="got 1"):
        verify_checkpoint(note, [LOG.verifier], [w.verifier for w in WITNESSES], 2)


def test_a_forged_cosignature_by_a_known_witness_rejects_the_checkpoint() -> None:
    note = sign_checkpoint(CHECKPOINT, [LOG])
    forged = NoteSignature(WITNESSES[0].name, WITNESSES[0].key_id, bytes(72))
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(add_signatures(note, [forged]), [LOG.verifier], [WITNESSES[0].verifier])


def test_a_witness_alone_cannot_stand_in_for_the_log() -> None:
    note = cosign_note(sign_checkpoint(CHECKPOINT, [LOG_NEXT]), WITNESSES[0], T0)
    with pytest.raises(CheckpointError, match="log key"):
        verify_checkpoint(note, [LOG.verifier], [WITNESSES[0].verifier], 1)


def test_key_rotation_old_and_new_keys_each_verify() -> None:
    old_only = sign_checkpoint(CHECKPOINT, [LOG])
    both = sign_checkpoint(CHECKPOINT, [LOG, LOG_NEXT])
    new_only = sign_checkpoint(CHECKPOINT, [LOG_NEXT])
    verify_checkpoint(both, [LOG.verifier])
    verify_checkpoint(both, [LOG_NEXT.verifier])
    verify_checkpoint(old_only, [LOG.verifier, LOG_NEXT.verifier])
    verify_checkpoint(new_only, [LOG.verifier, LOG_NEXT.verifier])
    with pytest.raises(CheckpointError):
        verify_checkpoint(old_only, [LOG_NEXT.verifier])


def test_bad_verification_policies_are_usage_errors() -> None:
    note = _cosigned(1)
    with pytest.raises(ValueError, match="at least one log key"):
        verify_checkpoint(note, [])
    with pytest.raises(ValueError, match="quorum"):
        verify_checkpoint(note, [LOG.verifier], [WITNESSES[0].verifier], 2)
    with pytest.raises(ValueError, match="type 0x04"):
        verify_checkpoint(note, [LOG.verifier], [LOG_NEXT.verifier])
    with pytest.raises(ValueError, match="type 0x01"):
        verify_checkpoint(note, [WITNESSES[0].verifier])


@given(st.integers(1, 2**64 - 1), st.binary(min_size=32, max_size=32))
def test_checkpoints_round_trip_through_a_signed_note(size: int, root: bytes) -> None:
    checkpoint = Checkpoint(ORIGIN, size, root)
    assert (
        verify_checkpoint(sign_checkpoint(checkpoint, [LOG]), [LOG.verifier]).checkpoint
        == checkpoint
    )
