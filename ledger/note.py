"""Signed notes, c2sp.org/signed-note: text followed by signature lines.

A note is UTF-8 text ending in a newline, a blank line, then one or more lines
``— <key name> <base64(4-byte key ID || signature)>`` (an em dash U+2014 and a
space open each line). No ASCII control character other than newline may appear.
The text is everything up to the last blank line.

Opening a note follows the spec's rules: signatures by unknown keys (name and key ID
not both matching a given verifier) are ignored, a signature by a known key that
fails to verify rejects the whole note, and a note with no verified signature is
rejected. Type 0x01 keys sign the text itself; type 0x04 keys are witness
cosignatures (ledger.cosignature), verified and reported with their timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ledger._encoding import b64decode_strict, b64encode, has_control_chars
from ledger.cosignature import cosign, open_cosignature
from ledger.exceptions import NoteError
from ledger.keys import KeyType, Signer, Verifier, check_key_name

__all__ = [
    "EM_DASH",
    "MAX_SIGNATURES",
    "NoteSignature",
    "OpenedNote",
    "ParsedNote",
    "VerifiedSignature",
    "add_signatures",
    "cosign_note",
    "format_note",
    "open_note",
    "parse_note",
    "parse_signature_line",
    "sign_note",
]

EM_DASH = "\u2014"
# The spec asks verifiers to accept at least 16; more than this is an abuse.
MAX_SIGNATURES = 64


class NoteSignature(NamedTuple):
    """One signature line: the key's name, its 4-byte ID and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        return f"{EM_DASH} {self.name} {b64encode(self.key_id + self.signature)}\n"


class ParsedNote(NamedTuple):
    text: str
    signatures: tuple[NoteSignature, ...]


class VerifiedSignature(NamedTuple):
    """A signature that verified; ``timestamp`` is set for witness cosignatures."""

    name: str
    key_id: bytes
    key_type: KeyType
    timestamp: int | None


class OpenedNote(NamedTuple):
    """The text of a note and its verified signatures, one per key, in note order."""

    text: str
    verified: tuple[VerifiedSignature, ...]

    @property
    def names(self) -> list[str]:
        return [sig.name for sig in self.verified]


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """Sign ``text`` with each type 0x01 key in ``signers``."""
    _check_text(text)
    if not signers:
        raise NoteError("expected at least one signer, got none")
    for signer in signers:
        if signer.key_type != KeyType.ED25519:
            raise NoteError(f"{signer.name}: expected an Ed25519 note key; cosign with cosign_note")
    signatures = [NoteSignature(s.name, s.key_id, s.sign(text.encode())) for s in signers]
    return format_note(text, signatures)


def cosign_note(note: str, cosigner: Signer, timestamp: int) -> str:
    """Add ``cosigner``'s cosignature/v1 at ``timestamp`` to a signed note."""
    parsed = parse_note(note)
    signature = cosign(parsed.text, cosigner, timestamp)
    return add_signatures(note, [NoteSignature(cosigner.name, cosigner.key_id, signature)])


def add_signatures(note: str, signatures: Iterable[NoteSignature]) -> str:
    """Append signature lines to a note, skipping lines it already holds."""
    parsed = parse_note(note)
    merged = list(parsed.signatures)
    merged.extend(sig for sig in signatures if sig not in merged)
    return format_note(parsed.text, merged)


def format_note(text: str, signatures: Sequence[NoteSignature]) -> str:
    _check_text(text)
    if not signatures:
        raise NoteError("expected at least one signature, got none")
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"expected at most {MAX_SIGNATURES} signatures, got {len(signatures)}")
    for sig in signatures:
        check_key_name(sig.name)
    return text + "\n" + "".join(sig.line for sig in signatures)


def parse_note(note: str | bytes) -> ParsedNote:
    """Split a note into text and signature lines, checking the format only."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError(f"note: expected UTF-8, got {exc}") from exc
    _check_chars(note, "note")
    if not note.endswith("\n"):
        raise NoteError("note: expected a final newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note: expected a blank line before the signatures, found none")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block[:-1].split("\n") if block else []
    if not lines:
        raise NoteError("note: expected signature lines after the blank line, got none")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note: expected at most {MAX_SIGNATURES} signatures, got {len(lines)}")
    return ParsedNote(text, tuple(parse_signature_line(line) for line in lines))


def parse_signature_line(line: str) -> NoteSignature:
    """Parse ``— <name> <base64>`` (with or without its final newline)."""
    body = line.removesuffix("\n")
    _check_chars(body, "signature line")
    if not body.startswith(EM_DASH + " "):
        raise NoteError(f"signature line: expected to start with '{EM_DASH} ', got {body[:20]!r}")
    parts = body[2:].split(" ")
    if len(parts) != 2:
        raise NoteError(f"signature line: expected '{EM_DASH} <name> <base64>', got {body!r}")
    name, encoded = parts
    check_key_name(name)
    try:
        raw = b64decode_strict(encoded, f"signature by {name}")
    except ValueError as exc:
        raise NoteError(str(exc)) from exc
    if len(raw) < 5:
        raise NoteError(
            f"signature by {name}: expected a key ID and a signature, got {len(raw)} bytes"
        )
    return NoteSignature(name, raw[:4], raw[4:])


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> OpenedNote:
    """Verify a note against known keys; see the module docstring for the rules."""
    known: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, verifier.key_id)
        if known.setdefault(slot, verifier) != verifier:
            raise NoteError(f"two verifier keys share name {verifier.name} and key ID")
    parsed = parse_note(note)
    verified: dict[tuple[str, bytes], VerifiedSignature] = {}
    for sig in parsed.signatures:
        slot = (sig.name, sig.key_id)
        key = known.get(slot)
        if key is None:
            continue
        timestamp = _verify(parsed.text, sig, key)
        # One vote per key: a witness listed twice still counts once.
        verified.setdefault(slot, VerifiedSignature(sig.name, sig.key_id, key.key_type, timestamp))
    if not verified:
        found = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in parsed.signatures)
        wanted = ", ".join(f"{name}+{kid.hex()}" for name, kid in known)
        raise NoteError(f"expected a signature by one of [{wanted}], got [{found}]")
    return OpenedNote(parsed.text, tuple(verified.values()))


def _verify(text: str, sig: NoteSignature, verifier: Verifier) -> int | None:
    if verifier.key_type == KeyType.COSIGNATURE_V1:
        return open_cosignature(text, sig.signature, verifier)
    if not verifier.verify(text.encode(), sig.signature):
        raise NoteError(f"signature by {sig.name}+{sig.key_id.hex()} does not verify")
    return None


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text: expected a final newline")
    _check_chars(text, "note text")


def _check_chars(text: str, what: str) -> None:
    if has_control_chars(text):
        raise NoteError(f"{what}: expected no control characters other than newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"{what}: expected valid UTF-8 text, got {exc}") from exc
