"""A witness's decision: cosign a log's checkpoint, or refuse it loudly.

Follows c2sp.org/tlog-cosignature (``cosignature/v1``) and the witness duties of
c2sp.org/tlog-witness: a witness remembers, per log, the largest checkpoint it has
cosigned (``WitnessState``) and cosigns a new one only when

1. the log's signature verifies with one of the log's verifier keys (during a key
   rotation any one known key suffices) and the origin is the log's,
2. it is not smaller than the remembered one (else: rollback),
3. at the same size it has the same root (else: fork), and
4. at a larger size an RFC 6962 consistency proof from the remembered tree verifies
   (else: the log rewrote history).

With no state yet the witness trusts on first use: it cosigns the first checkpoint
whose log signature verifies. So a state file must never be lost or reset while the
witness key lives on; a witness whose state is gone should be given a new key.

A refused checkpoint is never cosigned. A cosignature states "this was the largest
consistent tree head I had seen at this time", so the state must be saved *before* the
cosignature leaves the witness: a witness that forgot a cosignature it gave (a crash,
or a reply lost after the log stored it) could later cosign a fork of it. The flow::

    seen = open_log_checkpoint(note, log_keys, signer.verifier)
    sizes = consistency_sizes(state, seen)          # fetch a proof if not None
    decision = decide(state, seen, proof)           # raises WitnessRefusal
    if decision.action is Action.COSIGN:
        cosigned = cosign_checkpoint(seen, signer, next_timestamp(state, now_s))
        save(cosigned.state); post(cosigned.signature.line)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ledger._encoding import b64decode_strict, b64encode
from ledger.checkpoint import Checkpoint, verify_checkpoint
from ledger.cosignature import MAX_TIMESTAMP, cosign, open_cosignature
from ledger.exceptions import CheckpointError, NoteError, ProofError, VerificationError
from ledger.keys import KeyType, Signer, Verifier
from ledger.merkle import verify_consistency
from ledger.note import NoteSignature, parse_note

__all__ = [
    "Action",
    "Cosigned",
    "Decision",
    "Refusal",
    "SeenCheckpoint",
    "WitnessRefusal",
    "WitnessState",
    "consistency_sizes",
    "cosign_checkpoint",
    "decide",
    "log_origin",
    "next_timestamp",
    "open_log_checkpoint",
]

_STATE_FIELDS = ("origin", "size", "root", "timestamp")


class Refusal(StrEnum):
    """Why a witness refused a checkpoint."""

    BAD_SIGNATURE = "bad-signature"  # not signed by any known log key, or malformed
    WRONG_ORIGIN = "wrong-origin"  # another log's checkpoint
    ROLLBACK = "rollback"  # smaller than the tree already cosigned
    FORK = "fork"  # same size as the tree already cosigned, other root
    INCONSISTENT = "inconsistent"  # larger, but no valid consistency proof


class WitnessRefusal(VerificationError):
    """The witness will not cosign this checkpoint; ``kind`` says why."""

    def __init__(self, kind: Refusal, detail: str) -> None:
        super().__init__(f"REFUSED ({kind}): {detail}")
        self.kind = kind
        self.detail = detail


class Action(StrEnum):
    COSIGN = "cosign"
    UP_TO_DATE = "up-to-date"  # the same tree head, already carrying our cosignature


@dataclass(frozen=True)
class WitnessState:
    """The largest checkpoint this witness cosigned for one log, and when."""

    origin: str
    size: int
    root: bytes
    timestamp: int  # POSIX seconds of that cosignature

    def __post_init__(self) -> None:
        # Checkpoint's own checks cover the origin, size and root.
        Checkpoint(self.origin, self.size, self.root)
        if not 0 <= self.timestamp <= MAX_TIMESTAMP:
            raise ValueError(f"timestamp: expected 0 <= t <= 2^63-1, got {self.timestamp}")

    def to_json(self) -> str:
        fields = {
            "origin": self.origin,
            "size": self.size,
            "root": b64encode(self.root),
            "timestamp": self.timestamp,
        }
        return json.dumps(fields, sort_keys=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> WitnessState:
        """Parse a state file strictly: a damaged state must stop the witness, not reset it."""
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"witness state: expected JSON, got {exc}") from exc
        if not isinstance(data, dict) or sorted(data) != sorted(_STATE_FIELDS):
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"witness state: expected the keys {sorted(_STATE_FIELDS)}, got {got}")
        origin, size, root, timestamp = (data[key] for key in _STATE_FIELDS)
        if not isinstance(origin, str) or not isinstance(root, str):
            raise ValueError("witness state: expected origin and root to be strings")
        for name, value in (("size", size), ("timestamp", timestamp)):
            if type(value) is not int:
                raise ValueError(f"witness state: {name}: expected an integer, got {value!r}")
        try:
            return cls(origin, size, b64decode_strict(root, "witness state root"), timestamp)
        except CheckpointError as exc:
            raise ValueError(f"witness state: {exc}") from exc


@dataclass(frozen=True)
class SeenCheckpoint:
    """A checkpoint note whose log signature verified."""

    checkpoint: Checkpoint
    text: str  # the checkpoint body, which cosignatures cover
    note: str  # the note as the log served it, every signature line included
    cosigned: bool  # it already carries a valid cosignature by this witness


@dataclass(frozen=True)
class Decision:
    action: Action
    seen: SeenCheckpoint
    reason: str


@dataclass(frozen=True)
class Cosigned:
    """A cosignature to post, and the state to save before posting it."""

    signature: NoteSignature
    state: WitnessState


def log_origin(log_keys: Sequence[Verifier]) -> str:
    """The origin the log keys vouch for: log keys are named after their log's origin."""
    if not log_keys:
        raise ValueError("expected at least one log verifier key, got none")
    names = sorted({key.name for key in log_keys})
    if len(names) != 1:
        raise ValueError(f"expected the log keys of one log (one name), got {names}")
    for key in log_keys:
        if key.key_type != KeyType.ED25519:
            raise ValueError(f"log key {key.name}: expected type 0x01, got {key.key_type:#04x}")
    return names[0]


def open_log_checkpoint(
    note: str | bytes, log_keys: Sequence[Verifier], witness: Verifier
) -> SeenCheckpoint:
    """Verify the log's signature on ``note``; refuse it as BAD_SIGNATURE otherwise."""
    origin = log_origin(log_keys)
    try:
        verified = verify_checkpoint(note, log_keys)
    except CheckpointError as exc:
        raise WitnessRefusal(Refusal.BAD_SIGNATURE, f"log {origin}: {exc}") from exc
    if verified.checkpoint.origin != origin:  # verify_checkpoint ties keys to origins already
        raise WitnessRefusal(
            Refusal.WRONG_ORIGIN,
            f"expected origin {origin!r}, got {verified.checkpoint.origin!r}",
        )
    text = note.decode() if isinstance(note, bytes) else note
    return SeenCheckpoint(
        verified.checkpoint, verified.text, text, _carries_cosignature(text, witness)
    )


def consistency_sizes(state: WitnessState | None, seen: SeenCheckpoint) -> tuple[int, int] | None:
    """The (first, second) sizes of the consistency proof ``decide`` needs, if any."""
    size = seen.checkpoint.size
    if state is None or state.size == 0 or size <= state.size:
        return None
    return state.size, size


def decide(
    state: WitnessState | None, seen: SeenCheckpoint, proof: Sequence[bytes] = ()
) -> Decision:
    """Cosign, or nothing to do; raise ``WitnessRefusal`` for anything inconsistent.

    ``proof`` is the RFC 6962 consistency proof for ``consistency_sizes(state, seen)``.
    """
    checkpoint = seen.checkpoint
    if state is None:
        return Decision(Action.COSIGN, seen, f"trust on first use at size {checkpoint.size}")
    if checkpoint.origin != state.origin:
        raise WitnessRefusal(
            Refusal.WRONG_ORIGIN,
            f"expected origin {state.origin!r} (from the state), got {checkpoint.origin!r}",
        )
    seen_head = f"size {checkpoint.size} root {b64encode(checkpoint.root)}"
    ours = f"size {state.size} root {b64encode(state.root)}"
    if checkpoint.size < state.size:
        raise WitnessRefusal(
            Refusal.ROLLBACK,
            f"log {state.origin} served {seen_head}, smaller than the cosigned {ours}",
        )
    if checkpoint.size == state.size:
        if checkpoint.root != state.root:
            raise WitnessRefusal(
                Refusal.FORK,
                f"log {state.origin} served {seen_head}, but this witness cosigned {ours}",
            )
        if seen.cosigned:
            return Decision(Action.UP_TO_DATE, seen, f"already cosigned size {state.size}")
        # Cosigning the same tree head again is safe; the log may have lost our line.
        return Decision(Action.COSIGN, seen, f"size {state.size} lacks our cosignature")
    try:
        verify_consistency(state.size, checkpoint.size, proof, state.root, checkpoint.root)
    except ProofError as exc:
        raise WitnessRefusal(
            Refusal.INCONSISTENT,
            f"log {state.origin} served {seen_head}, not proven to extend the cosigned "
            f"{ours}: {exc}",
        ) from exc
    return Decision(
        Action.COSIGN, seen, f"size {checkpoint.size} extends size {state.size} (proof checked)"
    )


def next_timestamp(state: WitnessState | None, now_s: int) -> int:
    """Now, but never before our last cosignature, so a clock step back cannot reorder them."""
    return max(now_s, state.timestamp if state is not None else 0)


def cosign_checkpoint(seen: SeenCheckpoint, signer: Signer, timestamp: int) -> Cosigned:
    """The ``cosignature/v1`` of ``seen`` at ``timestamp`` and the state that records it."""
    try:
        signature = cosign(seen.text, signer, timestamp)
    except NoteError as exc:
        raise ValueError(str(exc)) from exc
    checkpoint = seen.checkpoint
    return Cosigned(
        NoteSignature(signer.name, signer.key_id, signature),
        WitnessState(checkpoint.origin, checkpoint.size, checkpoint.root, timestamp),
    )


def _carries_cosignature(note: str, witness: Verifier) -> bool:
    parsed = parse_note(note)
    for sig in parsed.signatures:
        if (sig.name, sig.key_id) != (witness.name, witness.key_id):
            continue
        try:
            open_cosignature(parsed.text, sig.signature, witness)
        except NoteError:
            continue  # a bad line under our name is no cosignature of ours
        return True
    return False
