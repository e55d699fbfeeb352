"""The issuer's keys: the one that signs certificates now, and the set gates verify with.

Rotation: a new key signs from the moment it is made; the old one is retired (its
private half dropped) but stays in the published set, so certificates it signed before
its retirement stay valid until they expire. A certificate under a retired key that
claims to start after the retirement is refused: a leaked retired key cannot mint new
ones. A key is dropped from the set once the longest certificate it could have signed
has expired.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

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

from ridecodes.errors import RideCodeMalformed
from ridecodes.wire import CERT_CONTEXT, Category, Certificate, b64url, from_b64url, issuer_key_id

__all__ = ["IssuerKey", "IssuerSigner", "KeySet", "issue_certificate"]


@dataclass(frozen=True, slots=True)
class IssuerKey:
    """A published issuer key: what a gate needs to check certificates."""

    public_key: bytes  # raw Ed25519, 32 bytes
    created_at: int  # unix seconds
    retired_at: int | None = None

    @property
    def key_id(self) -> bytes:
        return issuer_key_id(self.public_key)

    def retire(self, at: int) -> IssuerKey:
        return self if self.retired_at is not None else replace(self, retired_at=at)


@dataclass(frozen=True, slots=True)
class KeySet:
    """Every issuer key a gate accepts, by key id."""

    keys: tuple[IssuerKey, ...]

    def find(self, key_id: bytes) -> IssuerKey | None:
        for key in self.keys:
            if key.key_id == key_id:
                return key
        return None

    def with_key(self, key: IssuerKey, *, retire_others_at: int | None = None) -> KeySet:
        others = self.keys
        if retire_others_at is not None:
            others = tuple(k.retire(retire_others_at) for k in others)
        return KeySet((*others, key))

    def to_document(self) -> dict[str, Any]:
        """The published form (the public endpoint's and the key file's)."""
        return {
            "keys": [
                {
                    "key_id": k.key_id.hex(),
                    "public_key": b64url(k.public_key),
                    "created_at": _rfc3339(k.created_at),
                    "retired_at": None if k.retired_at is None else _rfc3339(k.retired_at),
                }
                for k in self.keys
            ]
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> KeySet:
        """What a gate fetched from the public endpoint; each key id is checked."""
        keys = []
        for entry in document["keys"]:
            public_key = from_b64url(entry["public_key"], "issuer public key")
            if len(public_key) != 32:
                raise RideCodeMalformed(f"expected a 32-byte issuer key, got {len(public_key)}")
            key = IssuerKey(
                public_key,
                created_at=_unix(entry["created_at"]),
                retired_at=None if entry["retired_at"] is None else _unix(entry["retired_at"]),
            )
            if key.key_id.hex() != entry["key_id"]:
                raise RideCodeMalformed(
                    f"issuer key {entry['key_id']} has key id {key.key_id.hex()}"
                )
            keys.append(key)
        return cls(tuple(keys))

    def pruned(self, now: int, max_validity_s: int) -> KeySet:
        """Without the retired keys whose every certificate has expired by `now`."""
        return KeySet(
            tuple(
                k for k in self.keys if k.retired_at is None or k.retired_at + max_validity_s > now
            )
        )


class IssuerSigner:
    """The issuer's active private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = issuer_key_id(self.public_key)

    @classmethod
    def from_seed(cls, seed: bytes) -> IssuerSigner:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def generate(cls) -> IssuerSigner:
        return cls(Ed25519PrivateKey.generate())

    def seed(self) -> bytes:
        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def sign(self, body: bytes) -> bytes:
        return self._private.sign(CERT_CONTEXT + body)

    def verifier(self) -> Ed25519PublicKey:
        return self._private.public_key()


def issue_certificate(
    signer: IssuerSigner,
    *,
    rider: str,
    phone_key: bytes,
    valid_from: int,
    valid_until: int,
    category: Category,
    serial: bytes | None = None,
) -> Certificate:
    """A certificate binding `rider` to the phone's key, signed by `signer`."""
    if len(phone_key) != 32:
        raise ValueError(f"expected a 32-byte phone key, got {len(phone_key)} bytes")
    if valid_until <= valid_from:
        raise ValueError("valid_until must come after valid_from")
    unsigned = Certificate(
        issuer_key_id=signer.key_id,
        serial=serial if serial is not None else secrets.token_bytes(8),
        rider=rider,
        phone_key=phone_key,
        valid_from=valid_from,
        valid_until=valid_until,
        category=category,
    )
    return replace(unsigned, signature=signer.sign(unsigned.body()))


def _rfc3339(unix_s: int) -> str:
    return datetime.fromtimestamp(unix_s, UTC).isoformat().replace("+00:00", "Z")


def _unix(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())
