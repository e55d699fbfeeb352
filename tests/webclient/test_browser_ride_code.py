"""The ride code on the phone: the bytes the contract fixes, the QR a gate reads, and the
whole path from enrolment to a trip (once the ride-code endpoints are in this build)."""

from __future__ import annotations

import base64
import io
import struct
import time
from datetime import UTC, datetime

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image
from playwright.sync_api import Locator, expect

from tests.webclient.conftest import Phone
from tests.webclient.live import Live

DOMAIN = b"farechain/ride-code/v1\n"
RIDER = "r0000004"


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_qr(canvas: Locator) -> str:
    """What a gate's reader sees: the QR decoded from a picture of the screen."""
    image = Image.open(io.BytesIO(canvas.screenshot()))
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, f"expected one QR code, found {len(results)}"
    return str(results[0].text)


def test_the_phone_signs_the_code_the_contract_describes(live: Live, phone: Phone) -> None:
    page = phone.open()
    certificate = bytes(range(127))  # a typical certificate's length: a 271-character code
    made = page.evaluate(
        """async (cert) => {
            const rc = await import('/app/js/ridecode.js');
            const code = await import('/app/js/views/code.js');
            const {pair, publicKey} = await rc.newPhoneKey();
            const text = await rc.rideCode(cert, pair.privateKey, 1_800_000_000);
            const canvas = document.createElement('canvas');
            canvas.id = 'probe';
            document.body.prepend(canvas);
            code.drawQr(canvas, text);
            let exported = 'refused';
            try { await crypto.subtle.exportKey('pkcs8', pair.privateKey); exported = 'allowed'; }
            catch { /* non-extractable, as it must be */ }
            return {text, publicKey, exported, extractable: pair.privateKey.extractable};
        }""",
        base64.urlsafe_b64encode(certificate).decode().rstrip("="),
    )
    assert made["extractable"] is False and made["exported"] == "refused"
    text: str = made["text"]
    assert len(text) == 271 and "=" not in text
    code = _b64url(text)
    assert code[:127] == certificate
    (stamp,) = struct.unpack(">I", code[127:131])
    assert stamp == 1_800_000_000
    nonce, signature = code[131:139], code[139:]
    assert len(nonce) == 8 and len(signature) == 64
    key = Ed25519PublicKey.from_public_bytes(_b64url(made["publicKey"]))
    key.verify(signature, DOMAIN + code[:139])  # raises if the page signed anything else
    assert decode_qr(page.locator("#probe")) == text


def test_two_codes_a_moment_apart_differ_in_their_nonce(live: Live, phone: Phone) -> None:
    page = phone.open()
    texts = page.evaluate(
        """async () => {
            const rc = await import('/app/js/ridecode.js');
            const {pair} = await rc.newPhoneKey();
            const one = () => rc.rideCode('AAAA', pair.privateKey, 5);
            return [await one(), await one()];
        }"""
    )
    first, second = (_b64url(t) for t in texts)
    assert first[:7] == second[:7] and first[7:15] != second[7:15]


def _moment(unix_s: str) -> datetime:
    return datetime.fromtimestamp(int(unix_s), UTC)


def _needs_ride_codes(live: Live) -> None:
    if not live.has_route("/v1/me/phones"):
        pytest.skip("POST /v1/me/phones (ride codes, branch ridecodes) is not in this build")


def test_enrol_show_the_qr_and_ride_with_it(live: Live, phone: Phone) -> None:
    _needs_ride_codes(live)
    phone.sign_in(live.rider_token(RIDER))
    page = phone.page
    page.get_by_role("button", name="绑定本机").click()
    canvas = page.locator("canvas.qr")
    expect(canvas).to_be_visible(timeout=10_000)
    stored = page.evaluate(
        """async () => {
            const s = await import('/app/js/store.js');
            const phone = await s.load('phone');
            return {extractable: phone.pair.privateKey.extractable, id: phone.phoneId};
        }"""
    )
    assert stored["extractable"] is False
    phone.shot("02-ride-code")
    first = decode_qr(canvas)
    # The gate's checker: a tap with the decoded code, stamped when it was shown, is
    # accepted at the entry gate ...
    signed_at = canvas.get_attribute("data-signed-at") or ""
    live.tap("gate-szmc-luohu", "entry", _moment(signed_at), ride_code=first)
    # ... and the code shown a refresh later, at the exit gate.
    expect(canvas).not_to_have_attribute("data-signed-at", signed_at, timeout=8_000)
    second = decode_qr(canvas)
    assert second != first
    later = canvas.get_attribute("data-signed-at") or ""
    live.tap("gate-szmc-guomao", "exit", _moment(later), ride_code=second)
    page.click("a.tab[href='#/trips']")
    trip = page.locator("li.trip").first
    expect(trip).to_be_visible(timeout=15_000)
    expect(trip.locator(".route")).to_have_text("罗湖 Luohu → 国贸 Guomao")
    # r0000004 rides as a senior: 2 yuan for the distance, all of it taken off again.
    expect(trip.locator(".fare")).to_contain_text("¥0.00")
    expect(trip.locator(".quote li")).to_have_count(2)
    expect(trip.locator(".quote li").nth(0)).to_contain_text("¥2.00")
    expect(trip.locator(".quote li").nth(1)).to_contain_text("乘客优惠")
    # A free trip gets no invoice, and the card says so.
    expect(trip.locator(".badge")).to_have_text("免费行程，不开具发票")
    phone.shot("03-trip-by-ride-code")


def test_the_ride_code_works_offline_once_the_certificate_is_held(live: Live, phone: Phone) -> None:
    _needs_ride_codes(live)
    phone.sign_in(live.rider_token(RIDER))
    page = phone.page
    page.get_by_role("button", name="绑定本机").click()
    expect(page.locator("canvas.qr")).to_be_visible(timeout=10_000)
    page.evaluate("navigator.serviceWorker.ready")
    phone.context.set_offline(True)
    page.reload()
    phone.screen("code")
    canvas = page.locator("canvas.qr")
    expect(canvas).to_be_visible()
    expect(page.locator("#status")).to_contain_text("离线")
    signed_at = canvas.get_attribute("data-signed-at")
    expect(canvas).not_to_have_attribute("data-signed-at", signed_at or "", timeout=8_000)
    code = decode_qr(canvas)
    phone.shot("02-ride-code-offline")
    phone.context.set_offline(False)
    # Signed while offline, and still good at the gate.
    signed = canvas.get_attribute("data-signed-at") or "0"
    assert int(signed) <= time.time() + 1
    live.tap("gate-szmc-luohu", "entry", _moment(signed), ride_code=code)
