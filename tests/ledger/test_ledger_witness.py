"""The witness's decision (ledger.witness): cosign consistent checkpoints, refuse the rest."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ledger.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from ledger.exceptions import CheckpointError
from ledger.keys import KeyType, Signer
from ledger.merkle import leaf_hash, reference_consistency_proof, root_of
from ledger.note import add_signatures, cosign_note, parse_signature_line
from ledger.witness import (
    Action,
    Refusal,
    SeenCheckpoint,
    WitnessRefusal,
    WitnessState,
    consistency_sizes,
    cosign_checkpoint,
    decide,
    log_origin,
    next_timestamp,
    open_log_checkpoint,
)

ORIGIN = "farechain.example/ledger"
T0 = 1_763_700_000


def _seeded(name: str, seed: int, key_type: KeyType = KeyType.ED25519) -> Signer:
    return Signer(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), key_type)


LOG = _seeded(ORIGIN, 1)
LOG_NEXT = _seeded(ORIGIN, 2)
WITNESS = _seeded("tax.example/witness", 20, KeyType.COSIGNATURE_V1)
OTHER_WITNESS = _seeded("metro.example/witness", 21, KeyType.COSIGNATURE_V1)
LEAVES = [leaf_hash(f"record {i}".encode()) for i in range(40)]
OTHER_LEAVES = [leaf_hash(f"rewritten {i}".encode()) for i in range(40)]


def _note(size: int, leaves: list[bytes] = LEAVES, signers: list[Signer] | None = None) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root_of(leaves[:size])), signers or [LOG])


def _seen(size: int, leaves: list[bytes] = LEAVES) -> SeenCheckpoint:
    return open_log_checkpoint(_note(size, leaves), [LOG.verifier], WITNESS.verifier)


def _state(size: int, leaves: list[bytes] = LEAVES, timestamp: int = T0) -> WitnessState:
    return WitnessState(ORIGIN, size, root_of(leaves[:size]), timestamp)


def _proof(state: WitnessState | None, seen: SeenCheckpoint, leaves: list[bytes]) -> list[bytes]:
    sizes = consistency_sizes(state, seen)
    if sizes is None:
        return []
    return reference_consistency_proof(leaves[: sizes[1]], sizes[0])


def _refusal(state: WitnessState | None, seen: SeenCheckpoint, proof: list[bytes]) -> Refusal:
    with pytest.raises(WitnessRefusal) as info:
        decide(state, seen, proof)
    assert str(info.value).startswith(f"REFUSED ({info.value.kind}): ")
    return info.value.kind


def test_a_growing_log_is_cosigned_at_every_step_and_each_cosignature_verifies() -> None:
    state: WitnessState | None = None
    for step, size in enumerate([3, 5, 8, 13, 16, 40]):
        seen = _seen(size)
        decision = decide(state, seen, _proof(state, seen, LEAVES))
        assert decision.action is Action.COSIGN
        cosigned = cosign_checkpoint(seen, WITNESS, T0 + step)
        note = add_signatures(seen.note, [cosigned.signature])
        verified = verify_checkpoint(note, [LOG.verifier], [WITNESS.verifier], quorum=1)
        assert verified.checkpoint.size == size
        assert [(s.name, s.timestamp) for s in verified.cosignatures] == [
            ("tax.example/witness", T0 + step)
        ]
        assert cosigned.state == WitnessState(ORIGIN, size, root_of(LEAVES[:size]), T0 + step)
        state = cosigned.state


def test_the_first_checkpoint_is_trusted_on_first_use() -> None:
    decision = decide(None, _seen(7))
    assert decision.action is Action.COSIGN
    assert decision.reason == "trust on first use at size 7"
    assert consistency_sizes(None, _seen(7)) is None


def test_the_cosignature_line_has_the_c2sp_shape() -> None:
    cosigned = cosign_checkpoint(_seen(5), WITNESS, T0)
    line = cosigned.signature.line
    assert line.startswith("\u2014 tax.example/witness ") and line.endswith("\n")
    parsed = parse_signature_line(line)
    # key ID (type 0x04 key), then an 8-byte big-endian timestamp, then 64 signature bytes
    expected_id = hashlib.sha256(b"tax.example/witness\n\x04" + WITNESS.public_key).digest()[:4]
    assert parsed.key_id == expected_id
    assert int.from_bytes(parsed.signature[:8], "big") == T0
    assert len(parsed.signature) == 8 + 64


def test_the_same_tree_head_with_our_cosignature_is_up_to_date() -> None:
    seen = _seen(8)
    line = cosign_checkpoint(seen, WITNESS, T0).signature.line
    note = add_signatures(seen.note, [parse_signature_line(line)])
    again = open_log_checkpoint(note, [LOG.verifier], WITNESS.verifier)
    assert again.cosigned
    decision = decide(_state(8), again)
    assert decision.action is Action.UP_TO_DATE


def test_the_same_tree_head_without_our_cosignature_is_cosigned_again() -> None:
    # Another witness's cosignature does not count as ours.
    note = cosign_note(_note(8), OTHER_WITNESS, T0)
    seen = open_log_checkpoint(note, [LOG.verifier], WITNESS.verifier)
    assert not seen.cosigned
    assert decide(_state(8), seen).action is Action.COSIGN


def test_a_broken_line_under_our_name_is_not_our_cosignature() -> None:
    seen = _seen(8)
    good = cosign_checkpoint(seen, WITNESS, T0).signature
    broken = good._replace(signature=good.signature[:8] + bytes(64))
    note = add_signatures(seen.note, [broken])
    assert not open_log_checkpoint(note, [LOG.verifier], WITNESS.verifier).cosigned
    assert decide(_state(8), _seen(8)).action is Action.COSIGN


def test_a_smaller_checkpoint_is_a_rollback() -> None:
    with pytest.raises(WitnessRefusal) as info:
        decide(_state(13), _seen(8))
    assert info.value.kind is Refusal.ROLLBACK
    root8, root13 = (base64.b64encode(root_of(LEAVES[:n])).decode() for n in (8, 13))
    message = str(info.value)
    assert f"served size 8 root {root8}" in message
    assert f"cosigned size 13 root {root13}" in message


def test_the_same_size_with_another_root_is_a_fork() -> None:
    with pytest.raises(WitnessRefusal) as info:
        decide(_state(8), _seen(8, OTHER_LEAVES))
    assert info.value.kind is Refusal.FORK
    assert "size 8" in str(info.value)


def test_a_checkpoint_not_signed_by_the_log_is_refused() -> None:
    forger = _seeded(ORIGIN, 66)  # the right name, the wrong key
    with pytest.raises(WitnessRefusal) as info:
        open_log_checkpoint(_note(8, signers=[forger]), [LOG.verifier], WITNESS.verifier)
    assert info.value.kind is Refusal.BAD_SIGNATURE


def test_a_tampered_checkpoint_body_is_refused() -> None:
    note = _note(8).replace("\n8\n", "\n9\n", 1)
    with pytest.raises(WitnessRefusal) as info:
        open_log_checkpoint(note, [LOG.verifier], WITNESS.verifier)
    assert info.value.kind is Refusal.BAD_SIGNATURE


def test_during_a_key_rotation_either_log_key_suffices() -> None:
    note = _note(8, signers=[LOG, LOG_NEXT])
    for keys in ([LOG.verifier], [LOG_NEXT.verifier], [LOG.verifier, LOG_NEXT.verifier]):
        assert open_log_checkpoint(note, keys, WITNESS.verifier).checkpoint.size == 8
    only_new = _note(8, signers=[LOG_NEXT])
    with pytest.raises(WitnessRefusal):
        open_log_checkpoint(only_new, [LOG.verifier], WITNESS.verifier)


def test_another_logs_checkpoint_is_refused() -> None:
    other = _seeded("other.example/log", 3)
    note = sign_checkpoint(Checkpoint("other.example/log", 8, root_of(LEAVES[:8])), [other])
    seen = open_log_checkpoint(note, [other.verifier], WITNESS.verifier)
    with pytest.raises(WitnessRefusal) as info:
        decide(_state(5), seen, [])
    assert info.value.kind is Refusal.WRONG_ORIGIN


@pytest.mark.parametrize("damage", ["flip", "drop", "extra", "swap", "empty"])
def test_a_bad_consistency_proof_is_refused(damage: str) -> None:
    state, seen = _state(5), _seen(13)
    proof = _proof(state, seen, LEAVES)
    assert len(proof) >= 2
    if damage == "flip":
        proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    elif damage == "drop":
        proof = proof[:-1]
    elif damage == "extra":
        proof = [*proof, proof[0]]
    elif damage == "swap":
        proof = proof[::-1]
    else:
        proof = []
    assert _refusal(state, seen, proof) is Refusal.INCONSISTENT


def test_a_rewritten_history_is_refused_even_with_its_own_valid_proof() -> None:
    rewritten = LEAVES[:4] + OTHER_LEAVES[4:]
    state, seen = _state(6), _seen(20, rewritten)
    proof = _proof(state, seen, rewritten)  # honest within the rewritten tree
    with pytest.raises(WitnessRefusal) as info:
        decide(state, seen, proof)
    assert info.value.kind is Refusal.INCONSISTENT
    assert "served size 20" in str(info.value) and "cosigned size 6" in str(info.value)


@given(
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=0, max_value=39),
)
def test_a_witness_never_cosigns_a_tree_that_changed_a_leaf_it_vouched_for(
    old: int, new: int, changed: int
) -> None:
    old, new = min(old, new), max(old, new)
    rewritten = list(LEAVES)
    rewritten[changed] = OTHER_LEAVES[changed]
    state, seen = _state(old), _seen(new, rewritten)
    proof = _proof(state, seen, rewritten)
    if changed < old:
        assert _refusal(state, seen, proof) in (Refusal.FORK, Refusal.INCONSISTENT)
    else:  # the change is past what the witness saw: an ordinary extension
        assert decide(state, seen, proof).action is Action.COSIGN


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=40))
def test_consistent_growth_is_always_cosigned(old: int, new: int) -> None:
    old, new = min(old, new), max(old, new)
    state, seen = _state(old), _seen(new)
    decision = decide(state, seen, _proof(state, seen, LEAVES))
    assert decision.action is Action.COSIGN


def test_timestamps_never_go_back() -> None:
    assert next_timestamp(None, T0) == T0
    assert next_timestamp(_state(3, timestamp=T0), T0 + 5) == T0 + 5
    assert next_timestamp(_state(3, timestamp=T0), T0 - 60) == T0


def test_a_log_key_must_sign_notes_and_all_log_keys_name_one_log() -> None:
    assert log_origin([LOG.verifier, LOG_NEXT.verifier]) == ORIGIN
    with pytest.raises(ValueError, match="expected at least one log verifier key"):
        log_origin([])
    with pytest.raises(ValueError, match="expected the log keys of one log"):
        log_origin([LOG.verifier, _seeded("other.example/log", 3).verifier])
    cosigner_named_like_log = _seeded(ORIGIN, 4, KeyType.COSIGNATURE_V1)
    with pytest.raises(ValueError, match="expected type 0x01"):
        log_origin([cosigner_named_like_log.verifier])


def test_only_a_cosigner_key_can_cosign() -> None:
    with pytest.raises(ValueError, match=r"expected a cosigner key \(type 0x04\)"):
        cosign_checkpoint(_seen(3), LOG, T0)


roots = st.binary(min_size=32, max_size=32)
origins = st.from_regex(r"[a-z0-9.]{1,20}/[a-z0-9/]{1,20}", fullmatch=True)


@given(origins, st.integers(0, 2**64 - 1), roots, st.integers(0, 2**63 - 1))
def test_the_state_round_trips_through_json(
    origin: str, size: int, root: bytes, timestamp: int
) -> None:
    state = WitnessState(origin, size, root, timestamp)
    assert WitnessState.from_json(state.to_json()) == state


def test_the_state_file_format_is_plain_json() -> None:
    state = WitnessState(ORIGIN, 8, bytes(range(32)), T0)
    assert json.loads(state.to_json()) == {
        "origin": ORIGIN,
        "size": 8,
        "root": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "timestamp": T0,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected JSON"),
        ("[]", "expected the keys"),
        ('{"origin": "a/b", "size": 1, "root": "AA==", "timestamp": 1}', "expected 32 bytes"),
        ('{"origin": "a/b", "size": 1, "root": "AA==", "timestamp": 1, "x": 1}', "expected the"),
        ('{"origin": "a/b", "size": "1", "root": "AA==", "timestamp": 1}', "size: expected an int"),
        (
            '{"origin": "a/b", "size": true, "root": "AA==", "timestamp": 1}',
            "size: expected an int",
        ),
        ('{"origin": "a/b", "size": -1, "root": "AA==", "timestamp": 1}', "size: expected 0 <="),
        ('{"origin": 1, "size": 1, "root": "AA==", "timestamp": 1}', "expected origin and root"),
        ('{"origin": "a/b", "size": 1, "root": "A", "timestamp": 1}', "expected base64"),
        ('{"origin": "a/b", "size": 1, "root": "AA==", "timestamp": 1.5}', "timestamp: expected"),
    ],
)
def test_a_damaged_state_is_refused_not_reset(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WitnessState.from_json(text)


def test_a_state_with_a_negative_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match=r"timestamp: expected 0 <= t"):
        WitnessState(ORIGIN, 1, bytes(32), -1)
    with pytest.raises(CheckpointError):
        WitnessState("", 1, bytes(32), 0)
