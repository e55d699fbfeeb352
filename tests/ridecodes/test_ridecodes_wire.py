"""The ride code's bytes: the fixed layout, known answers, strict parsing."""

from __future__ import annotations

import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ridecodes.errors import RideCodeMalformed
from ridecodes.wire import (
    Category,
    b64url,
    from_b64url,
    issuer_key_id,
    parse_certificate,
    parse_ride_code,
)
from tests.ridecodes.codes import (
    AT,
    NONCE,
    SERIAL,
    VALID_FROM,
    VALID_UNTIL,
    code,
    issuer,
    phone,
)


def test_the_layout_byte_by_byte_as_the_web_client_builds_it() -> None:
    signer, device = issuer(), phone()
    # Assembled by hand from the published layout, not through the codec.
    body = (
        bytes([1])
        + hashlib.sha256(signer.public_key).digest()[:4]
        + SERIAL
        + bytes([8])
        + b"r0000001"
        + device.public_key
        + struct.pack(">II", VALID_FROM, VALID_UNTIL)
        + bytes([1])
    )
    certificate = device.certificate
    assert certificate is not None and certificate[:-64] == body
    Ed25519PublicKey.from_public_bytes(signer.public_key).verify(
        certificate[-64:], b"farechain/ride-cert/v1\n" + body
    )
    ride = code()
    assert ride[:127] == certificate
    assert ride[127:139] == struct.pack(">I", AT) + NONCE
    Ed25519PublicKey.from_public_bytes(device.public_key).verify(
        ride[139:], b"farechain/ride-code/v1\n" + ride[:139]
    )
    assert (len(certificate), len(ride), len(b64url(ride))) == (127, 203, 271)


def test_known_answer() -> None:
    # Ed25519 signatures are deterministic: these fixed keys, times and nonce always
    # give these bytes. A change here breaks every phone and gate already deployed.
    assert issuer_key_id(issuer().public_key).hex() == "56475aa7"
    assert hashlib.sha256(code()).hexdigest() == (
        "0810c775e14ab890184aee607c86ddb0d33fb9c62599fee0795f5a35a17ce012"
    )


def test_parse_round_trip() -> None:
    parsed = parse_ride_code(code())
    certificate = parsed.certificate
    assert (certificate.rider, certificate.category, certificate.serial) == (
        "r0000001",
        Category.STUDENT,
        SERIAL,
    )
    assert (certificate.valid_from, certificate.valid_until) == (VALID_FROM, VALID_UNTIL)
    assert (parsed.timestamp, parsed.nonce) == (AT, NONCE)
    assert certificate.to_bytes() == parsed.certificate_bytes
    assert parse_certificate(parsed.certificate_bytes) == certificate
    assert from_b64url(b64url(code())) == code()


@pytest.mark.parametrize("cut", [0, 1, 13, 14, 126, 127, 139, 202])
def test_a_truncated_code_is_malformed(cut: int) -> None:
    with pytest.raises(RideCodeMalformed):
        parse_ride_code(code()[:cut])


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b: bytes([2]) + b[1:], "expected version 1, got 2"),
        (lambda b: b[:13] + bytes([0]) + b[14:], "1 to 32"),
        (lambda b: b[:13] + bytes([33]) + b[14:], "1 to 32"),
        (lambda b: b[:13] + bytes([9]) + b[14:], "expected 204 bytes"),
        (lambda b: b[:14] + b"r000 001" + b[22:], "outside"),
        (lambda b: b[:62] + bytes([4]) + b[63:], "category 4"),
        (lambda b: b + b"\x00", "expected 203 bytes"),
    ],
)
def test_malformed_codes_say_what_is_wrong(change: object, words: str) -> None:
    assert callable(change)
    with pytest.raises(RideCodeMalformed, match=words):
        parse_ride_code(change(code()))


@pytest.mark.parametrize(
    "text",
    ["", "a", "abc=", "ab+c", "ab/c", "ab c", "é", b64url(code())[:-1] + "B"],
)
def test_base64url_is_strict(text: str) -> None:
    # The last one differs from the canonical text only in bits the decoder drops.
    with pytest.raises(RideCodeMalformed):
        from_b64url(text)
