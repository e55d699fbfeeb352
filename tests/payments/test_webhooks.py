"""Webhook signatures and bodies: known answers and every way to get them wrong."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.provider import (
    BadSignature,
    MalformedWebhook,
    PaymentAnswer,
    RefundAnswer,
    WebhookNews,
)
from payments.states import Outcome, RefundOutcome
from payments.webhooks import SIGNATURE_HEADER, decode_news, encode_news, sign, verify

SECRET = b"whsec_test"
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def test_signature_known_answer() -> None:
    mac = hmac.new(SECRET, f"{T}.hello".encode(), hashlib.sha256).hexdigest()
    assert sign(SECRET, b"hello", T) == f"t={T},v1={mac}"


def test_a_good_signature_passes_in_any_header_case() -> None:
    verify([SECRET], b"x", {"Farechain-Signature": sign(SECRET, b"x", T)}, NOW)
    verify([b"old", SECRET], b"x", {SIGNATURE_HEADER: sign(SECRET, b"x", T - 299)}, NOW)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "expected a farechain-signature header"),
        ({SIGNATURE_HEADER: "garbage"}, "expected 't=<seconds>,v1=<hex>'"),
        ({SIGNATURE_HEADER: sign(SECRET, b"x", T - 301)}, "at most 300 s old"),
        ({SIGNATURE_HEADER: sign(b"other", b"x", T)}, "signature by the provider's secret"),
        ({SIGNATURE_HEADER: sign(SECRET, b"y", T)}, "signature by the provider's secret"),
    ],
)
def test_bad_signatures_are_refused(headers: dict[str, str], message: str) -> None:
    with pytest.raises(BadSignature, match=message):
        verify([SECRET], b"x", headers, NOW)


@given(st.binary(min_size=1), st.integers(0, 255))
def test_any_flipped_byte_breaks_the_signature(body: bytes, flip: int) -> None:
    header = {SIGNATURE_HEADER: sign(SECRET, body, T)}
    tampered = bytearray(body)
    tampered[flip % len(body)] ^= 0x01
    with pytest.raises(BadSignature):
        verify([SECRET], bytes(tampered), header, NOW + timedelta(seconds=1))


@given(
    st.sampled_from(list(Outcome)),
    st.integers(1, 10**9),
    st.none() | st.text(max_size=20),
)
def test_payment_news_round_trips(outcome: Outcome, amount: int, reason: str | None) -> None:
    news = WebhookNews("evt_1", PaymentAnswer(bytes(32), "pay_1", outcome, amount, reason))
    assert decode_news(encode_news(news, 5)) == news


def test_refund_news_round_trips() -> None:
    news = WebhookNews("evt_2", RefundAnswer(b"\1" * 32, "re_1", RefundOutcome.SUCCEEDED, 300))
    assert decode_news(encode_news(news, 5)) == news


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id":"e","object":"charge","key":"' + b"00" * 32 + b'","ref":"r","status":"captured",'
        b'"amount_fen":1,"reason":null}',
        b'{"id":"e","object":"payment","key":"00","ref":"r","status":"captured",'
        b'"amount_fen":1,"reason":null}',
        b'{"id":"e","object":"payment","key":"' + b"00" * 32 + b'","ref":"r","status":"won",'
        b'"amount_fen":1,"reason":null}',
        b'{"id":"e","object":"payment","key":"' + b"00" * 32 + b'","ref":"r","status":"captured",'
        b'"amount_fen":1.5,"reason":null}',
        b"\xff\xfe",
    ],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedWebhook, match="expected a payment or refund notification"):
        decode_news(body)
