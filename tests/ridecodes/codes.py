"""Fixed keys and times for the pure ride-code tests (deterministic Ed25519 signatures)."""

from __future__ import annotations

from ridecodes.issuer import IssuerKey, IssuerSigner, KeySet, issue_certificate
from ridecodes.phone import Phone
from ridecodes.verify import RideCodeVerifier
from ridecodes.wire import Category

ISSUER_SEED = bytes(range(32))
PHONE_SEED = bytes(range(32, 64))
SERIAL = bytes.fromhex("0102030405060708")
NONCE = bytes.fromhex("a1a2a3a4a5a6a7a8")
VALID_FROM = 1_790_000_000  # 2026-09-21T14:13:20Z
VALID_UNTIL = VALID_FROM + 30 * 86_400
AT = VALID_FROM + 3_600
WINDOW_S = 60
MAX_SPAN_S = 30 * 86_400


def issuer() -> IssuerSigner:
    return IssuerSigner.from_seed(ISSUER_SEED)


def key_set(*signers: IssuerSigner) -> KeySet:
    return KeySet(tuple(IssuerKey(s.public_key, created_at=VALID_FROM - 86_400) for s in signers))


def verifier(keys: KeySet | None = None) -> RideCodeVerifier:
    return RideCodeVerifier(keys or key_set(issuer()), window_s=WINDOW_S, max_span_s=MAX_SPAN_S)


def phone(
    rider: str = "r0000001",
    *,
    signer: IssuerSigner | None = None,
    seed: bytes = PHONE_SEED,
    valid_from: int = VALID_FROM,
    valid_until: int = VALID_UNTIL,
) -> Phone:
    """A phone holding a certificate for `rider` from `signer` (the fixed issuer)."""
    device = Phone.from_seed(seed)
    device.certificate = issue_certificate(
        signer or issuer(),
        rider=rider,
        phone_key=device.public_key,
        valid_from=valid_from,
        valid_until=valid_until,
        category=Category.STUDENT,
        serial=SERIAL,
    ).to_bytes()
    return device


def code(at: int = AT) -> bytes:
    return phone().code(at, NONCE)
