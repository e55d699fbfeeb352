"""Checkpoints, c2sp.org/tlog-checkpoint: the signed tree head that seals each block.

The note text is three lines, each ending in a newline: the log's origin, the tree
size in decimal (no leading zeroes) and the base64 RFC 6962 root hash, optionally
followed by non-empty extension lines (we write none)::

    farechain.example/ledger
    10
    X61aoZjC9sMP0iZaieElFosOH2CCZBO0W4EKIglQvSU=

The log signs it as a signed note with a type 0x01 key named like the origin. It
never signs size 0. During a key rotation it signs with old and new key together, so
a verifier holding either key accepts it. Witnesses add cosignatures (type 0x04).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger._encoding import b64decode_strict, b64encode, has_control_chars, parse_decimal
from ledger.exceptions import CheckpointError, NoteError
from ledger.keys import KeyType, Signer, Verifier
from ledger.merkle import HASH_SIZE
from ledger.note import VerifiedSignature, open_note, sign_note

__all__ = ["Checkpoint", "VerifiedCheckpoint", "sign_checkpoint", "verify_checkpoint"]


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or has_control_chars(self.origin):
            raise CheckpointError(f"origin: expected one non-empty line, got {self.origin!r}")
        if not 0 <= self.size < 2**64:
            raise CheckpointError(f"size: expected 0 <= size < 2^64, got {self.size}")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"root: expected {HASH_SIZE} bytes, got {len(self.root)}")
        for line in self.extensions:
            if not line or "\n" in line or has_control_chars(line):
                raise CheckpointError(f"extension: expected one non-empty line, got {line!r}")

    def format(self) -> str:
        """The note text, final newline included."""
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint: expected a final newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"checkpoint: expected at least 3 lines, got {len(lines)}")
        origin, size_text, root_text, *extensions = lines
        try:
            size = parse_decimal(size_text, "checkpoint size")
            root = b64decode_strict(root_text, "checkpoint root")
        except ValueError as exc:
            raise CheckpointError(str(exc)) from exc
        return cls(origin, size, root, tuple(extensions))


@dataclass(frozen=True)
class VerifiedCheckpoint:
    checkpoint: Checkpoint
    text: str
    log_signatures: tuple[VerifiedSignature, ...]
    cosignatures: tuple[VerifiedSignature, ...]  # one per witness key, with its timestamp


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[Signer]) -> str:
    """Sign a checkpoint with the log's key(s); all are named after the origin."""
    if checkpoint.size == 0:
        raise CheckpointError("size: expected a non-empty tree, got 0 (never sign size 0)")
    for signer in signers:
        if signer.name != checkpoint.origin:
            raise CheckpointError(
                f"log key name: expected the origin {checkpoint.origin!r}, got {signer.name!r}"
            )
    try:
        return sign_note(checkpoint.format(), signers)
    except NoteError as exc:
        raise CheckpointError(str(exc)) from exc


def verify_checkpoint(
    note: str | bytes,
    log_keys: Sequence[Verifier],
    witness_keys: Sequence[Verifier] = (),
    quorum: int = 0,
) -> VerifiedCheckpoint:
    """Check the log's signature (any one of ``log_keys``) and ``quorum`` cosignatures.

    Bad arguments (no log key, a key of the wrong type, a quorum above the number
    of witness keys) raise ``ValueError``; a bad checkpoint raises ``CheckpointError``.
    """
    _check_policy(log_keys, witness_keys, quorum)
    try:
        opened = open_note(note, [*log_keys, *witness_keys])
    except NoteError as exc:
        raise CheckpointError(str(exc)) from exc
    checkpoint = Checkpoint.parse(opened.text)
    log_ids = {(key.name, key.key_id) for key in log_keys}
    signed = tuple(sig for sig in opened.verified if (sig.name, sig.key_id) in log_ids)
    if not signed:
        wanted = ", ".join(key.vkey for key in log_keys)
        raise CheckpointError(f"expected a signature by the log key [{wanted}], got none")
    for sig in signed:
        # The key name binds the key to one log: it must not vouch for another origin.
        if sig.name != checkpoint.origin:
            raise CheckpointError(f"origin: expected {sig.name!r}, got {checkpoint.origin!r}")
    cosigned = tuple(sig for sig in opened.verified if sig.key_type == KeyType.COSIGNATURE_V1)
    if len(cosigned) < quorum:
        raise CheckpointError(
            f"expected at least {quorum} witness cosignatures, got {len(cosigned)}"
        )
    return VerifiedCheckpoint(checkpoint, opened.text, signed, cosigned)


def _check_policy(
    log_keys: Sequence[Verifier], witness_keys: Sequence[Verifier], quorum: int
) -> None:
    if not log_keys:
        raise ValueError("expected at least one log key, got none")
    for key in log_keys:
        if key.key_type != KeyType.ED25519:
            raise ValueError(f"log key {key.name}: expected type 0x01, got {key.key_type:#04x}")
    for key in witness_keys:
        if key.key_type != KeyType.COSIGNATURE_V1:
            raise ValueError(f"witness key {key.name}: expected type 0x04, got {key.key_type:#04x}")
    distinct = len({(key.name, key.key_id) for key in witness_keys})
    if not 0 <= quorum <= distinct:
        raise ValueError(f"quorum: expected 0 <= quorum <= {distinct} witness keys, got {quorum}")
