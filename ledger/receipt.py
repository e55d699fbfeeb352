"""Receipts: c2sp.org/tlog-proof@v1 files a rider can verify offline.

::

    c2sp.org/tlog-proof@v1
    extra <base64 of the canonical record>
    opening <base64 of salt || personal fields>     (only in an owner's receipt)
    index <leaf index, decimal>
    <base64 inclusion proof hash, leaf side first, one per line>

    <the checkpoint note, verbatim, with the log signature and every cosignature>

The ``extra`` line carries the record itself, so the verifier recomputes the leaf
hash from it instead of trusting a hash. Verification needs only the file and public
keys: the record must be canonical, the checkpoint signed by the log key (any one of
several, for rotation) with at least ``quorum`` witness cosignatures, and the
inclusion proof must lead from the record's leaf to the checkpoint's root.

A version-2 record commits to its personal fields (``ledger.commitment``); the owner's
receipt adds an ``opening`` line, and the verifier checks it against the commitment and
returns the whole record. A receipt without one proves the public record only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger._encoding import b64decode_strict, b64encode, parse_decimal
from ledger.checkpoint import Checkpoint, verify_checkpoint
from ledger.commitment import Opening, open_record
from ledger.exceptions import ReceiptError, VerificationError
from ledger.keys import Verifier
from ledger.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from ledger.note import VerifiedSignature
from ledger.records import decode_record

__all__ = [
    "HEADER",
    "Receipt",
    "VerifiedReceipt",
    "format_receipt",
    "parse_receipt",
    "verify_receipt",
]

HEADER = "c2sp.org/tlog-proof@v1"
_MAX_PROOF = 64  # a tree of fewer than 2^64 leaves has no longer audit path


@dataclass(frozen=True)
class Receipt:
    index: int
    proof: tuple[bytes, ...]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None  # our receipts: the canonical record
    opening: bytes | None = None  # an owner's receipt: salt || personal fields


@dataclass(frozen=True)
class VerifiedReceipt:
    record: dict[str, object]  # opened (personal fields included) when `opened`
    record_bytes: bytes
    index: int
    checkpoint: Checkpoint
    log_signatures: tuple[VerifiedSignature, ...]
    cosignatures: tuple[VerifiedSignature, ...]
    opened: bool = False


def format_receipt(
    *,
    record: bytes,
    index: int,
    proof: Sequence[bytes],
    checkpoint: str,
    opening: bytes | None = None,
) -> str:
    """The receipt file for ``record`` at ``index`` under a signed ``checkpoint`` note."""
    if index < 0:
        raise ValueError(f"index: expected >= 0, got {index}")
    if not checkpoint.endswith("\n"):
        raise ValueError("checkpoint: expected a signed note ending in a newline")
    lines = [HEADER, f"extra {b64encode(record)}"]
    if opening is not None:
        lines.append(f"opening {b64encode(opening)}")
    lines.append(f"index {index}")
    lines += [b64encode(item) for item in proof]
    return "\n".join(lines) + "\n\n" + checkpoint


def parse_receipt(text: str | bytes) -> Receipt:
    """Split a receipt file into its parts, checking the format only."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReceiptError(f"receipt: expected UTF-8, got {exc}") from exc
    lines = text.split("\n")
    if lines[0] != HEADER:
        raise ReceiptError(f"receipt: expected first line {HEADER!r}, got {lines[0][:40]!r}")
    try:
        return _parse_body(lines)
    except ValueError as exc:
        raise ReceiptError(f"receipt: {exc}") from exc


def _parse_body(lines: list[str]) -> Receipt:
    if len(lines) < 3:
        raise ValueError(f"expected index, proof and checkpoint lines, got {len(lines)} lines")
    pos = 1
    extra = None
    if lines[pos].startswith("extra "):
        extra = b64decode_strict(lines[pos].removeprefix("extra "), "extra")
        pos += 1
    opening = None
    if extra is not None and lines[pos].startswith("opening "):
        opening = b64decode_strict(lines[pos].removeprefix("opening "), "opening")
        pos += 1
    if not lines[pos].startswith("index "):
        raise ValueError(f"expected an 'index N' line, got {lines[pos][:40]!r}")
    index = parse_decimal(lines[pos].removeprefix("index "), "index")
    pos += 1
    proof: list[bytes] = []
    while pos < len(lines) and lines[pos]:
        item = b64decode_strict(lines[pos], f"proof[{len(proof)}]")
        if len(item) != HASH_SIZE:
            raise ValueError(f"proof[{len(proof)}]: expected {HASH_SIZE} bytes, got {len(item)}")
        proof.append(item)
        if len(proof) > _MAX_PROOF:
            raise ValueError(f"expected at most {_MAX_PROOF} proof hashes")
        pos += 1
    if pos >= len(lines) - 1:
        raise ValueError("expected a blank line and a checkpoint after the proof")
    return Receipt(index, tuple(proof), "\n".join(lines[pos + 1 :]), extra, opening)


def verify_receipt(
    text: str | bytes,
    log_key: str | Sequence[str],
    witness_keys: Sequence[str] = (),
    quorum: int = 0,
) -> VerifiedReceipt:
    """Verify a receipt offline; raise ``ReceiptError`` naming the first failed check.

    ``log_key`` is the log's verifier key, or several (old and new during a rotation);
    ``witness_keys`` are cosigner verifier keys, of which ``quorum`` must have cosigned.
    Malformed keys or an impossible quorum raise ``ValueError`` (a usage error).
    """
    log_verifiers = [
        Verifier.parse(k) for k in ([log_key] if isinstance(log_key, str) else log_key)
    ]
    witness_verifiers = [Verifier.parse(k) for k in witness_keys]
    receipt = parse_receipt(text)
    if receipt.extra is None:
        raise ReceiptError("receipt: expected an 'extra' line carrying the record, got none")
    try:
        record = decode_record(receipt.extra)
    except VerificationError as exc:
        raise ReceiptError(f"record: {exc}") from exc
    if receipt.opening is not None:
        try:
            record = open_record(record, Opening.from_bytes(receipt.opening))
        except VerificationError as exc:
            raise ReceiptError(f"opening: {exc}") from exc
    try:
        verified = verify_checkpoint(receipt.checkpoint, log_verifiers, witness_verifiers, quorum)
    except VerificationError as exc:
        raise ReceiptError(f"checkpoint: {exc}") from exc
    checkpoint = verified.checkpoint
    try:
        verify_inclusion(
            leaf_hash(receipt.extra), receipt.index, checkpoint.size, receipt.proof, checkpoint.root
        )
    except VerificationError as exc:
        raise ReceiptError(f"inclusion proof: {exc}") from exc
    return VerifiedReceipt(
        record=record,
        record_bytes=receipt.extra,
        index=receipt.index,
        checkpoint=checkpoint,
        log_signatures=verified.log_signatures,
        cosignatures=verified.cosignatures,
        opened=receipt.opening is not None,
    )
