"""The ride code's bytes: a certificate, then the phone's timestamp, nonce and signature.

The layout is fixed (the web client builds the same bytes with WebCrypto); every
integer is big-endian.

    certificate = version u8 (=1) | issuer key id 4 | serial 8 | rider_len u8 | rider ASCII
                  | phone public key 32 | valid_from u32 | valid_until u32 | category u8
                  | issuer signature 64
    ride code   = certificate | timestamp u32 | nonce 8 | phone signature 64

The issuer signs `CERT_CONTEXT || certificate without its signature`; the phone signs
`CODE_CONTEXT || ride code without its signature`. The context strings keep a signature
made for one purpose from being accepted for the other. For rider `r0000001` a
certificate is 127 bytes and a code 203; on the API and inside the QR a code travels as
base64url without padding (271 characters).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass
from enum import IntEnum

from ridecodes.errors import RideCodeMalformed

__all__ = [
    "CERT_CONTEXT",
    "CODE_CONTEXT",
    "VERSION",
    "Category",
    "Certificate",
    "RideCode",
    "b64url",
    "from_b64url",
    "issuer_key_id",
    "parse_certificate",
    "parse_ride_code",
    "split_ride_code",
]

VERSION = 1
CERT_CONTEXT = b"farechain/ride-cert/v1\n"
CODE_CONTEXT = b"farechain/ride-code/v1\n"
MAX_RIDER_BYTES = 32
SIGNATURE_BYTES = 64
KEY_BYTES = 32
_HEAD = struct.Struct(">B4s8sB")  # version, issuer key id, serial, rider_len
_TAIL = struct.Struct(">32sIIB")  # phone key, valid_from, valid_until, category
_STAMP = struct.Struct(">I8s")  # timestamp, nonce
_CODE_TAIL_BYTES = _STAMP.size + SIGNATURE_BYTES  # 76
_RIDER = re.compile(rb"[A-Za-z0-9._:-]{1,32}")  # the gates' Ident alphabet
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class Category(IntEnum):
    ADULT = 0
    STUDENT = 1
    CHILD = 2
    SENIOR = 3


@dataclass(frozen=True, slots=True)
class Certificate:
    issuer_key_id: bytes
    serial: bytes
    rider: str
    phone_key: bytes  # raw Ed25519 public key
    valid_from: int  # unix seconds
    valid_until: int
    category: Category
    signature: bytes = b""

    def body(self) -> bytes:
        """The certificate's bytes before the issuer's signature."""
        rider = self.rider.encode("ascii", "replace")
        if not _RIDER.fullmatch(rider):
            raise ValueError(f"a rider id is 1 to 32 of [A-Za-z0-9._:-], got {self.rider!r}")
        return (
            _HEAD.pack(VERSION, self.issuer_key_id, self.serial, len(rider))
            + rider
            + _TAIL.pack(self.phone_key, self.valid_from, self.valid_until, self.category)
        )

    def to_bytes(self) -> bytes:
        if len(self.signature) != SIGNATURE_BYTES:
            raise ValueError("the certificate is not signed")
        return self.body() + self.signature


@dataclass(frozen=True, slots=True)
class RideCode:
    certificate: Certificate
    certificate_bytes: bytes
    timestamp: int  # unix seconds, the phone's clock
    nonce: bytes
    signed: bytes  # what the phone signed after CODE_CONTEXT
    signature: bytes


def issuer_key_id(public_key: bytes) -> bytes:
    """SHA-256 of the issuer's raw public key, first 4 bytes."""
    return hashlib.sha256(public_key).digest()[:4]


def parse_certificate(data: bytes) -> Certificate:
    """A certificate from its exact bytes; RideCodeMalformed says what is wrong."""
    certificate, end = _certificate_at(data)
    if end != len(data):
        raise RideCodeMalformed(f"expected a {end}-byte certificate, got {len(data)} bytes")
    return certificate


def split_ride_code(data: bytes) -> tuple[bytes, bytes]:
    """(certificate bytes, the code's 76-byte tail) after checking the lengths."""
    if len(data) < _HEAD.size:
        raise RideCodeMalformed(f"a ride code is at least 127 bytes, got {len(data)}")
    rider_len = data[_HEAD.size - 1]
    if not 1 <= rider_len <= MAX_RIDER_BYTES:
        raise RideCodeMalformed(f"a rider id is 1 to {MAX_RIDER_BYTES} bytes, got {rider_len}")
    cert_len = _HEAD.size + rider_len + _TAIL.size + SIGNATURE_BYTES
    if len(data) != cert_len + _CODE_TAIL_BYTES:
        raise RideCodeMalformed(
            f"expected {cert_len + _CODE_TAIL_BYTES} bytes for a {rider_len}-byte rider id,"
            f" got {len(data)}"
        )
    return data[:cert_len], data[cert_len:]


def parse_ride_code(data: bytes) -> RideCode:
    cert_bytes, tail = split_ride_code(data)
    certificate = parse_certificate(cert_bytes)
    timestamp, nonce = _STAMP.unpack_from(tail)
    return RideCode(
        certificate=certificate,
        certificate_bytes=cert_bytes,
        timestamp=timestamp,
        nonce=nonce,
        signed=data[:-SIGNATURE_BYTES],
        signature=tail[_STAMP.size :],
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str, what: str = "ride code") -> bytes:
    """Strict: the base64url alphabet, no padding, and the one canonical encoding.

    A decoder that ignored the unused low bits of the last character would give two
    texts for one code.
    """
    if not text or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise RideCodeMalformed(f"the {what} is not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise RideCodeMalformed(f"the {what} is not base64url without padding") from None
    if b64url(data) != text:
        raise RideCodeMalformed(f"the {what} is not in canonical base64url")
    return data


def _certificate_at(data: bytes) -> tuple[Certificate, int]:
    if len(data) < _HEAD.size:
        raise RideCodeMalformed(f"a certificate is at least 103 bytes, got {len(data)}")
    version, key_id, serial, rider_len = _HEAD.unpack_from(data)
    if version != VERSION:
        raise RideCodeMalformed(f"expected version {VERSION}, got {version}")
    if not 1 <= rider_len <= MAX_RIDER_BYTES:
        raise RideCodeMalformed(f"a rider id is 1 to {MAX_RIDER_BYTES} bytes, got {rider_len}")
    end = _HEAD.size + rider_len + _TAIL.size + SIGNATURE_BYTES
    if len(data) < end:
        raise RideCodeMalformed(f"the certificate is cut short: {len(data)} of {end} bytes")
    rider = data[_HEAD.size : _HEAD.size + rider_len]
    if not _RIDER.fullmatch(rider):
        raise RideCodeMalformed("the rider id holds characters outside [A-Za-z0-9._:-]")
    phone_key, valid_from, valid_until, category = _TAIL.unpack_from(data, _HEAD.size + rider_len)
    if category > max(Category):
        raise RideCodeMalformed(f"no rider category {category}")
    certificate = Certificate(
        issuer_key_id=key_id,
        serial=serial,
        rider=rider.decode("ascii"),
        phone_key=phone_key,
        valid_from=valid_from,
        valid_until=valid_until,
        category=Category(category),
        signature=data[end - SIGNATURE_BYTES : end],
    )
    return certificate, end
