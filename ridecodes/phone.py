"""The reference phone: holds an Ed25519 key, a certificate, and makes ride codes.

The load test, the demo and the tests use it; the web client builds the same bytes
with WebCrypto (ridecodes/wire.py gives the layout).
"""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ridecodes.wire import CODE_CONTEXT, b64url

__all__ = ["Phone"]


class Phone:
    def __init__(self, private_key: Ed25519PrivateKey | None = None) -> None:
        self._private = private_key or Ed25519PrivateKey.generate()
        self.public_key = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.certificate: bytes | None = None

    @classmethod
    def from_seed(cls, seed: bytes) -> Phone:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def seed(self) -> bytes:
        """The private key's 32 bytes (the demo keeps its phones in a file)."""
        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def code(self, timestamp: int, nonce: bytes | None = None) -> bytes:
        """The ride code the phone shows at `timestamp` (unix seconds, its clock)."""
        if self.certificate is None:
            raise RuntimeError("the phone has no certificate yet; enrol it first")
        if nonce is None:
            nonce = secrets.token_bytes(8)
        if len(nonce) != 8:
            raise ValueError(f"expected an 8-byte nonce, got {len(nonce)} bytes")
        signed = self.certificate + timestamp.to_bytes(4, "big") + nonce
        return signed + self._private.sign(CODE_CONTEXT + signed)

    def code_text(self, timestamp: int, nonce: bytes | None = None) -> str:
        """The code as the QR and the API carry it: base64url without padding."""
        return b64url(self.code(timestamp, nonce))
