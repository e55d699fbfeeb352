"""Witness cosignatures, c2sp.org/tlog-cosignature ``cosignature/v1`` (Ed25519).

A cosignature is a note signature by a key of type 0x04 whose signature bytes are
``timestamp (u64, big-endian) || Ed25519 signature`` over the message::

    cosignature/v1
    time <timestamp>
    <the checkpoint note text, final newline included>

It states that, at that POSIX time, this was the largest consistent tree head the
witness had seen for the log named by the origin line. The key ID rule and the
signature line are those of c2sp.org/signed-note (see ledger.keys, ledger.note).
"""

from __future__ import annotations

from ledger.exceptions import NoteError
from ledger.keys import KeyType, Signer, Verifier

__all__ = ["MAX_TIMESTAMP", "cosign", "cosignature_message", "open_cosignature"]

MAX_TIMESTAMP = 2**63 - 1
_TIMESTAMP_SIZE = 8
_ED25519_SIGNATURE_SIZE = 64


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The bytes a witness signs for note ``text`` at ``timestamp``."""
    _check_timestamp(timestamp)
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosign(text: str, signer: Signer, timestamp: int) -> bytes:
    """The timestamped signature bytes (key ID not included) of ``signer`` over ``text``."""
    if signer.key_type != KeyType.COSIGNATURE_V1:
        raise NoteError(
            f"{signer.name}: expected a cosigner key (type 0x04), got {signer.key_type.name}"
        )
    signature = signer.sign(cosignature_message(text, timestamp))
    return timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature


def open_cosignature(text: str, signature: bytes, verifier: Verifier) -> int:
    """Verify a cosignature by ``verifier`` over ``text`` and return its timestamp."""
    if verifier.key_type != KeyType.COSIGNATURE_V1:
        raise NoteError(f"{verifier.name}: expected a cosigner key (type 0x04)")
    expected = _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE
    if len(signature) != expected:
        raise NoteError(
            f"cosignature by {verifier.name}: expected {expected} bytes, got {len(signature)}"
        )
    timestamp = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
    if timestamp > MAX_TIMESTAMP:
        raise NoteError(f"cosignature by {verifier.name}: timestamp {timestamp} exceeds 2^63-1")
    if not verifier.verify(cosignature_message(text, timestamp), signature[_TIMESTAMP_SIZE:]):
        raise NoteError(f"cosignature by {verifier.name} does not verify")
    return timestamp


def _check_timestamp(timestamp: int) -> None:
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"expected a timestamp in [0, 2^63-1], got {timestamp}")
