"""Ed25519 keys for signed notes: key IDs, verifier keys and private key strings.

Follows c2sp.org/signed-note and c2sp.org/tlog-cosignature. A key is a name plus an
Ed25519 key pair plus a signature type: ``0x01`` for plain note signatures (the log's
checkpoint signature) and ``0x04`` for timestamped witness cosignatures. The key ID is
``SHA-256(name || 0x0A || type || public key)[:4]``.

Text forms, one line each (the same shapes as golang.org/x/mod/sumdb/note):

* verifier key (public): ``<name>+<8 hex key ID>+<base64(type || 32-byte public key)>``
* private key: ``PRIVATE+KEY+<name>+<8 hex key ID>+<base64(type || 32-byte seed)>``

A private key file holds the private key string and a newline, nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ledger._encoding import b64decode_strict, b64encode
from ledger.exceptions import NoteError

__all__ = ["KeyType", "Signer", "Verifier", "check_key_name", "key_id"]

_PRIVATE_PREFIX = "PRIVATE+KEY+"
_KEY_SIZE = 32


class KeyType(IntEnum):
    """Signature type bytes assigned by c2sp.org/signed-note."""

    ED25519 = 0x01
    COSIGNATURE_V1 = 0x04


def check_key_name(name: str) -> None:
    """Key names are non-empty and hold no spaces, plus signs or control characters."""
    if not name or "+" in name or any(ch.isspace() or ch < " " for ch in name):
        raise NoteError(f"expected a key name without spaces or '+', got {name!r}")


def key_id(name: str, key_type: KeyType, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || type || public key)[:4]."""
    check_key_name(name)
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public key that checks signatures by one named key."""

    name: str
    key_type: KeyType
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != _KEY_SIZE:
            raise NoteError(
                f"expected a {_KEY_SIZE}-byte Ed25519 public key, got {len(self.public_key)}"
            )
        object.__setattr__(self, "key_type", _key_type(self.key_type))

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.key_type, self.public_key)

    @property
    def vkey(self) -> str:
        """The verifier key string ``name+keyid+base64(type || public key)``."""
        material = b64encode(bytes([self.key_type]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Parse a verifier key string, checking its key ID against its key."""
        name, declared, key_type, public_key = _split_key(vkey, "verifier key")
        verifier = cls(name, key_type, public_key)
        _check_declared_id(declared, verifier.key_id, "verifier key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Check a raw Ed25519 signature over ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __str__(self) -> str:
        return self.vkey


@dataclass(frozen=True, eq=False)
class Signer:
    """A named Ed25519 private key that signs notes (type 0x01) or cosigns (0x04)."""

    name: str
    private_key: Ed25519PrivateKey
    key_type: KeyType = KeyType.ED25519

    def __post_init__(self) -> None:
        check_key_name(self.name)
        object.__setattr__(self, "key_type", _key_type(self.key_type))

    @classmethod
    def generate(cls, name: str, key_type: KeyType = KeyType.ED25519) -> Signer:
        return cls(name, Ed25519PrivateKey.generate(), key_type)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        """Parse a ``PRIVATE+KEY+...`` string (a key file's content, newline stripped)."""
        if not skey.startswith(_PRIVATE_PREFIX):
            raise NoteError(f"private key: expected the prefix {_PRIVATE_PREFIX!r}")
        name, declared, key_type, seed = _split_key(skey[len(_PRIVATE_PREFIX) :], "private key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed), key_type)
        _check_declared_id(declared, signer.key_id, "private key")
        return signer

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.key_type, self.public_key)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_type, self.public_key)

    @property
    def skey(self) -> str:
        """The private key string; keep it secret (a key file with mode 0600)."""
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        material = b64encode(bytes([self.key_type]) + seed)
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{material}"

    def sign(self, message: bytes) -> bytes:
        """A raw Ed25519 signature over ``message``."""
        return self.private_key.sign(message)

    def __repr__(self) -> str:  # never print key material
        return f"Signer({self.name!r}, key_id={self.key_id.hex()}, {self.key_type.name})"


def _split_key(text: str, what: str) -> tuple[str, bytes, KeyType, bytes]:
    """Split ``name+keyid+base64(type || key)`` into name, declared ID, type and key."""
    # The name holds no '+', the key ID is hex; only the base64 part may contain '+'.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"{what}: expected name+keyid+key, got {len(parts)} parts")
    name, declared, material_b64 = parts
    check_key_name(name)
    if len(declared) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in declared):
        raise NoteError(f"{what}: expected an 8-digit hex key ID, got {declared!r}")
    try:
        material = b64decode_strict(material_b64, what)
    except ValueError as exc:
        raise NoteError(str(exc)) from exc
    if len(material) != 1 + _KEY_SIZE:
        raise NoteError(f"{what}: expected {1 + _KEY_SIZE} bytes of key, got {len(material)}")
    return name, bytes.fromhex(declared), _key_type(material[0]), material[1:]


def _check_declared_id(declared: bytes, actual: bytes, what: str) -> None:
    if declared != actual:
        raise NoteError(f"{what}: expected key ID {actual.hex()}, got {declared.hex()}")


def _key_type(value: int) -> KeyType:
    try:
        return KeyType(value)
    except ValueError:
        raise NoteError(f"expected key type 0x01 or 0x04, got {value:#04x}") from None
