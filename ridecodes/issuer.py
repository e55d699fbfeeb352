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

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ridecodes.wire import CERT_CONTEXT, Category, Certificate, issuer_key_id

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
