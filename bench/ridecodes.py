"""Ride-code verifications per second on one core, for `farechain bench ridecodes`.

Codes are made before the clock starts (one phone per simulated rider, each showing a
few codes), then each timed loop only calls the gate's offline check. Two figures: a
gate meeting every certificate for the first time (two Ed25519 checks per code), and
the steady state where a phone's certificate was seen before (one check). Timed in
process CPU time, so other programs on the machine do not count.
"""

from __future__ import annotations

import time

from ridecodes.issuer import IssuerKey, IssuerSigner, KeySet, issue_certificate
from ridecodes.phone import Phone
from ridecodes.verify import RideCodeVerifier
from ridecodes.wire import Category

__all__ = ["run_bench"]

_AT = 1_790_000_000


def _codes(signer: IssuerSigner, phones: int, per_phone: int) -> list[str]:
    codes: list[str] = []
    for n in range(phones):
        phone = Phone()
        phone.certificate = issue_certificate(
            signer,
            rider=f"r{n + 1:07d}",
            phone_key=phone.public_key,
            valid_from=_AT - 86_400,
            valid_until=_AT + 86_400,
            category=Category.ADULT,
        ).to_bytes()
        codes.extend(phone.code_text(_AT - k) for k in range(per_phone))
    return codes


def _rate(verifier: RideCodeVerifier, codes: list[str]) -> float:
    verify = verifier.verify_text
    began = time.process_time()
    for text in codes:
        verify(text, at=_AT)
    return len(codes) / max(time.process_time() - began, 1e-9)


def run_bench(n: int = 5_000) -> dict[str, float]:
    signer = IssuerSigner.generate()
    keys = KeySet((IssuerKey(signer.public_key, created_at=_AT - 86_400),))
    first_seen = _codes(signer, n, 1)
    seen_before = _codes(signer, max(n // 10, 1), 10)
    warm = RideCodeVerifier(keys, window_s=60, max_span_s=3 * 86_400)
    for text in seen_before[::10]:
        warm.verify_text(text, at=_AT)
    return {
        "verifications_per_s_new_certificate": _rate(
            RideCodeVerifier(keys, window_s=60, max_span_s=3 * 86_400), first_seen
        ),
        "verifications_per_s_known_certificate": _rate(warm, seen_before),
        "code_bytes_rider_8_chars": float(len(first_seen[0]) * 3 // 4),
        "code_base64url_chars": float(len(first_seen[0])),
    }
